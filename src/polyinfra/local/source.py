"""Where the function a function app serves is: the file of the project's bricks that defines
``FUNCTION_TARGET``, and the folders that make the bricks importable."""

from __future__ import annotations

from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App, Workspace
from polyinfra.workspace.functions import FunctionDef, project_functions
from polyinfra.workspace.model import Project


def app_project(ws: Workspace, app: App) -> Project:
    """The project ``app`` deploys; UserError when none is known."""
    project = ws.projects.get(app.project or "")
    if project is None:
        raise UserError(
            f"{app.name}: no project is known for the app, so its function's code is not",
            position=Position(app.path),
            hint=f'map it with [tool.polyinfra.apps.{app.name}] project = "<project>" in '
            "infrastructure/pyproject.toml, or name the project after the app",
        )
    return project


def find_function(ws: Workspace, project: Project, target: str, where: Position) -> FunctionDef:
    """The module-level function ``target`` of ``project``'s bricks (read with ``ast``, never
    imported). When several bricks define one, a base's wins over a component's and, in a
    base, the one in ``core.py`` (the file a function's Dockerfile serves from); otherwise
    the first in the order the project lists its bricks. ``where``: the ``FUNCTION_TARGET``
    value, for the error when there is none."""
    functions = project_functions(project, ws.bricks, ws.bounds)
    found = [f for f in functions if f.name == target]
    if not found:
        names = sorted({f.name for f in functions})
        raise UserError(
            f"FUNCTION_TARGET {target!r} is no module-level function of the bricks of project "
            f"{project.name}{did_you_mean(target, names)}",
            position=where,
            hint=f"define `def {target}(request)` in a brick of the [tool.polylith.bricks] of "
            f"{ws.rel(project.pyproject)}, or set FUNCTION_TARGET to the function it serves",
        )

    def rank(function: FunctionDef) -> tuple[int, int]:
        brick = ws.bricks.get(function.brick)
        is_base = brick is not None and brick.kind == "base"
        return (0 if is_base else 1, 0 if function.path.name == "core.py" else 1)

    return min(found, key=rank)


def brick_roots(ws: Workspace, project: Project) -> tuple[Path, ...]:
    """The folders that hold the namespace package of each of ``project``'s bricks, in the
    order the project lists them: ``<root>/bases`` and ``<root>/components`` in the loose
    theme, ``<root>/bases/<brick>/src`` and so on in the tdd theme."""
    roots: list[Path] = []
    for rel in project.bricks:
        brick = ws.bricks.get(rel)
        if brick is not None and brick.path.parent.parent not in roots:
            roots.append(brick.path.parent.parent)
    return tuple(roots)
