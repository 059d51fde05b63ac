"""`polyinfra add service|job|function`: one command per kind, each with its own options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption, region_option

if TYPE_CHECKING:
    from polyinfra.scaffold import AddRequest

add_app = typer.Typer(
    name="add",
    help="Add a Cloud Run service, job or function: its Kustomize base and overlays, and its "
    "service account, IAM roles and Artifact Registry repository in each stack.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArgument = Annotated[
    str,
    typer.Argument(help="Cloud Run name of the app.", show_default=False, metavar="NAME"),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project", "-p", help="Polylith project it deploys. Default: NAME.", metavar="PROJECT"
    ),
]
EnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--env",
        "-e",
        help="Environment to add; repeat. Default: every stack.",
        show_default=False,
        metavar="ENV",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="GCP region. Default: the stack's gcp:region.",
        metavar="REGION",
        callback=region_option,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Rewrite the manifests of an existing app, and the project's Dockerfile.",
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Only list what would be written.")]


@add_app.command("service")
def service(
    name: NameArgument,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    project: ProjectOption = None,
    env: EnvOption = None,
    region: RegionOption = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Add a Cloud Run service: its Kustomize base and overlays, and its service account,
    IAM roles and Artifact Registry repository in each stack."""
    from polyinfra.scaffold import AddRequest

    request = AddRequest(
        kind="service",
        name=name,
        project=project,
        environments=tuple(env or ()),
        region=region,
        force=force,
    )
    _add(workspace, request, dry_run=dry_run)


@add_app.command("job")
def job(
    name: NameArgument,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    project: ProjectOption = None,
    env: EnvOption = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help='Cloud Scheduler cron that triggers the job, e.g. "0 4 * * *".',
            metavar="CRON",
        ),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone", help="Time zone of --schedule (IANA). Default: Etc/UTC.", metavar="TZ"
        ),
    ] = None,
    region: RegionOption = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Add a Cloud Run job: its Kustomize base and overlays, and its service account, IAM
    roles, Artifact Registry repository (and, with --schedule, its Cloud Scheduler trigger)
    in each stack."""
    from polyinfra.scaffold import AddRequest

    request = AddRequest(
        kind="job",
        name=name,
        project=project,
        environments=tuple(env or ()),
        schedule=schedule,
        time_zone=time_zone,
        region=region,
        force=force,
    )
    _add(workspace, request, dry_run=dry_run)


@add_app.command("function")
def function(
    name: NameArgument,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    project: ProjectOption = None,
    env: EnvOption = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Python function to serve. Default: NAME with '-' as '_'.",
            metavar="FUNCTION",
        ),
    ] = None,
    trigger: Annotated[
        str | None,
        typer.Option(
            "--trigger",
            help="What starts it: http (default), pubsub:TOPIC, storage:BUCKET[:EVENT] "
            "(EVENT: finalized, deleted, archived or metadataUpdated; default finalized) or "
            "event:TYPE. An event trigger is an Eventarc trigger in each stack.",
            metavar="TRIGGER",
        ),
    ] = None,
    region: RegionOption = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Add a Cloud Run function (a service running the Functions Framework): its
    Kustomize base and overlays, and its service account, IAM roles, Artifact Registry
    repository and (for an event trigger) Eventarc trigger in each stack."""
    from polyinfra.scaffold import AddRequest

    request = AddRequest(
        kind="function",
        name=name,
        project=project,
        environments=tuple(env or ()),
        region=region,
        target=target,
        trigger=trigger,
        force=force,
    )
    _add(workspace, request, dry_run=dry_run)


def _add(workspace: Path, request: AddRequest, *, dry_run: bool) -> None:
    from polyinfra.scaffold import apply, plan_add

    result = plan_add(workspace, request)
    for line in result.plan.lines(result.root, dry_run=dry_run):
        out.print(line, markup=False)
    if not dry_run:
        apply(result.plan)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""
    app.add_typer(add_app, name="add")
