"""`polyinfra remove`: delete apps' services and jobs from Cloud Run, only where polyinfra's
labels say they are the apps' own."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.execute import say
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


def _show(line: str) -> None:
    out.print(line, markup=False, highlight=False)


def remove(
    apps: Annotated[
        list[str], typer.Argument(help="Apps to remove.", show_default=False, metavar="APP")
    ],
    env: EnvOption = ...,  # type: ignore[assignment]
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")
    ] = False,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    http_timeout: HttpTimeoutOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Delete the apps' services and jobs in one environment from Cloud Run, like `gcloud
    run services|jobs delete`. A service goes with its revisions, a job with its executions.

    Only objects polyinfra deployed for these apps are deleted: each must carry the labels
    managed-by=polyinfra, polyinfra-app=APP and polyinfra-env=ENV. Any other object of the
    same name is refused, with the gcloud command that deletes it by hand, and then nothing
    is deleted. Asks for confirmation unless --yes; without a terminal to ask on, --yes is
    needed.

    Exit status: 0 deleted (or nothing deployed), 1 refused, declined or a delete failed,
    2 bad input, 130 interrupted.
    """
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.locate import locate
    from polyinfra.deploy.prune import delete_managed, ownership_problem, refusal
    from polyinfra.manifests.links import discover_workspace

    if not yes and not dry_run and not sys.stdin.isatty():
        raise UserError(
            "refusing to delete without confirmation: there is no terminal to ask on",
            hint="pass --yes to delete without asking (or --dry-run to see what would go)",
        )
    calls_timeout = resolve_http_timeout(http_timeout)
    if state.debug:
        log_http_calls()
    ws = discover_workspace(workspace)
    targets = locate(ws, apps, env, region=region)
    clients: dict[str, CloudRunClient] = {}

    def client_for(where: str) -> CloudRunClient:
        if where not in clients:
            clients[where] = CloudRunClient.connect(where, endpoint=endpoint, timeout=calls_timeout)
        return clients[where]

    try:
        doomed = []
        refused = []
        for target in targets:
            ref = target.ref
            described = (
                f"{ref.kind.lower()} {ref.name} (project {ref.namespace}, region {target.region})"
            )
            live = client_for(target.region).get(ref)
            if live is None:
                _show(f"{target.app} ({env}): {described} is not deployed; nothing to remove")
                continue
            problem = ownership_problem(live, target.app, env)
            if problem is not None:
                refused.append(refusal(ref, target.region, problem))
                continue
            doomed.append((target, described))
        for error in refused:
            say(f"error: {error}")
        if refused:
            say("nothing was deleted")
            raise typer.Exit(EXIT_FINDINGS)
        if not doomed:
            return
        if dry_run:
            for target, described in doomed:
                if client_for(target.region).authenticated:
                    client_for(target.region).delete(target.ref, dry_run=True)
                _show(f"{target.app} ({env}): would delete {described}")
            _show("dry run: nothing was deleted")
            return
        if not yes:
            for target, described in doomed:
                say(f"{target.app} ({env}): {described} will be deleted")
            if not typer.confirm(f"Delete {len(doomed)} object(s) from Cloud Run?", default=False):
                say("nothing was deleted")
                raise typer.Exit(EXIT_FINDINGS)
        failed = False
        for target, described in doomed:
            try:
                outcome = delete_managed(
                    client_for(target.region),
                    target.ref,
                    app=target.app,
                    env=env,
                    region=target.region,
                )
            except CloudRunError as exc:
                say(f"error: {target.app} (env {env}): {exc}")
                failed = True
                continue
            if outcome == "absent":
                _show(f"{target.app} ({env}): {described} was already gone")
            else:
                _show(f"{target.app} ({env}): deleted {described}")
        if failed:
            raise typer.Exit(EXIT_FINDINGS)
    except CloudRunError as exc:
        say(f"error: {exc}")
        raise typer.Exit(EXIT_FINDINGS) from None
    finally:
        for client in clients.values():
            client.close()


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("remove")(remove)
