"""Which projects a ``uv.lock`` change reaches: diff the ``[[package]]`` tables of both
revisions and intersect the changed packages with each project's dependency closure."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LockImpact:
    """Either ``everything`` (with the reason it could not be narrowed) or, per project, the
    changed packages in its dependency closure (projects not listed are unaffected)."""

    everything: str | None
    changed_packages: tuple[str, ...]
    projects: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class LockProject:
    """A project as the lock file knows it: its folder (``projects/<name>``) and package name."""

    name: str
    folder: str
    package_name: str | None


def lock_impact(old: bytes | None, new: bytes | None, projects: list[LockProject]) -> LockImpact:
    """Narrow a ``uv.lock`` change to the projects whose installed packages changed: a
    package added or changed in the new lock and in the project's new dependency closure, or
    removed from the lock and in its old closure."""
    if old is None or new is None:
        which = "added" if old is None else "deleted"
        return _everything(f"uv.lock was {which}, so no package-level comparison is possible")
    try:
        old_lock, new_lock = _parse(old), _parse(new)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as exc:
        return _everything(f"uv.lock could not be parsed at both revisions ({exc})")
    old_top, new_top = _settings_part(old_lock), _settings_part(new_lock)
    if old_top != new_top:
        keys = sorted(
            k for k in old_top.keys() | new_top.keys() if old_top.get(k) != new_top.get(k)
        )
        return _everything(f"uv.lock settings outside [[package]] changed ({', '.join(keys)})")
    old_packages, new_packages = _packages(old_lock), _packages(new_lock)
    changed = tuple(
        sorted(name for name, tables in new_packages.items() if old_packages.get(name) != tables)
    )
    removed = tuple(sorted(old_packages.keys() - new_packages.keys()))
    new_graph, old_graph = _dependency_graph(new_packages), _dependency_graph(old_packages)
    new_members, old_members = _members(new_packages), _members(old_packages)
    per_project: dict[str, tuple[str, ...]] = {}
    for project in projects:
        member = _member_of(new_members, project)
        if member is None:
            return _everything(
                f"project {project.name} has no package in uv.lock, so its dependencies are unknown"
            )
        hits = set(changed) & _closure(new_graph, member)
        # A package dropped from the lock reached a project through a package whose table
        # changed (it lost the dependency), except when the project itself is new; the base
        # closure names it either way.
        old_member = _member_of(old_members, project)
        if removed and old_member is not None:
            hits |= set(removed) & _closure(old_graph, old_member)
        if hits:
            per_project[project.name] = tuple(sorted(hits))
    return LockImpact(
        everything=None, changed_packages=tuple(sorted({*changed, *removed})), projects=per_project
    )


def _member_of(members: dict[str, str], project: LockProject) -> str | None:
    member = members.get(f"source:{project.folder}")
    if member is None and project.package_name:
        member = members.get(f"name:{_pep503(project.package_name)}")
    return member


def _settings_part(lock: dict[str, Any]) -> dict[str, Any]:
    """Everything but the packages and the member list: resolver settings that can change
    every resolution. Members come and go with project folders, which are diffed as paths."""
    top = {k: v for k, v in lock.items() if k != "package"}
    manifest = top.get("manifest")
    if isinstance(manifest, dict):
        top["manifest"] = {k: v for k, v in manifest.items() if k != "members"}
    return top


def _everything(reason: str) -> LockImpact:
    return LockImpact(everything=reason, changed_packages=(), projects={})


def _parse(content: bytes) -> dict[str, Any]:
    data = tomllib.loads(content.decode("utf-8"))
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in packages
    ):
        raise ValueError("[[package]] entries without a name")
    return data


def _packages(lock: dict[str, Any]) -> dict[str, list[Any]]:
    """Package name -> its tables (uv writes one per name, more when resolutions fork),
    in a canonical order so two revisions compare equal when nothing changed."""
    grouped: dict[str, list[Any]] = {}
    for table in lock.get("package", []):
        grouped.setdefault(_pep503(table["name"]), []).append(table)
    return {name: sorted(tables, key=repr) for name, tables in grouped.items()}


def _dependency_graph(packages: dict[str, list[Any]]) -> dict[str, set[str]]:
    """Package -> packages it can install: runtime dependencies, every extra and every
    dependency group (more than an image needs, never less)."""
    graph: dict[str, set[str]] = {}
    for name, tables in packages.items():
        targets: set[str] = set()
        for table in tables:
            lists: list[Any] = [table.get("dependencies", [])]
            for key in ("optional-dependencies", "dev-dependencies"):
                groups = table.get(key, {})
                if isinstance(groups, dict):
                    lists.extend(groups.values())
            for entries in lists:
                for entry in entries if isinstance(entries, list) else []:
                    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                        targets.add(_pep503(entry["name"]))
        graph[name] = targets
    return graph


def _members(packages: dict[str, list[Any]]) -> dict[str, str]:
    """Lookup keys (``source:<folder>`` and ``name:<package>``) of local packages."""
    members: dict[str, str] = {}
    for name, tables in packages.items():
        for table in tables:
            source = table.get("source", {})
            if not isinstance(source, dict):
                continue
            folder = source.get("editable") or source.get("virtual") or source.get("directory")
            if isinstance(folder, str):
                members[f"source:{folder.rstrip('/')}"] = name
                members[f"name:{name}"] = name
    return members


def _closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in graph.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _pep503(name: str) -> str:
    """uv writes package names normalized this way; project names may be written otherwise."""
    return re.sub(r"[-_.]+", "-", name).lower()
