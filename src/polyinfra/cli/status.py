"""`polyinfra status`: what runs where, whether it is ready, whether it drifted from the tree."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

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
)
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_FINDINGS, UserError


class Format(StrEnum):
    text = "text"
    json = "json"


def status(
    apps: Annotated[
        list[str] | None,
        typer.Argument(
            help="Apps to show (default: every app with an overlay for the environment, and "
            "the objects polyinfra deployed there for apps the tree no longer has).",
            show_default=False,
            metavar="APP",
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Environment (overlay name).", show_default=False),
    ] = None,
    all_envs: Annotated[
        bool, typer.Option("--all-envs", help="Every environment some app has an overlay for.")
    ] = False,
    output_format: Annotated[
        Format,
        typer.Option("--format", "-f", help="text or json.", metavar="FORMAT"),
    ] = Format.text,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff", help="Under each drifted app, the fields that differ (as deploy --dry-run)."
        ),
    ] = False,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help="Exit 1 unless every app is deployed, Ready and without drift, and nothing "
            "deployed is missing from the tree.",
        ),
    ] = False,
    image: ImageOption = None,
    registry: RegistryOption = None,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    http_timeout: HttpTimeoutOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Show per app and environment what Cloud Run runs: kind, the version each serving
    revision carries, Ready, the traffic split, the URL, when it was deployed, and drift:
    whether the live object differs from what the tree renders at that version (stamped as
    deploy stamps it; the traffic split and the fields Cloud Run owns do not count).

    Apps with an overlay but nothing deployed are listed as `not deployed`; objects that
    carry polyinfra's labels for the environment, in the projects and regions its apps use,
    but belong to no app of the tree as `not in tree`.

    Pass the --image/--registry the apps were deployed with, or their image shows as drift.

    Exit status: 0 (with --exit-code: 1 when an app is not deployed, not Ready, drifted or of
    unknown drift, or something is not in the tree), 1 a Cloud Run call failed, 2 bad input,
    130 interrupted.
    """
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.rollout import default_client_factory
    from polyinfra.deploy.status import StatusRequest, collect_status
    from polyinfra.deploy.status_display import status_json, status_text
    from polyinfra.manifests import parse_image_options
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.redact import Redactor

    if env is not None and all_envs:
        raise UserError("pass --env ENV or --all-envs, not both")
    if env is None and not all_envs:
        raise UserError(
            "no environment given", hint="pass --env ENV, or --all-envs for every environment"
        )
    if state.debug:
        log_http_calls()
    ws = discover_workspace(workspace)
    if all_envs:
        for name in apps or ():
            ws.app(name)  # UserError for an unknown app
    request = StatusRequest(
        apps=tuple(apps or ()),
        envs=ws.environments if all_envs else (str(env),),
        images=parse_image_options(image or [], ws),
        registry=registry,
        region=region,
    )
    report = collect_status(
        ws,
        request,
        client_factory=default_client_factory(
            endpoint, http_timeout=resolve_http_timeout(http_timeout)
        ),
    )
    text = status_json(report) if output_format is Format.json else status_text(report, diff=diff)
    out.print(text, markup=False, highlight=False)
    redact = Redactor(report.secrets)
    for message in report.errors:
        err.print(f"error: {redact(message)}", markup=False, highlight=False)
    if report.failed or (exit_code and not report.ok):
        raise typer.Exit(EXIT_FINDINGS)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("status")(status)
