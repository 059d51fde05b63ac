"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (or any folder inside it).",
        file_okay=False,
        show_default=False,
    ),
]
DEFAULT_WORKSPACE = Path(".")

FormatOption = Annotated[
    str,
    typer.Option("--format", "-f", help="Output format: text, json, sarif or github."),
]

ImageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--image", help="APP=IMAGE_REFERENCE for one app (repeatable).", show_default=False
    ),
]

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry", help="Image prefix: images are <URL>/<app>:<version>.", show_default=False
    ),
]
