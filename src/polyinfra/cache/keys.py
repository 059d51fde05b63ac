"""What cache keys are made of: digests of values, files and folders, and of the code and
package versions a cached result depends on."""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

#: Folders whose contents are never an input (bytecode, tools' own state).
SKIPPED_FOLDERS = frozenset(
    {"__pycache__", ".git", ".venv", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)


def digest(*parts: Any) -> str:
    """The sha256 of ``parts`` as canonical JSON (strings, numbers, lists, string-keyed dicts)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    """The sha256 of the file's bytes ("missing" when there is no such file)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return "missing"


class TooLarge(Exception):
    """A folder holds more bytes than a digest of it may read."""


def folder_digest(
    folder: Path, *, skip: frozenset[str] = frozenset(), max_bytes: int | None = None
) -> str:
    """The digest of every file under ``folder`` (relative names and contents; links followed
    as a copy would), except the folders of :data:`SKIPPED_FOLDERS` and the names in ``skip``
    (directly in ``folder``). :class:`TooLarge` when the files hold more than ``max_bytes``."""
    entries: list[tuple[str, str]] = []
    budget = [max_bytes] if max_bytes is not None else None
    _collect(folder, folder, skip, entries, set(), budget)
    return digest(sorted(entries))


def _collect(
    root: Path,
    folder: Path,
    skip: frozenset[str],
    out: list[tuple[str, str]],
    seen: set[Path],
    budget: list[int] | None,
) -> None:
    real = folder.resolve()
    if real in seen:  # a link back up: the copy leaves it out too
        return
    seen = seen | {real}
    try:
        children = sorted(folder.iterdir())
    except OSError:
        out.append((str(folder.relative_to(root)), "unreadable"))
        return
    for child in children:
        if folder == root and child.name in skip:
            continue
        if child.is_dir():
            if child.name not in SKIPPED_FOLDERS:
                _collect(root, child, skip, out, seen, budget)
        elif child.is_file():
            if budget is not None:
                budget[0] -= child.stat().st_size
                if budget[0] < 0:
                    raise TooLarge(str(folder))
            out.append((str(child.relative_to(root)), file_digest(child)))


def package_version(name: str) -> str:
    """The installed version of distribution ``name`` ("" when it is not installed)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


@functools.cache
def code_digest() -> str:
    """polyinfra's version and the digest of its own source: a cached result is never reused
    by other code, even at the same version number (an editable install, a patched copy)."""
    from polyinfra import __version__

    package = Path(__file__).resolve().parents[1]
    return digest(__version__, folder_digest(package))
