"""`polyinfra ci generate`: write the GitHub Actions workflows of the delivery flow."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption

ci_app = typer.Typer(
    name="ci",
    help="Generated CI workflows for both stacks.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@ci_app.command("generate")
def generate(
    provider: Annotated[str, typer.Option("--provider", help="CI system.")] = "github",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflows that were edited by hand.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Write check, infrastructure-provision, deploy and sandbox-deploy workflows into
    .github/workflows/ from [tool.polyinfra.ci]. Idempotent; a hand-edited workflow is left
    alone (its diff is shown) unless --force."""
    from polyinfra.ci import generate as generate_workflows
    from polyinfra.manifests.links import discover_workspace

    ws = discover_workspace(workspace)
    result = generate_workflows(ws, provider=provider, force=force, dry_run=dry_run)
    written = {item.rel for item in result.written}
    for item in result.planned:
        if item.action == "conflict" and not force:
            label = "edited by hand, kept"
        elif dry_run and item.action != "unchanged":
            label = f"would {item.action if item.action != 'conflict' else 'overwrite'}"
        elif item.rel in written:
            label = {"create": "created", "update": "updated", "conflict": "overwritten"}[
                item.action
            ]
        else:
            label = "unchanged"
        out.print(f"{label:<22} {item.rel}", markup=False)
    for item in result.planned:
        show = item.action == "conflict" or (dry_run and item.action == "update")
        if show and item.diff:
            out.file.write(item.diff if item.diff.endswith("\n") else item.diff + "\n")
    if result.conflicts and not force:
        names = ", ".join(item.rel for item in result.conflicts)
        err.print(
            f"error: {names}: edited by hand since it was generated; nothing was written.\n"
            "  hint: the diff above turns your file into the generated one; keep your edits "
            "by moving them into [tool.polyinfra.ci], or run again with --force to overwrite",
            markup=False,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.add_typer(ci_app, name="ci")
