"""`polyinfra lint`: Cloud Run rules over manifest files, folders and rendered apps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import err
from polyinfra.cli.options import (
    FormatOption,
    IgnoreOption,
    OptionalWorkspaceOption,
    SelectOption,
    paths_in_workspace,
)


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Manifest files, folders of them, or app / overlay folders (rendered with "
            "kustomize). Default: the workspace given by --workspace, else the current folder.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    output_format: FormatOption = "text",
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", "-e", help="Render only this environment's overlays.", show_default=False
        ),
    ] = None,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="List every rule and exit.")
    ] = False,
    workspace: OptionalWorkspaceOption = None,
) -> None:
    """Check Cloud Run Service and Job manifests: schema (Admin API v1), platform limits, the
    container contract, common startup-probe mistakes and hygiene.

    Exit code 0 when clean (warnings allowed), 1 for error-level problems, 2 when an input
    could not be read. Disable a rule on one line with `# polyinfra: disable=RULE-ID`, in a file
    with `# polyinfra: disable-file=RULE-ID`, or for the project under [tool.polyinfra.rules].
    """
    from polyinfra.checks.docs import rules_table
    from polyinfra.checks.lint import lint_paths
    from polyinfra.checks.registry import LINT_RULES
    from polyinfra.checks.report import render

    if list_rules:
        typer.echo(rules_table(LINT_RULES))
        return
    targets = paths_in_workspace(paths or [], workspace)
    result = lint_paths(targets, select=select or (), ignore=ignore or (), env=env)
    if output_format == "markdown":
        from polyinfra.review.check import check_markdown

        report = check_markdown(
            result.problems, command="lint", root=Path.cwd(), secrets=result.secrets
        ).rstrip("\n")
    else:
        report = render(result.problems, result.rules, output_format, secrets=result.secrets)
    if report:
        typer.echo(report)
    if output_format == "text" and not result.problems:
        err.print(
            f"No problems in {result.files} file(s) and {result.rendered} rendered overlay(s).",
            markup=False,
        )
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("lint")(lint)
