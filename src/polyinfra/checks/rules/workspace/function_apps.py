"""A function app as the function rules read it: each rendered Service of an app of kind
``function`` with the project it deploys, what its container's env and its revision's
annotations say about the target and the trigger, the module-level functions of the project's
bricks, and the command the project's Dockerfile starts the image with. Each is read once per
check, whichever rules ask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.rules.cloudrun.shape import (
    Container,
    env_entries,
    ingress_container,
    mapping,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.checks.rules.workspace.start_command import StartCommand, read_start_command
from polyinfra.cloudrun.vocabulary import HTTP_TRIGGER, TEMPLATE_META, TRIGGER_TYPE_ANNOTATION
from polyinfra.errors import RefusedFile
from polyinfra.positions import Position
from polyinfra.workspace import App, Project, Workspace
from polyinfra.workspace.functions import FunctionDef, project_functions
from polyinfra.yamlio import KeyPath

#: The signature types the framework's ``--signature-type`` (``FUNCTION_SIGNATURE_TYPE``)
#: accepts, and how a trigger calls each: with a request (http) or with an event.
SIGNATURE_KINDS = {"http": "http", "typed": "http", "cloudevent": "event", "event": "event"}


@dataclass(frozen=True)
class Setting:
    """A text value of the manifest, with where the user wrote it (the base or overlay)."""

    value: str
    position: Position


@dataclass(frozen=True)
class FunctionRun:
    """One rendered Service of a function app, in one environment.

    ``target`` and ``signature_type`` are the container's ``FUNCTION_TARGET`` and
    ``FUNCTION_SIGNATURE_TYPE`` env values; ``target_written`` says whether an entry for
    ``FUNCTION_TARGET`` exists at all (one read from a secret has no value here). ``trigger``
    is the revision's trigger-type annotation. ``own_command``: the container's ``command``
    or ``args`` replace what the Dockerfile starts.
    """

    app: App
    project: Project
    manifest: Manifest
    container: Container
    target: Setting | None
    target_written: bool
    signature_type: Setting | None
    trigger: Setting | None
    own_command: bool

    @property
    def trigger_kind(self) -> str | None:
        """``http`` or ``event``, as the trigger-type annotation says; None without one."""
        if self.trigger is None:
            return None
        return "http" if self.trigger.value == HTTP_TRIGGER else "event"

    def where(self, ws: Workspace, setting: Setting | None = None) -> str:
        """``file:line`` of ``setting`` (else of the container) relative to the workspace."""
        position = setting.position if setting else self.manifest.position(self.container.path)
        return str(position.relative_to(ws.root))


def function_runs(ctx: CheckContext) -> list[FunctionRun]:
    """Every rendered Service of the function apps under check whose project exists (an app
    with no project, or a missing one, is another rule's business)."""
    return ctx.shared(_function_runs)


def _function_runs(ctx: CheckContext) -> list[FunctionRun]:
    ws = ctx.workspace
    if ws is None:
        return []
    apps = {app.name: app for app in ctx.workspace_apps() if app.kind == "function"}
    found: list[FunctionRun] = []
    for manifest in ctx.services():
        app = apps.get(manifest.app or "")
        project = ws.projects.get(app.project) if app and app.project else None
        container = ingress_container(manifest)
        if app is None or project is None or container is None:
            continue
        env = _env(manifest, container)
        notes = mapping(manifest.get((*TEMPLATE_META, "annotations")))
        trigger = notes.get(TRIGGER_TYPE_ANNOTATION)
        trigger_path = (*TEMPLATE_META, "annotations", TRIGGER_TYPE_ANNOTATION)
        found.append(
            FunctionRun(
                app=app,
                project=project,
                manifest=manifest,
                container=container,
                target=env.get("FUNCTION_TARGET"),
                target_written="FUNCTION_TARGET" in env,
                signature_type=env.get("FUNCTION_SIGNATURE_TYPE"),
                trigger=_setting(manifest, trigger_path, trigger),
                own_command="command" in container.data or "args" in container.data,
            )
        )
    return found


def _env(manifest: Manifest, container: Container) -> dict[str, Setting | None]:
    """The container's env by name (the last entry wins, as in the container); None for an
    entry without a plain text value (``valueFrom``, a placeholder)."""
    found: dict[str, Setting | None] = {}
    for path, entry in env_entries(container):
        name = entry.get("name")
        if isinstance(name, str):
            found[name] = _setting(manifest, (*path, "value"), entry.get("value"))
    return found


def _setting(manifest: Manifest, path: KeyPath, value: Any) -> Setting | None:
    if not isinstance(value, str) or not value or is_templated(value, path):
        return None
    return Setting(value, manifest.position(path, value=True))


def functions_of(ctx: CheckContext) -> dict[str, list[FunctionDef]]:
    """The module-level functions of each function app's project, by project name."""
    return ctx.shared(_functions_of)


def _functions_of(ctx: CheckContext) -> dict[str, list[FunctionDef]]:
    ws = ctx.workspace
    found: dict[str, list[FunctionDef]] = {}
    for run in function_runs(ctx):
        if ws is not None and run.project.name not in found:
            found[run.project.name] = project_functions(run.project, ws.bricks, ws.bounds)
    return found


def start_commands(ctx: CheckContext) -> dict[str, StartCommand]:
    """How each function app's project's Dockerfile starts its image, by project name; a
    project with no Dockerfile, or one that cannot be read, has none (other rules report
    those)."""
    return ctx.shared(_start_commands)


def _start_commands(ctx: CheckContext) -> dict[str, StartCommand]:
    ws = ctx.workspace
    found: dict[str, StartCommand] = {}
    for run in function_runs(ctx):
        dockerfile = run.project.dockerfile
        if ws is None or dockerfile is None or run.project.name in found:
            continue
        try:
            command = read_start_command(dockerfile, ws.bounds)
        except (OSError, UnicodeDecodeError, RefusedFile):
            continue
        if command is not None:
            found[run.project.name] = command
    return found


def start_command_of(ctx: CheckContext, run: FunctionRun) -> StartCommand | None:
    """The command ``run``'s container starts with when it is the Dockerfile's (the container
    sets no ``command`` or ``args`` of its own)."""
    return None if run.own_command else start_commands(ctx).get(run.project.name)
