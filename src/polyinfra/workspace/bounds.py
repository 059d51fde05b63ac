"""Where the files read on behalf of a workspace may be and how large they may be: inside its
root, at most ``[tool.polyinfra] max_file_size`` bytes (see :class:`~polyinfra.yamlio.Bounds`)."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from polyinfra.errors import UserError
from polyinfra.yamlio.text import MAX_FILE_SIZE, Bounds


def workspace_bounds(root: Path, max_size: int) -> Bounds:
    """The bounds of the workspace at ``root`` whose settings allow files of ``max_size``."""
    return Bounds(root.resolve(), int(max_size))


def bounds_of(start: Path) -> Bounds:
    """The bounds of the workspace around ``start`` (for code given a path, not a workspace:
    a render of an overlay folder); outside any workspace, no root and the default size.

    The size comes from the raw ``[tool.polyinfra]`` table: a wrong value is reported where the
    workspace's settings are validated, and the default applies meanwhile.
    """
    from polyinfra.workspace.discover import find_root

    try:
        root = find_root(start)
    except UserError:
        return Bounds()
    pyproject = root / "infrastructure" / "pyproject.toml"
    try:
        info = pyproject.stat()
    except OSError:
        return workspace_bounds(root, MAX_FILE_SIZE)
    return workspace_bounds(root, _max_file_size(pyproject, info.st_mtime_ns, info.st_size))


@functools.lru_cache(maxsize=64)
def _max_file_size(pyproject: Path, mtime_ns: int, size: int) -> int:
    """``max_file_size`` of one version of ``pyproject`` (default when absent or invalid)."""
    from polyinfra.workspace.settings import FileSize
    from polyinfra.workspace.tomlfile import load_toml

    try:
        table = load_toml(pyproject).get("tool", {}).get("polyinfra", {})
    except UserError:
        return MAX_FILE_SIZE
    value = table.get("max_file_size") if isinstance(table, dict) else None
    if value is None:
        return MAX_FILE_SIZE
    try:
        return int(TypeAdapter(FileSize).validate_python(value))
    except ValidationError:
        return MAX_FILE_SIZE
