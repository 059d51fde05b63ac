"""A function app made ready to run on this machine: rendered for an environment as `render`
renders it (the image is not used: a stand-in takes its place), its function found in the
project's bricks, its secrets read from a dotenv file, an interpreter that has the Functions
Framework, and the environment its process gets under the Cloud Run container contract."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from polyinfra import proc
from polyinfra.cloudrun.vocabulary import FUNCTION_TARGET_ENV
from polyinfra.errors import UserError
from polyinfra.local.envfile import read_env_file
from polyinfra.local.service import FunctionService, SecretVar, function_service
from polyinfra.local.source import app_project, brick_roots, find_function
from polyinfra.manifests import RenderedApp, RenderOptions, RenderRequest, render
from polyinfra.manifests.placeholders import check_placeholders
from polyinfra.manifests.stand_in import stand_in_image
from polyinfra.positions import Position
from polyinfra.redact import Redactor, workspace_secrets
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App, Workspace
from polyinfra.workspace.functions import FunctionDef

#: The version a local run renders with (VERSION_PLACEHOLDER and the stand-in image's tag).
LOCAL_VERSION = "local"
#: The address the function listens on: this machine only.
HOST = "127.0.0.1"
#: Secret values shorter than this are not masked in what is printed (masking every
#: occurrence of a two-letter value would garble all output).
MIN_MASKED = 4
_INSTALL_HINT = (
    "install it where that Python runs (`uv add functions-framework` in the project, or "
    "`pip install functions-framework`), or pass --python PATH to an interpreter that has it"
)


@dataclass(frozen=True)
class LocalFunction:
    """Everything needed to start one function app locally."""

    app: str
    env: str
    root: Path
    service: FunctionService
    function: FunctionDef
    signature_type: str
    port: int
    python: str
    pythonpath: tuple[Path, ...]
    #: the whole environment of the process
    environment: dict[str, str]
    env_file: Path | None
    #: keys of ``env_file`` that are no secret of the container (not passed)
    unused_keys: tuple[str, ...]
    redactor: Redactor

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def target(self) -> str:
        return self.function.name

    @property
    def contract(self) -> dict[str, str]:
        """What Cloud Run sets in the ingress container, with a revision name that says it is
        local (https://cloud.google.com/run/docs/container-contract)."""
        name = self.service.name
        return {
            "PORT": str(self.port),
            "K_SERVICE": name,
            "K_REVISION": f"{name}-00001-loc",
            "K_CONFIGURATION": name,
        }

    def command(self) -> list[str]:
        """The Functions Framework's command line."""
        return [
            self.python,
            "-m",
            "functions_framework",
            "--target",
            self.target,
            "--source",
            str(self.function.path),
            "--signature-type",
            self.signature_type,
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]


def prepare(
    ws: Workspace,
    name: str,
    env: str,
    *,
    port: int | None = None,
    env_file: Path | None = None,
    python: Path | None = None,
) -> LocalFunction:
    """Everything to run function app ``name`` for environment ``env``; UserError (exit 2)
    for an unknown app or environment, an app that is no function, a function that cannot be
    found, a secret without a value, an interpreter without the Functions Framework or a port
    in use."""
    app = _function_app(ws, name, env)
    service = function_service(_render(ws, app, env))
    target = service.env.get(FUNCTION_TARGET_ENV)
    if not target:
        raise UserError(
            f"{app.name} ({env}): container {service.container} sets no FUNCTION_TARGET, so the "
            "Functions Framework would not know which function to serve",
            position=service.position(service.container_path),
            hint="add env FUNCTION_TARGET: <function name> to the base",
        )
    project = app_project(ws, app)
    where = service.position((*service.env_paths[FUNCTION_TARGET_ENV], "value"), value=True)
    function = find_function(ws, project, target, where)
    signature_type = service.signature_type
    values, unused = _secret_values(app, env, service.secrets, env_file)
    local = LocalFunction(
        app=app.name,
        env=env,
        root=ws.root,
        service=service,
        function=function,
        signature_type=signature_type,
        port=service.port if port is None else port,
        python=_interpreter(ws, python),
        pythonpath=brick_roots(ws, project),
        environment={},
        env_file=env_file,
        unused_keys=unused,
        redactor=_redactor(service, values),
    )
    local = dataclasses.replace(local, environment=_environment(local, values))
    _check_framework(local)
    _check_port_free(local.port)
    return local


def _function_app(ws: Workspace, name: str, env: str) -> App:
    app = ws.app(name)
    if app.kind != "function":
        raise UserError(
            f"{app.name} is a Cloud Run {app.kind}: `polyinfra run` serves functions",
            position=Position(app.path),
            hint="services and jobs run their own containers: build the image with "
            f"`polyinfra build` and run it with docker, or deploy it with `polyinfra deploy "
            f"{app.name} --env {env}`",
        )
    if env not in app.overlays:
        known = ", ".join(app.environments) or "none"
        raise UserError(
            f"app {app.name!r} has no overlay for environment {env!r}"
            f"{did_you_mean(env, app.overlays)}; it has: {known}",
            position=Position(app.overlay_root),
            hint="pick one of its environments with --env",
        )
    return app


def _render(ws: Workspace, app: App, env: str) -> RenderedApp:
    """The app rendered as `render` renders it, with a stand-in for the image."""
    options = RenderOptions(
        version=LOCAL_VERSION,
        placeholders=ws.settings.placeholders.get(env, {}),
        allow_remote_resources=ws.settings.allow_remote_resources,
    )
    check_placeholders(options.placeholders, f"[tool.polyinfra.placeholders.{env}]")
    image = stand_in_image(app.name, LOCAL_VERSION)
    request = RenderRequest(app.name, env, app.overlays[env].path, image)
    return render([request], options).apps[0]


def _secret_values(
    app: App, env: str, secrets: tuple[SecretVar, ...], env_file: Path | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The value of each secret variable, from ``env_file``, and the file's other keys."""
    if env_file is None:
        if secrets:
            listed = ", ".join(f"{s.name} ({s.secret})" for s in secrets)
            raise UserError(
                f"{app.name} ({env}) reads {len(secrets)} {_plural('secret', secrets)} from "
                f"Secret Manager: {listed}",
                hint="pass --env-file FILE with a NAME=VALUE line for each; polyinfra never "
                "reads Secret Manager",
            )
        return {}, ()
    given = read_env_file(env_file)
    missing = [s for s in secrets if s.name not in given]
    if missing:
        listed = ", ".join(f"{s.name} (secret {s.secret}, version {s.version})" for s in missing)
        raise UserError(
            f"no value for the secret {_plural('variable', missing)} {listed}, which "
            f"{app.name} ({env}) reads",
            position=Position(env_file),
            hint=f"add a line NAME=VALUE for each to {env_file}",
        )
    wanted = {s.name for s in secrets}
    return {k: v for k, v in given.items() if k in wanted}, tuple(
        k for k in given if k not in wanted
    )


def _plural(noun: str, items: Sequence[object]) -> str:
    return noun if len(items) == 1 else f"{noun}s"


def _redactor(service: FunctionService, values: dict[str, str]) -> Redactor:
    """Masks the secrets' values and the plain values the workspace would mask (a variable
    named like a credential) in everything printed."""
    masked: set[str] = set()
    for value in values.values():
        if len(value) >= MIN_MASKED:
            # as written, and as a JSON logger or a repr() escapes it
            masked |= {
                value,
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
                repr(value)[1:-1],
            }
    return Redactor(frozenset(masked) | workspace_secrets([service.rendered.data]))


def _interpreter(ws: Workspace, given: Path | None) -> str:
    """``--python``, else the workspace's ``.venv``, else the Python running polyinfra."""
    if given is not None:
        if not given.is_file() or not os.access(given, os.X_OK):
            raise UserError(
                f"--python {given}: no executable file there",
                position=Position(given),
                hint="pass the path of a Python interpreter, e.g. .venv/bin/python",
            )
        return str(given)
    workspace_python = ws.root / ".venv" / "bin" / "python"
    if workspace_python.is_file() and os.access(workspace_python, os.X_OK):
        return str(workspace_python)
    return sys.executable


def _environment(local: LocalFunction, secrets: dict[str, str]) -> dict[str, str]:
    """The process's environment: this one (for PATH, HOME, credentials), without its
    PYTHONPATH; the container's variables; its secrets; what Cloud Run sets; and PYTHONPATH
    with the bricks' folders (the image's ``/app``)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.setdefault("PYTHONUNBUFFERED", "1")  # its logs appear as they are written
    environment.update(local.service.env)
    environment.update(secrets)
    environment.update(local.contract)
    environment["PYTHONPATH"] = os.pathsep.join(str(path) for path in local.pythonpath)
    return environment


def _check_framework(local: LocalFunction) -> None:
    """UserError, with its stderr, when the interpreter cannot import the Functions Framework."""
    done = proc.run(
        [local.python, "-c", "import functions_framework"],
        cwd=local.root,
        env=local.environment,
        check=False,
    )
    if done.returncode != 0:
        stderr = local.redactor(done.stderr.decode("utf-8", "replace").strip())
        lines = stderr.splitlines()[-10:]
        raise UserError(
            f"{local.python} cannot import functions_framework:\n"
            + "\n".join("  " + line for line in lines),
            hint=_INSTALL_HINT,
        )


def _check_port_free(port: int) -> None:
    """UserError when something already listens on ``HOST:port`` (the probe would find it and
    take it for the function)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise UserError(
                f"port {port} on {HOST} is not free: {exc.strerror}",
                hint="stop what listens there, or pass --port with another port",
            ) from None
