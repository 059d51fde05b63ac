"""`polyinfra promote`: move a service's traffic to its latest ready revision."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    EndpointOption,
    EnvOption,
    HttpTimeoutOption,
    RegionOption,
    WorkspaceOption,
)
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_FINDINGS, UserError


def promote(
    app: Annotated[str, typer.Argument(help="The service to promote.", metavar="APP")],
    env: EnvOption = ...,  # type: ignore[assignment]
    percent: Annotated[
        int,
        typer.Option(
            "--percent",
            min=1,
            max=100,
            help="Share of the traffic for the latest ready revision; the other revisions keep "
            "their shares of the rest.",
            metavar="N",
        ),
    ] = 100,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            help="Seconds the promotion may take: reading, writing, retries and waiting until "
            "the service is ready.",
            metavar="SECONDS",
        ),
    ] = 600.0,
    http_timeout: HttpTimeoutOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Move a service's traffic to its latest ready revision: all of it, or --percent N
    with the other revisions keeping their shares of the rest. With 100% the service follows
    its latest revision again, so later deploys roll forward. Tags stay; nothing is built,
    rendered into a revision or deployed. Prints the split before and after, then waits until
    the service is ready.

    Exit status: 0 ready, 1 not deployed, no ready revision, or not ready in time, 2 bad
    input, 130 interrupted.
    """
    from polyinfra.deploy.apply import DeployFailed, describe_error
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.locate import locate
    from polyinfra.deploy.promote import promote as promote_service
    from polyinfra.deploy.retry import Pacer
    from polyinfra.deploy.rollout import default_client_factory
    from polyinfra.deploy.traffic import split_table
    from polyinfra.manifests.links import discover_workspace

    if state.debug:
        log_http_calls()
    ws = discover_workspace(workspace)
    found = locate(ws, [app], env, region=region)
    services = [t for t in found if t.kind == "Service"]
    if not services:
        raise UserError(
            f"promote moves traffic between the revisions of a service: {app} is a job",
            hint=f"run the job now with `polyinfra execute {app} --env {env}`",
        )
    target = services[0]
    label = f"{target.app} ({target.env})"
    factory = default_client_factory(endpoint, http_timeout=resolve_http_timeout(http_timeout))
    pacer = Pacer()
    client = factory(target.region, pacer).bounded(pacer.clock() + timeout, timeout)

    def progress(message: str) -> None:
        err.print(f"{label}: {message}", markup=False, highlight=False)

    try:
        promotion = promote_service(client, target, percent, timeout=timeout, progress=progress)
    except (CloudRunError, DeployFailed) as exc:
        err.print(f"error: {label}: {describe_error(exc)}", markup=False, highlight=False)
        raise typer.Exit(EXIT_FINDINGS) from None
    finally:
        client.close()
    if promotion.action == "unchanged":
        head = f"{label}: {promotion.revision} already had {percent}% of the traffic"
    else:
        head = f"{label}: {percent}% of the traffic to {promotion.revision}"
    lines = [head, *split_table(promotion.before, promotion.after, promotion.revision)]
    if promotion.url:
        lines.append(f"{target.app} is at {promotion.url}")
    lines.extend(
        f"{target.app} tag {t.tag} is at {t.url}" for t in promotion.after if t.tag and t.url
    )
    for line in lines:
        out.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("promote")(promote)
