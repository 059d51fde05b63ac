"""`polyinfra migrate three-stack`: split the foundation program into platform/ and services/."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption

migrate_app = typer.Typer(
    name="migrate",
    help="Move a workspace to another layout, keeping what its files say.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@migrate_app.command("three-stack")
def three_stack(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would change; write nothing.")
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Split the foundation program into platform/ and services/.

    infrastructure/pulumi/ becomes the three-stack layout's platform/ and services/: each
    stack file is split by what each team owns (comments and anchors kept), services reads
    gcp:project from platform, and the program's other files move to services/. All or
    nothing; running it again changes nothing."""
    from polyinfra.scaffold.migrate import apply_migration, plan_migration

    migration = plan_migration(workspace)
    for line in migration.lines(dry_run=dry_run):
        out.print(line, markup=False)
    if not dry_run:
        apply_migration(migration)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.add_typer(migrate_app, name="migrate")
