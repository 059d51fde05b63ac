"""The bricks and projects a change affects: changed bricks, the bricks importing them, and
the projects that include either (at head or at the base revision) or whose locked packages
changed."""

from __future__ import annotations

import posixpath
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from polyinfra.affected.classify import LOCK_FILE, Collected
from polyinfra.affected.lock import LockProject, lock_impact
from polyinfra.affected.model import AffectedBrick, AffectedProject, Reason
from polyinfra.workspace import Workspace

BlobReader = Callable[[Iterable[str]], Mapping[str, bytes | None]]


def affected_bricks(c: Collected) -> tuple[AffectedBrick, ...]:
    bricks: list[AffectedBrick] = []
    for name in sorted(c.bricks.keys() | c.chains.keys()):
        reasons = list(c.bricks.get(name, ()))
        if name in c.chains:
            chain = (name, *c.chains[name])
            changed = chain[-1]
            route = " -> ".join(chain)
            reasons.extend(
                Reason(r.path, f"imports changed brick {changed} ({route})")
                for r in c.bricks[changed]
            )
        bricks.append(
            AffectedBrick(name=name, changed=name in c.bricks, reasons=tuple(sorted(set(reasons))))
        )
    return tuple(bricks)


def affected_projects(
    ws: Workspace, c: Collected, read_base: BlobReader, read_head: BlobReader
) -> tuple[AffectedProject, ...]:
    reasons: dict[str, list[Reason]] = defaultdict(list)
    for name, items in c.project_paths.items():
        reasons[name].extend(items)
    if c.all_projects:
        for name in ws.projects:
            reasons[name].extend(c.all_projects)
    if c.lock_changed:
        _lock_reasons(ws, read_base, read_head, reasons)
    if c.bricks:
        _brick_reasons(ws, c, read_base, reasons)
    return tuple(
        AffectedProject(name=name, reasons=tuple(sorted(set(items))))
        for name, items in sorted(reasons.items())
        if items
    )


def _lock_reasons(
    ws: Workspace, read_base: BlobReader, read_head: BlobReader, reasons: dict[str, list[Reason]]
) -> None:
    old = read_base([LOCK_FILE])[LOCK_FILE]
    new = read_head([LOCK_FILE])[LOCK_FILE]
    lock_projects = [
        LockProject(name=p.name, folder=f"projects/{p.name}", package_name=p.package_name)
        for p in ws.projects.values()
    ]
    impact = lock_impact(old, new, lock_projects)
    if impact.everything is not None:
        why = f"{impact.everything}; every project is treated as affected"
        for name in ws.projects:
            reasons[name].append(Reason(LOCK_FILE, why))
        return
    for name, packages in impact.projects.items():
        listed = ", ".join(packages)
        reasons[name].append(
            Reason(LOCK_FILE, f"locked packages in the project's dependencies changed: {listed}")
        )


def _brick_reasons(
    ws: Workspace, c: Collected, read_base: BlobReader, reasons: dict[str, list[Reason]]
) -> None:
    chains = c.chains
    base_bricks = _base_bricks(ws, c.project_pyprojects, read_base)
    for project in ws.projects.values():
        at_head = set(project.bricks)
        used = at_head | base_bricks.get(project.name, set())
        reached: set[str] = set()
        for brick in sorted(used & c.bricks.keys()):
            how = "includes" if brick in at_head else "included at the base revision"
            reached.add(brick)
            for reason in c.bricks[brick]:
                reasons[project.name].append(
                    Reason(reason.path, f"brick {brick} changed; the project {how} it")
                )
        # A changed brick the project does not include still reaches it through imports;
        # name one route (the first in sorted order) per changed brick.
        for brick in sorted(used & chains.keys()):
            chain = (brick, *chains[brick])
            changed = chain[-1]
            if changed in reached:
                continue
            reached.add(changed)
            how = "includes" if brick in at_head else "included at the base revision"
            for reason in c.bricks[changed]:
                reasons[project.name].append(
                    Reason(
                        reason.path,
                        f"brick {changed} changed; the project {how} {brick}, which imports "
                        f"it ({' -> '.join(chain)})",
                    )
                )


def _base_bricks(ws: Workspace, names: set[str], read_base: BlobReader) -> dict[str, set[str]]:
    """Bricks each project (whose pyproject.toml changed) included at the base revision."""
    files = {name: f"projects/{name}/pyproject.toml" for name in sorted(names)}
    blobs = read_base(files.values())
    found: dict[str, set[str]] = {}
    for name, path in files.items():
        content = blobs.get(path)
        if content is None:
            continue
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # the project is affected through its own pyproject.toml change anyway
        found[name] = {posixpath.normpath(f"projects/{name}/{key}") for key in _brick_keys(data)}
    return found


def _brick_keys(data: dict[str, Any]) -> list[str]:
    tool = data.get("tool", {})
    keys: list[str] = []
    bricks = tool.get("polylith", {}).get("bricks", {})
    if isinstance(bricks, dict):
        keys.extend(str(key) for key in bricks)
    for package in tool.get("poetry", {}).get("packages", []) or []:
        if isinstance(package, dict) and "include" in package:
            keys.append(f"{package.get('from', '.')}/{package['include']}")
    return keys
