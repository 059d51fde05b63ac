"""The lock the workflows install from: present, and made from the tool project's
``pyproject.toml`` as it is now."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from polyinfra.workspace.tomlfile import key_position, line_of
from polyinfra.yamlio import read_text

_SYNC = re.compile(r"\buv sync\b[^\n]*--frozen")
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"(?P<spec>[^;@]*?)\s*(?:;.*)?$"
)


class UvLock(WorkspaceRule):
    """A workflow that runs ``uv sync --frozen`` for the tool project (``[tool.polyinfra.ci]
    tool_project``, ``infrastructure`` by default) needs that project's ``uv.lock``, made from
    its ``pyproject.toml`` as it is now.

    Without the lock uv stops ("Unable to find lockfile") and the workflow fails on its first
    step. ``--frozen`` installs a lock as it is, without comparing it with
    ``pyproject.toml``: a lock made before a dependency or a polyinfra source changed installs
    the old set, and what was added is missing at run time. Both are errors; ``uv lock`` in
    the folder (``polyinfra init`` runs it) makes the lock.

    Bad::

        # .github/workflows/check.yaml runs: uv sync --frozen --directory infrastructure
        infrastructure/pyproject.toml      # no infrastructure/uv.lock

    Good::

        infrastructure/pyproject.toml
        infrastructure/uv.lock             # `uv lock --directory infrastructure`, committed
    """

    ID = "workspace/uv-lock"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        folder = ws.settings.ci.tool_project.strip("/") or "."
        tool = (ws.root / folder).resolve()
        pyproject = tool / "pyproject.toml"
        users = _workflow_syncs(ws, folder)
        if not users or not pyproject.is_file():
            return
        command = "uv lock" + ("" if folder == "." else f" --directory {folder}")
        lock = tool / "uv.lock"
        if not lock.is_file():
            yield Problem(
                users[0],
                self.ID,
                f"this workflow runs `uv sync --frozen` in {folder}/, which has no uv.lock: "
                "uv stops with 'Unable to find lockfile'",
                hint=f"run `{command}` and commit {ws.rel(lock)}",
            )
            return
        stale = _difference(pyproject, lock)
        if stale is not None:
            reason, position = stale
            yield Problem(
                position,
                self.ID,
                f"{ws.rel(lock)} was not made from this pyproject.toml ({reason}): "
                "`uv sync --frozen` would install the old set",
                hint=f"run `{command}` and commit {ws.rel(lock)}",
            )


def _workflow_syncs(ws: Workspace, folder: str) -> list[Position]:
    """Where the workspace's GitHub workflows run ``uv sync --frozen`` in ``folder``."""
    found: list[Position] = []
    workflows = ws.root / ".github" / "workflows"
    if not workflows.is_dir():
        return found
    for path in sorted([*workflows.glob("*.yaml"), *workflows.glob("*.yml")]):
        try:
            text = read_text(path)
        except UserError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = _SYNC.search(line)
            if match is None:
                continue
            where = re.search(r"--directory[ =](\S+)", line)
            target = where.group(1).strip("'\"").rstrip("/") if where else "."
            if target == folder:
                found.append(Position(path, number, match.start() + 1))
    return found


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _spec(spec: str) -> frozenset[str]:
    return frozenset(part.replace(" ", "") for part in spec.split(",") if part.strip())


def _same(wanted: Any, have: Any) -> bool:
    """Two source values alike, paths compared without trailing slashes or ``./``."""
    return str(wanted).rstrip("/").removeprefix("./") == str(have).rstrip("/").removeprefix("./")


def _difference(pyproject: Path, lock: Path) -> tuple[str, Position] | None:
    """The first way ``lock`` differs from what ``pyproject``'s dependencies and uv sources
    ask for, and where in ``pyproject``; None when they agree (or cannot be read: other rules
    report unreadable files)."""
    try:
        project: dict[str, Any] = tomllib.loads(read_text(pyproject))
        locked: dict[str, Any] = tomllib.loads(read_text(lock))
    except (UserError, tomllib.TOMLDecodeError):
        return None
    table = project.get("project", {})
    dependencies = table.get("dependencies", []) if isinstance(table, dict) else []
    sources = project.get("tool", {}).get("uv", {}).get("sources", {})
    root = next(
        (
            package
            for package in locked.get("package", [])
            if isinstance(package, dict)
            and isinstance(package.get("source"), dict)
            and package["source"].get("virtual", package["source"].get("editable")) == "."
        ),
        None,
    )
    if root is None:
        return "it has no entry for this project", Position(pyproject, 1, 1)
    recorded = {
        _name(str(item.get("name", ""))): item
        for item in root.get("metadata", {}).get("requires-dist", [])
        if isinstance(item, dict)
    }
    wanted: dict[str, str] = {}
    for dependency in dependencies if isinstance(dependencies, list) else []:
        match = _REQUIREMENT.match(str(dependency))
        if match is not None:
            wanted[_name(match.group("name"))] = match.group("spec")
    start = key_position(pyproject, ("project",), "dependencies")
    for name, spec in wanted.items():
        at = line_of(pyproject, (f'"{name}', f"'{name}"), start)
        item = recorded.get(name)
        if item is None:
            return f"{name} is not in the lock", at
        source = sources.get(name) if isinstance(sources, dict) else None
        if isinstance(source, dict):
            for key in ("path", "git", "url", "rev", "tag", "branch"):
                # uv records an editable path source under `editable`
                have = item.get(key, item.get("editable", "") if key == "path" else "")
                if key in source and not _same(source[key], have):
                    return f"{name} comes from {key} {source[key]!r}, the lock has another", at
        elif _spec(spec) != _spec(str(item.get("specifier", ""))):
            locked_spec = item.get("specifier") or "any version"
            return f"{name}{spec or ' (any version)'} is locked as {locked_spec}", at
    extra = sorted(set(recorded) - set(wanted))
    if extra:
        return f"{extra[0]} is locked but no longer a dependency", start
    return None
