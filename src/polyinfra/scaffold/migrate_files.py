"""The files `migrate three-stack` edits besides the stack files: each program's
``Pulumi.yaml`` (its name) and the ``[tool.polyinfra]`` paths that point into the program."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.positions import Position
from polyinfra.workspace.bounds import bounds_of
from polyinfra.yamlio import load_text, read_text
from polyinfra.yamlio.nodes import Node, node_tree

SERVICES = "services"


def pulumi_yaml(text: str, path: Path, old_name: str, new_name: str) -> str:
    """``Pulumi.yaml``'s ``text`` with the project named ``new_name``: its ``name`` and the
    project's own ``config`` keys (``<old name>:<key>``); every other byte is kept."""
    load_text(text, path)  # invalid YAML is an error at its line
    root = node_tree(text).root
    name = root.get("name") if root is not None and root.kind == "mapping" else None
    if name is None or name.kind != "scalar" or name.value != old_name:
        raise UserError(
            f"{path.name} has no `name: {old_name}` to rename",
            position=Position(path, 1, 1),
            hint="write the project's name as `name: <name>` at the top of the file",
        )
    edits: list[tuple[Node, str]] = [(name, _quoted_like(_text(text, name), new_name))]
    config = root.get("config") if root is not None else None
    for entry in config.entries if config is not None and config.kind == "mapping" else ():
        if entry.key is not None and entry.key.startswith(f"{old_name}:"):
            written = _text(text, entry.key_node)
            edits.append((entry.key_node, written.replace(f"{old_name}:", f"{new_name}:", 1)))
    result = _replace(text, edits)
    data = load_text(result, path).data
    if not isinstance(data, dict) or data.get("name") != new_name:
        raise PolyinfraError(f"{path}: renaming the project to {new_name} did not work")
    return result


def _text(text: str, node: Node) -> str:
    lines = text.splitlines(keepends=True)
    (l1, c1), (l2, c2) = node.start, node.end
    if l1 == l2:
        return lines[l1][c1:c2]
    return lines[l1][c1:] + "".join(lines[l1 + 1 : l2]) + lines[l2][:c2]


def _quoted_like(written: str, value: str) -> str:
    quote = written[:1] if written[:1] in ("'", '"') else ""
    return f"{quote}{value}{quote}"


def _replace(text: str, edits: Iterable[tuple[Node, str]]) -> str:
    """``text`` with each node's text replaced (nodes on one line each)."""
    lines = text.splitlines(keepends=True)
    for node, new in sorted(edits, key=lambda e: e[0].start, reverse=True):
        (l1, c1), (l2, c2) = node.start, node.end
        if l1 != l2:
            raise PolyinfraError(f"a value written across lines: line {l1 + 1}")
        lines[l1] = lines[l1][:c1] + new + lines[l1][c2:]
    return "".join(lines)


# --- [tool.polyinfra] -------------------------------------------------------------------------


def rewrite_settings(
    pyproject: Path, program: str, platform_names: set[str]
) -> tuple[str, str] | None:
    """``pyproject``'s text with every ``[tool.polyinfra]`` path inside the program folder
    ``program`` (relative to the workspace root) pointing where the file is after the move:
    ``services/...``, or ``*/...`` for what both programs have (``Pulumi.sandbox.yaml``); and
    what changed. None when nothing does."""
    text = read_text(pyproject, bounds=bounds_of(pyproject))
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        line, col = getattr(exc, "line", 0), getattr(exc, "col", 0)
        raise UserError(
            f"invalid TOML: {exc}", position=Position(pyproject, line, col), hint="fix the file"
        ) from exc
    settings = doc.get("tool", {}).get("polyinfra")
    if not isinstance(settings, dict):
        return None
    changed: list[str] = []

    def fix(value: Any, where: str) -> Any:
        if not isinstance(value, str):
            return value
        new = moved_path(value, program, platform_names)
        if new != value:
            changed.append(f"{where}: {value} -> {new}")
        return new

    affected = settings.get("affected")
    if isinstance(affected, dict):
        for key in ("ignore", "global_files"):
            items = affected.get(key)
            if isinstance(items, list):
                for index, item in enumerate(items):
                    new = fix(item, f"affected.{key}")
                    if new != item:
                        items[index] = new
    paths = settings.get("app_paths")
    paths = paths if isinstance(paths, list) else []
    for index, item in enumerate(paths):
        if isinstance(item, str):
            new = fix(item, "app_paths")
            if new != item:
                paths[index] = new
        elif isinstance(item, dict) and isinstance(item.get("glob"), str):
            new = fix(item["glob"], "app_paths.glob")
            if new != item["glob"]:
                item["glob"] = new
    apps = settings.get("apps")
    for app, table in apps.items() if isinstance(apps, dict) else ():
        if isinstance(table, dict) and isinstance(table.get("path"), str):
            new = fix(table["path"], f'apps."{app}".path')
            if new != table["path"]:
                table["path"] = new
    if not changed:
        return None
    return tomlkit.dumps(doc), "[tool.polyinfra] " + "; ".join(changed)


def moved_path(pattern: str, program: str, platform_names: set[str]) -> str:
    """Where a path or gitignore pattern inside ``program`` points after the move: a name both
    programs have (their stack files, ``Pulumi.yaml``, ``__main__.py``) is matched in both
    (``*/``), anything else in ``services/``; ``**`` and the folder itself still match."""
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    anchored = body.startswith("/")
    stripped = body.lstrip("/")
    prefix = program.rstrip("/") + "/"
    if not stripped.startswith(prefix):
        return pattern
    rest = stripped[len(prefix) :]
    if not rest or rest.startswith("**"):
        return pattern
    first = rest.split("/", 1)[0]
    both = any(fnmatch.fnmatchcase(name, first) for name in platform_names)
    new = f"{prefix}{'*' if both else SERVICES}/{rest}"
    return ("!" if negated else "") + ("/" if anchored else "") + new
