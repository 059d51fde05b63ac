"""`polyinfra run`: a function app served on this machine under the Cloud Run container
contract, or sent one CloudEvent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption

if TYPE_CHECKING:
    from polyinfra.local import LocalFunction
    from polyinfra.workspace import Workspace


def run(
    app: Annotated[str, typer.Argument(help="The function app to run.", metavar="APP")],
    env: Annotated[
        str, typer.Option("--env", "-e", help="Environment (overlay name).", metavar="ENV")
    ] = ...,  # type: ignore[assignment]
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="Port to listen on (default: the container port of the manifest).",
            show_default=False,
            metavar="PORT",
        ),
    ] = None,
    event: Annotated[
        Path | None,
        typer.Option(
            "--event",
            help="Send this CloudEvent (JSON) to the function once it has started, print the "
            "response and stop; exit 1 unless it answers 2xx.",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="Dotenv file (NAME=VALUE lines) with a value for each secret the container "
            "reads from Secret Manager.",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option(
            "--python",
            help="Python interpreter with the Functions Framework (default: the workspace's "
            ".venv, else the one running polyinfra).",
            dir_okay=False,
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Run a function app locally the way Cloud Run runs its container, before deploying it.

    The app is rendered for --env as `render` renders it. Its container's environment is set
    (secrets from --env-file), with PORT, K_SERVICE, K_REVISION and K_CONFIGURATION as Cloud
    Run sets them, and the Functions Framework serves FUNCTION_TARGET from the project's
    bricks on 127.0.0.1. polyinfra waits for the container's startup probe (Cloud Run's
    default: TCP, 240 s) and stops the function if it does not pass.

    Without --event the function is served until Ctrl-C. With --event the CloudEvent is
    POSTed in binary content mode (ce-* headers, the data as the body), as Eventarc delivers
    it.
    """
    from polyinfra import local
    from polyinfra.manifests.links import discover_workspace

    ws = discover_workspace(workspace)
    cloud_event = local.load_event(event) if event is not None else None
    function = local.prepare(ws, app, env, port=port, env_file=env_file, python=python)
    _describe(ws, function)
    with local.stop_requests() as stop:
        try:
            with local.started(function, stop, _show) as process:
                if cloud_event is None:
                    typer.echo(f"Serving {function.app} ({function.target}) on {function.url}")
                    err.print("Press Ctrl-C to stop.")
                    local.serve(function, process, stop)
                    err.print(f"Stopping {function.app}.")
                    return
                err.print(
                    f"Sending {cloud_event.path} ({cloud_event.type}) to {function.url} in "
                    "binary content mode"
                )
                response = local.send(function, cloud_event, stop)
        except KeyboardInterrupt:
            err.print(f"Stopped {function.app}.")
            raise
    typer.echo(f"HTTP {response.status} {response.reason}")
    body = function.redactor(response.body.decode("utf-8", "replace"))
    if body:
        typer.echo(body, nl=not body.endswith("\n"))
    if not response.ok:
        raise typer.Exit(1)


def _show(line: str) -> None:
    """A line of the function's output (its logs), on stderr: stdout is for the command's
    own result."""
    err.print(line)


def _describe(ws: Workspace, function: LocalFunction) -> None:
    """What the function gets: names of its variables, never their values."""
    service = function.service
    defined = function.function
    err.print(
        f"{function.app} ({function.env}): {function.target} from "
        f"{ws.rel(defined.path)}:{defined.line}, signature type {function.signature_type}, "
        f"Python {function.python}"
    )
    if service.env:
        err.print(f"environment: {', '.join(service.env)}")
    if service.secrets:
        names = ", ".join(secret.name for secret in service.secrets)
        err.print(f"secrets from {function.env_file}: {names}")
    if function.unused_keys:
        err.print(
            f"note: {function.env_file} also sets {', '.join(function.unused_keys)}, which the "
            "container reads from no secret: not passed"
        )
    contract = ", ".join(f"{name}={value}" for name, value in function.contract.items())
    err.print(f"set as Cloud Run sets them: {contract}")
    paths = ", ".join(ws.rel(path) for path in function.pythonpath)
    err.print(f"PYTHONPATH: {paths}")
    probe = service.probe
    err.print(f"startup probe: {probe.describe()} on PORT {function.port}, up to {probe.window} s")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("run")(run)
