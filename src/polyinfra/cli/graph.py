"""`polyinfra graph`: both stacks as a picture, with the links `check` finds broken."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption


class Format(StrEnum):
    mermaid = "mermaid"
    dot = "dot"
    html = "html"
    json = "json"


def graph(
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            "-e",
            help="Only this environment. Default: every environment with an overlay or a "
            "stack file.",
            show_default=False,
            metavar="ENV",
        ),
    ] = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="mermaid (a flowchart GitHub renders), dot (Graphviz), html (one page to open "
            "in a browser) or json.",
            metavar="FORMAT",
        ),
    ] = Format.mermaid,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of standard output.",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Draw the Polylith projects, the apps they ship, and what the foundation stack creates
    for each app: its service account and that account's roles and grants, its secrets, its
    Artifact Registry repository, the schedulers and Eventarc triggers that start it.

    A link `polyinfra check` reports broken (an account the stack never creates, a secret
    the app may not read, a scheduler whose job does not exist...) is drawn dashed and red,
    with the finding.
    """
    from polyinfra.cache import default_cache
    from polyinfra.errors import UserError
    from polyinfra.graph import build_graph, to_json_text
    from polyinfra.graph.dot import to_dot
    from polyinfra.graph.html import to_html
    from polyinfra.graph.mermaid import to_mermaid

    drawn = build_graph(workspace, environment=env, cache=default_cache())
    renderers = {
        Format.mermaid: to_mermaid,
        Format.dot: to_dot,
        Format.html: to_html,
        Format.json: to_json_text,
    }
    text = renderers[output_format](drawn)
    if output is None:
        out.file.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(
                f"--output {output}: cannot write it: {exc.strerror or exc}",
                hint="name a file in a folder that exists and that you may write to",
            ) from None
        err.print(f"Wrote {output}", markup=False)
    for finding in drawn.undrawn:
        err.print(f"warning: not drawn on any edge: {finding}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("graph")(graph)
