"""`polyinfra schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import err, out

schema_app = typer.Typer(
    help="JSON Schemas of polyinfra's configuration files, for editors and CI.",
    no_args_is_help=True,
)


@schema_app.command("stack-config")
def stack_config(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the schema to FILE instead of printing it.",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """The JSON Schema of Pulumi.<stack>.yaml foundation stack files. Pass-through sections
    follow the installed pulumi-gcp, so the schema matches the provider `pulumi up` uses.

    Editors validate a stack file with the modeline
    `# yaml-language-server: $schema=<path to the schema file>`.
    """
    from polyinfra.foundation.schema import write_stack_config_schema

    text = write_stack_config_schema(output)
    if output is None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        err.print(f"wrote {output}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.add_typer(schema_app, name="schema")
