"""A function app's image: its project depends on the Functions Framework, and its Dockerfile
starts it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.checks.rules.workspace.function_apps import (
    FunctionRun,
    function_runs,
    start_commands,
)
from polyinfra.errors import RefusedFile, UserError
from polyinfra.workspace import Project, Workspace
from polyinfra.workspace.tomlfile import key_position, load_toml

FRAMEWORK_DISTRIBUTION = "functions-framework"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_START = (
    "`CMD exec functions-framework --source=<the file that defines the function>` (the "
    "framework reads FUNCTION_TARGET, FUNCTION_SIGNATURE_TYPE and PORT from the environment)"
)


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares it.

    >>> canonical_name("Functions_Framework")
    'functions-framework'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _function_apps(ws: Workspace, ctx: CheckContext) -> dict[str, list[str]]:
    """Project name -> the function apps under check that deploy it."""
    found: dict[str, list[str]] = {}
    for app in ctx.workspace_apps():
        if app.kind == "function" and app.project in ws.projects:
            found.setdefault(app.project, []).append(app.name)
    return found


def _named(apps: list[str]) -> str:
    quoted = [repr(name) for name in sorted(apps)]
    return ("function " if len(quoted) == 1 else "functions ") + ", ".join(quoted)


class FunctionsFrameworkDependency(WorkspaceRule):
    """The project a function app deploys depends on ``functions-framework``, in the
    ``dependencies`` of its ``pyproject.toml``'s ``[project]`` table (names compared as
    PEP 503 does: ``Functions_Framework`` is the same distribution).

    The image installs the project's dependencies and starts the framework's
    ``functions-framework`` command; without the dependency the command does not exist and
    every start fails, though Cloud Run accepts the revision. Only ``[project] dependencies``
    count: the Dockerfile polyinfra writes installs no dependency group
    (``uv sync --no-default-groups``), and an optional dependency is installed only when named.
    A project whose dependencies are ``dynamic`` (its build backend supplies them) is not
    checked.

    Bad::

        [project]
        name = "stock-webhook"
        dependencies = ["flask>=3.1"]

    Good::

        [project]
        name = "stock-webhook"
        dependencies = ["flask>=3.1", "functions-framework>=3.10"]
    """

    ID = "workspace/functions-framework-dependency"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for name, apps in sorted(_function_apps(ws, ctx).items()):
            project = ws.projects[name]
            table = _project_table(project)
            if table is None or "dependencies" in _strings(table.get("dynamic")):
                continue
            wanted = canonical_name(FRAMEWORK_DISTRIBUTION)
            dependencies = _strings(table.get("dependencies"))
            names = {canonical_name(m.group(1)) for d in dependencies if (m := _NAME.match(d))}
            if wanted in names:
                continue
            package = project.package_name or project.name
            yield Problem(
                key_position(project.pyproject, ("project",), "dependencies"),
                self.ID,
                f"{ws.rel(project.pyproject)} does not depend on {FRAMEWORK_DISTRIBUTION}, "
                f"which {_named(apps)} runs: the image has no Functions Framework to start",
                hint=f'add "{FRAMEWORK_DISTRIBUTION}" to [project] dependencies (`uv add '
                f"--package {package} {FRAMEWORK_DISTRIBUTION}` adds it and updates uv.lock)",
            )


def _project_table(project: Project) -> dict[str, Any] | None:
    """The ``[project]`` table (empty when there is none); None when the file does not read
    (the workspace reports that when it is discovered)."""
    try:
        data = load_toml(project.pyproject)
    except (UserError, RefusedFile, OSError):
        return None
    table = data.get("project")
    return table if isinstance(table, dict) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


class FunctionStartCommand(WorkspaceRule):
    """The Dockerfile of a function app's project starts the Functions Framework: the command
    its image runs (the final stage's ``CMD``, after an exec-form ``ENTRYPOINT`` if any) runs
    ``functions-framework`` (or ``python -m functions_framework``).

    Anything else runs without the framework, and the revision never serves the function
    (Cloud Run accepts it; its startup probe fails). Also errors: a literal ``--target``
    other than the manifest's ``FUNCTION_TARGET`` (the command line wins, so the manifest's
    target is silently ignored), and a ``$VAR`` in an exec-form command (``CMD ["...",
    "--target=${FUNCTION_TARGET}"]``), which no shell expands, so the framework gets the text
    as written. No ``--target``, ``--target=${FUNCTION_TARGET}`` and
    ``--target=${FUNCTION_TARGET:-name}`` in the shell form are all fine: the framework reads
    ``FUNCTION_TARGET`` itself. A container whose manifest sets ``command`` or ``args`` runs
    those instead, and is not checked.

    Bad::

        CMD ["python", "main.py"]

    Good::

        CMD exec functions-framework --target=${FUNCTION_TARGET}
    """

    ID = "workspace/function-start-command"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        runs = [run for run in function_runs(ctx) if not run.own_command]
        commands = start_commands(ctx)
        by_project: dict[str, list[FunctionRun]] = {}
        for run in runs:
            by_project.setdefault(run.project.name, []).append(run)
        for name, project_runs in sorted(by_project.items()):
            command = commands.get(name)
            if command is None:
                continue
            apps = _named(sorted({run.app.name for run in project_runs}))
            if command.framework is None:
                what = (
                    f"the Dockerfile's {command.keyword} `{_short(command.text)}` does not"
                    if command.keyword is not None
                    else "the Dockerfile sets no CMD or ENTRYPOINT, so its image does not"
                )
                yield Problem(
                    command.position,
                    self.ID,
                    f"{what} start the Functions Framework, which {apps} needs",
                    hint=f"end the Dockerfile with {_START}",
                )
                continue
            if command.unexpanded is not None:
                word, position = command.unexpanded
                yield Problem(
                    position,
                    self.ID,
                    f"the Dockerfile's {command.keyword} is in exec form, so no shell expands "
                    f"{word!r}: the framework receives it as written",
                    hint=f"use the shell form, {_START}",
                )
            flag = command.target
            literal = flag.literal if flag is not None else None
            for run in project_runs:
                if flag is None or literal is None or run.target is None:
                    continue
                if literal != run.target.value:
                    yield Problem(
                        flag.position,
                        self.ID,
                        f"the Dockerfile's --target={literal} overrides FUNCTION_TARGET "
                        f"{run.target.value!r} of function {run.app.name!r} "
                        f"({run.where(ws, run.target)}): the framework serves {literal}",
                        hint="drop --target (the framework reads FUNCTION_TARGET), or write "
                        "--target=${FUNCTION_TARGET}",
                    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
