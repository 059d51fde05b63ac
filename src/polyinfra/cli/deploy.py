"""`polyinfra deploy`: render, validate and deploy apps through the Cloud Run Admin API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    EndpointOption,
    HttpTimeoutOption,
    ImageOption,
    RegionOption,
    RegistryOption,
    WorkspaceOption,
    tag_option,
)
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_FINDINGS, FailedError, UserError

if TYPE_CHECKING:
    from polyinfra.workspace import Workspace


def deploy(
    apps: Annotated[
        list[str] | None,
        typer.Argument(help="Apps to deploy (or --all).", show_default=False, metavar="APP"),
    ] = None,
    all_apps: Annotated[
        bool, typer.Option("--all", help="Every app with an overlay for --env.")
    ] = False,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="The apps whose bricks, project files, base or overlay changed since the "
            "commit each one runs in --env (recorded by its last deploy, or its version when "
            "that is a commit or tag), and those not deployed yet; each with its reasons.",
        ),
    ] = False,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment (overlay name).")] = ...,  # type: ignore[assignment]
    version: Annotated[
        str,
        typer.Option(
            "--version",
            help="Release version: the image tag, VERSION_PLACEHOLDER, the revision marker.",
        ),
    ] = ...,  # type: ignore[assignment]
    image: ImageOption = None,
    registry: RegistryOption = None,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    emulator: Annotated[
        bool,
        typer.Option(
            "--emulator",
            help="Deploy to a local in-process Cloud Run emulator (a fake API that lives for "
            "this command only): try the whole flow without a Google Cloud project.",
        ),
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            help="Apps deployed at the same time. Default: [tool.polyinfra.deploy] concurrency, "
            "else every app up to 32.",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    max_writes_per_minute: Annotated[
        int | None,
        typer.Option(
            "--max-writes-per-minute",
            min=2,
            help="Admin API writes sent per minute per region, all apps together: keep it "
            "within the project's write quota. Default: [tool.polyinfra.deploy] "
            "max_writes_per_minute, else 60.",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Start no further app after a failure.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            help="Seconds each app's whole deploy may take: reading, writing, retries and "
            "waiting until it is ready (a job run with --execute gets as long again).",
            metavar="SECONDS",
        ),
    ] = 600.0,
    http_timeout: HttpTimeoutOption = None,
    execute: Annotated[
        bool,
        typer.Option(
            "--execute", help="Run each job once after replacing it and wait for the execution."
        ),
    ] = False,
    traffic: Annotated[
        int | None,
        typer.Option(
            "--traffic",
            min=1,
            max=100,
            help="Send N% of each service's traffic to its new revision; the other revisions "
            "keep their shares of the rest. Services only.",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    no_traffic: Annotated[
        bool,
        typer.Option(
            "--no-traffic",
            help="Create each service's new revision with no traffic; the split stays as it "
            "is. Services only.",
        ),
    ] = False,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            help="Tag each service's new revision: it gets a URL of its own, printed after "
            "the deploy. Services only.",
            show_default=False,
            metavar="TAG",
            callback=tag_option,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show live vs desired differences and validate server-side; write nothing.",
        ),
    ] = False,
    skip_checks: Annotated[
        bool,
        typer.Option(
            "--skip-checks",
            help="Do not check the apps' links to the foundation stack (stack file, service "
            "account, namespace, secrets, registry); the manifest rules still run.",
        ),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="With --all, after a successful deploy delete the services and jobs "
            "polyinfra deployed to --env for apps no longer in the tree (only objects "
            "labelled managed-by=polyinfra and polyinfra-env=ENV); with --dry-run, list them.",
        ),
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Render and check apps for one environment, then apply each through the Cloud Run
    Admin API like `gcloud run services|jobs replace`, and wait until it is ready.

    Before anything is applied, the rendered manifests and their links to the environment's
    foundation stack are checked as `polyinfra check` does; an error stops the deploy.

    A service's traffic follows its manifest unless --traffic, --no-traffic or --tag says
    otherwise; a deploy that replaces a pinned split says so.

    Exit status: 0 all ready, 1 a check error or an app failed or timed out, 2 bad input,
    130 interrupted.
    """
    from polyinfra.deploy.apps import DeployRequest, ValidationFailed, deploy_apps
    from polyinfra.deploy.display import print_report, progress_for
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.prune import prune_after_deploy, prune_lines
    from polyinfra.deploy.retry import Pacer, Quota
    from polyinfra.deploy.rollout import DeployOptions, default_client_factory
    from polyinfra.deploy.traffic import traffic_request
    from polyinfra.manifests import parse_image_options
    from polyinfra.manifests.links import discover_workspace

    if sum((bool(apps), all_apps, changed)) > 1:
        raise UserError("name apps, or pass --all or --changed: only one of them")
    if not all_apps and not apps and not changed:
        raise UserError("no apps named", hint="name the apps to deploy, or pass --all or --changed")
    if prune and not all_apps:
        raise UserError(
            "--prune needs --all: deploying some apps says nothing of the others",
            hint="deploy every app of the environment with --all --prune",
        )
    if emulator and endpoint:
        raise UserError("--emulator and --endpoint both choose the endpoint: pass one")
    if traffic is not None and no_traffic:
        raise UserError("--traffic and --no-traffic both say what the new revision gets: pass one")
    if state.debug:
        log_http_calls()
    ws = discover_workspace(workspace)
    if skip_checks:
        err.print(
            "warning: --skip-checks: the links to the foundation stack (service account, "
            "secrets, registry, project) were not checked",
            style="bold yellow",
            markup=False,
        )
    images = parse_image_options(image or [], ws)
    paced = ws.settings.deploy
    options = DeployOptions(
        version=version,
        concurrency=concurrency or paced.concurrency,
        quota=Quota(
            writes_per_minute=max_writes_per_minute or paced.max_writes_per_minute,
            reads_per_minute=paced.max_reads_per_minute,
        ),
        fail_fast=fail_fast,
        timeout=timeout,
        execute=execute,
        dry_run=dry_run,
        http_timeout=resolve_http_timeout(http_timeout),
        traffic=traffic_request(traffic, no_traffic=no_traffic, tag=tag),
    )
    from polyinfra.checks.report import render_text
    from polyinfra.emulator.local import deploy_endpoint

    def say(line: str) -> None:
        err.print(line, markup=False, highlight=False)

    from polyinfra.deploy.apps import stack_region

    # a local emulator answers as the regional endpoint the apps would be deployed to
    local_region = (region or stack_region(ws, env)) if emulator else None
    with deploy_endpoint(endpoint, local=emulator, say=say, region=local_region) as target:
        if changed:
            apps = _changed_apps(ws, env, region, target, options.http_timeout)
            if not apps:
                out.print(
                    f"nothing to deploy: every app of {env} runs a commit whose inputs have not "
                    "changed since",
                    markup=False,
                    highlight=False,
                )
                return
        request = DeployRequest(
            apps=tuple(apps or ()),
            env=env,
            version=version,
            images=images,
            registry=registry,
            region=region,
            endpoint=target,
            skip_checks=skip_checks,
        )
        # one pace per region for the deploy and the prune after it
        pacer = Pacer(quota=options.quota)
        try:
            with progress_for(err) as display:
                report = deploy_apps(
                    ws,
                    request,
                    options,
                    observer=display,
                    on_problems=lambda found, secrets: say(
                        render_text(found, root=ws.root, secrets=secrets)
                    ),
                    pacer=pacer,
                )
        except ValidationFailed as exc:
            say(render_text(exc.problems, root=ws.root, secrets=exc.secrets))
            say(f"deploy stopped: {exc.summary}; nothing was deployed")
            raise typer.Exit(EXIT_FINDINGS) from None
        pruned = (
            prune_after_deploy(
                report,
                env=env,
                client_factory=default_client_factory(target, http_timeout=options.http_timeout),
                dry_run=dry_run,
                pacer=pacer,
            )
            if prune
            else None
        )
    print_report(report, out, err, dry_run=dry_run)
    for failed, line in prune_lines(pruned, env, dry_run=dry_run) if pruned else ():
        (err if failed else out).print(line, markup=False, highlight=False)
    if pruned is not None and not pruned.ok:
        raise typer.Exit(EXIT_FINDINGS)
    if report.interrupted:
        raise typer.Exit(130)
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


def _changed_apps(
    ws: Workspace, env: str, region: str | None, endpoint: str | None, http_timeout: float
) -> list[str]:
    """The apps ``deploy --changed`` deploys, printed with their reasons (and the others with
    the commit they run)."""
    from polyinfra.deploy.changed import choose_changed
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.errors import CloudRunError

    clients: dict[str, CloudRunClient] = {}

    def client_for(name: str) -> CloudRunClient:
        if name not in clients:
            clients[name] = CloudRunClient.connect(name, endpoint=endpoint, timeout=http_timeout)
        return clients[name]

    try:
        choices = choose_changed(ws, env, region=region, client_for=client_for)
    except CloudRunError as exc:
        # reading what runs failed: nothing was deployed
        raise FailedError(f"--changed: {exc}; nothing was deployed") from None
    finally:
        for client in clients.values():
            client.close()
    chosen = [c for c in choices if c.chosen]
    if chosen:
        err.print(f"changed since the commit running in {env}:", markup=False, highlight=False)
    for choice in chosen:
        err.print(f"  {choice.app}", markup=False, highlight=False)
        for reason in choice.reasons:
            err.print(f"    {reason}", markup=False, highlight=False)
    for choice in choices:
        if not choice.chosen:
            err.print(
                f"  unchanged: {choice.app} (runs {choice.base[:12]})",
                markup=False,
                highlight=False,
            )
    return [c.app for c in chosen]


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("deploy")(deploy)
