"""`polyinfra init`."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption
from polyinfra.errors import UserError


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("init")(init)


def init(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            help="Environment (Pulumi stack) to create; repeat. Default: sandbox and production.",
        ),
    ] = None,
    gcp_project: Annotated[
        list[str] | None,
        typer.Option(
            "--gcp-project",
            help="GCP project id of an environment, as ENV=PROJECT_ID; repeat. "
            "Default: <workspace>-sandbox, <workspace>-prod.",
            metavar="ENV=PROJECT_ID",
        ),
    ] = None,
    region: Annotated[str, typer.Option("--region", help="Default GCP region.")] = (
        "asia-southeast1"
    ),
    force: Annotated[
        bool, typer.Option("--force", help="Replace files that already exist.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be written.")
    ] = False,
) -> None:
    """Create infrastructure/ in an existing Polylith workspace: the Pulumi foundation program,
    sandbox and production stack files, bigquery/ and monitoring/. Existing files are kept."""
    from polyinfra.scaffold import apply, plan_init

    projects: dict[str, str] = {}
    for item in gcp_project or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UserError(
                f"--gcp-project {item!r}: expected ENV=PROJECT_ID",
                hint="for example --gcp-project sandbox=acme-sandbox",
            )
        projects[key] = value
    result = plan_init(
        workspace,
        environments=tuple(env) if env else ("sandbox", "production"),
        gcp_projects=projects,
        region=region,
        force=force,
    )
    for line in result.plan.lines(result.root, dry_run=dry_run):
        out.print(line, markup=False)
    if not dry_run:
        apply(result.plan)
