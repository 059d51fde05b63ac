"""`polyinfra rollback`: an app back to an earlier version, without a new build."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    EndpointOption,
    EnvOption,
    HttpTimeoutOption,
    ImageOption,
    RegionOption,
    RegistryOption,
    WorkspaceOption,
)
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_FINDINGS, FailedError, UserError

if TYPE_CHECKING:
    from polyinfra.deploy.rollback.plan import Rollback, RolledBack, Share


def rollback(
    app: Annotated[
        str, typer.Argument(help="The app to roll back.", show_default=False, metavar="APP")
    ],
    env: EnvOption = ...,  # type: ignore[assignment]
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The version to go back to, or (for a service) the revision (default: the "
            "version before the live one).",
            show_default=False,
            metavar="VERSION",
        ),
    ] = None,
    image: ImageOption = None,
    registry: RegistryOption = None,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            help="Seconds the rollback of each object may take: writing, retries and waiting "
            "until it is ready.",
            metavar="SECONDS",
        ),
    ] = 600.0,
    http_timeout: HttpTimeoutOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would change; write nothing."),
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Roll an app back to an earlier version, without a new build, and wait until it is
    ready.

    A service's traffic goes back to the revision that carried the version before the live
    one (or the version or revision --to names): no render, no new revision; its tags keep
    pointing where they pointed. A job gets the template of its previous version back, as
    the last deploy recorded it on the job, or rendered from git at the commit --to VERSION
    names (with the same --image and --registry as deploy).

    Exit status: 0 rolled back (or nothing to roll back), 1 the rollback failed or did not
    become ready, 2 bad input (no earlier version, an unknown or failed one), 130
    interrupted.
    """
    from polyinfra.deploy.apply import DeployFailed
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.rollback.plan import RollbackRequest, plan_rollbacks, roll_back
    from polyinfra.manifests import parse_image_options
    from polyinfra.manifests.links import discover_workspace

    if state.debug:
        log_http_calls()
    ws = discover_workspace(workspace)
    request = RollbackRequest(
        app=app,
        env=env,
        to=to,
        region=region,
        images=parse_image_options(image or [], ws),
        registry=registry,
    )
    seconds = resolve_http_timeout(http_timeout)
    clients: dict[str, CloudRunClient] = {}

    def client_for(where: str) -> CloudRunClient:
        if where not in clients:
            clients[where] = CloudRunClient.connect(where, endpoint=endpoint, timeout=seconds)
        return clients[where]

    failed = False
    try:
        try:
            plans = plan_rollbacks(ws, request, client_for)
        except CloudRunError as exc:
            # reading what runs failed: nothing was written
            raise FailedError(f"{app} ({env}): {exc}") from None
        if (image or registry) and not any(p.rendered for p in plans):
            raise UserError(
                "--image and --registry are for a job re-rendered from git; this rollback "
                "renders nothing (a service's traffic moves, a recorded template returns)",
                hint="drop --image/--registry",
            )
        for plan in plans:
            if plan.desired is None:
                out.print(plan.note)
                continue
            client = client_for(plan.target.region)
            if dry_run:
                if client.authenticated:
                    # Google validates the request without applying it.
                    from polyinfra.deploy.apply import apply_object

                    apply_object(
                        client, plan.target.ref, plan.desired, dry_run=True, adjust=plan.adjust
                    )
                for line in describe(plan, dry_run=True):
                    out.print(line)
                continue
            label = f"{plan.target.app} ({plan.target.env})"

            def progress(message: str, label: str = label) -> None:
                err.print(f"{label}: {message}")

            progress(f"rolling back {plan.target.ref}")
            bounded = client.bounded(client.pacer.clock() + timeout, timeout)
            try:
                done = roll_back(bounded, plan, timeout=timeout, progress=progress)
            except (CloudRunError, DeployFailed) as exc:
                failed = True
                err.print(f"{label}: rollback failed: {exc}")
                continue
            for line in describe(plan, done=done):
                out.print(line)
            if done.warning:
                err.print(f"{label}: warning: {done.warning}")
    finally:
        for made in clients.values():
            made.close()
    if dry_run:
        err.print("dry run: nothing was written")
    if failed:
        raise typer.Exit(EXIT_FINDINGS)


def _share_rows(heading: str, shares: tuple[Share, ...]) -> list[str]:
    rows = []
    for index, share in enumerate(shares):
        lead = heading if index == 0 else ""
        version = share.version if share.version is not None else "-"
        rows.append(f"  {lead:<7}{share.percent:>4}%  {share.revision}  {version}")
    return rows


def describe(plan: Rollback, *, dry_run: bool = False, done: RolledBack | None = None) -> list[str]:
    """The lines that say what a rollback changed (or, in a dry run, would change)."""
    from polyinfra.deploy.rollback import PREVIOUS_TEMPLATE_ANNOTATION
    from polyinfra.deploy.rollback.plan import Share

    target = plan.target
    before = plan.before_version if plan.before_version is not None else "no version"
    verb = "would roll back" if dry_run else "rolled back"
    lines = [f"{verb} {target.app} ({target.env}): {before} → {plan.after_version}"]
    if target.kind == "Service":
        after = done.after if done is not None else (Share(plan.revision, 100, plan.after_version),)
        lines += _share_rows("before", plan.before)
        lines += _share_rows("after", after)
        lines += [f"  tag {tag} stays on {revision}" for tag, revision in plan.tags]
        return lines
    lines.append(f"  job {target.ref.name}: {plan.source}")
    if dry_run:
        for change in plan.changes:
            if change.path == f"metadata.annotations[{PREVIOUS_TEMPLATE_ANNOTATION}]":
                mark = {"add": "+", "remove": "-"}.get(change.kind, "~")
                lines.append(f"  {mark} {change.path}: the template of {before}")
            else:
                lines.append(f"  {change.render()}")
    return lines


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("rollback")(rollback)
