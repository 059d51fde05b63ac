"""`polyinfra add`."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption
from polyinfra.errors import UserError

_KINDS: tuple[Literal["service", "job", "function"], ...] = ("service", "job", "function")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("add")(add)


def add(
    kind: Annotated[str, typer.Argument(help="service, job or function.", show_default=False)],
    name: Annotated[str, typer.Argument(help="Cloud Run name of the app.", show_default=False)],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Polylith project it deploys. Default: NAME."),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Environment to add; repeat. Default: every stack."),
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help='Job only: Cloud Scheduler cron, e.g. "0 4 * * *".'),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option("--time-zone", help="Time zone of --schedule (IANA). Default: Etc/UTC."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="GCP region. Default: the stack's gcp:region."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Function only: Python function to serve."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite the manifests of an existing app.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be written.")
    ] = False,
) -> None:
    """Add a Cloud Run service, job or function: its Kustomize base and overlays, and its
    service account, IAM roles, Artifact Registry repository (and scheduler) in each stack."""
    from polyinfra.scaffold import AddRequest, apply, plan_add

    app_kind = next((k for k in _KINDS if k == kind), None)
    if app_kind is None:
        raise UserError(
            f"unknown kind {kind!r}: expected service, job or function",
            hint="for example `polyinfra add job my-job`",
        )
    request = AddRequest(
        kind=app_kind,
        name=name,
        project=project,
        environments=tuple(env or ()),
        schedule=schedule,
        time_zone=time_zone,
        region=region,
        target=target,
        force=force,
    )
    result = plan_add(workspace, request)
    for line in result.plan.lines(result.root):
        out.print(f"would {line}" if dry_run else line, markup=False)
    if not dry_run:
        apply(result.plan)
