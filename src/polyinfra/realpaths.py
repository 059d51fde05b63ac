"""Resolving many paths that share folders.

``Path.resolve`` reads every component of the path it is given (an ``lstat`` each), so walking
a few hundred kustomization trees, whose files share their folders, read the same folders
thousands of times. Inside :func:`resolving`, :func:`real` resolves each folder once: a path is
its resolved parent joined with its name, and only a name that is a symbolic link is followed
(with ``Path.resolve``, so a link loop is still refused the same way). Outside it, :func:`real`
is ``Path.resolve``. The memory lasts for the ``with`` block only: a link changed later is
seen by the next one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_MEMO: ContextVar[dict[Path, Path] | None] = ContextVar("polyinfra_real_paths", default=None)


@contextmanager
def resolving() -> Iterator[None]:
    """Remember resolved folders until the block ends (a block inside another shares its
    memory)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def real(path: Path) -> Path:
    """``path.resolve()``, from memory inside :func:`resolving`."""
    memo = _MEMO.get()
    if memo is None:
        return path.resolve()
    return _real(path if path.is_absolute() else Path.cwd() / path, memo)


def _real(path: Path, memo: dict[Path, Path]) -> Path:
    found = memo.get(path)
    if found is not None:
        return found
    parent = path.parent
    if parent == path:  # the file system's root
        result = path
    elif path.name == "..":  # the resolved parent holds no link: its parent is the answer
        result = _real(parent, memo).parent
    else:
        candidate = _real(parent, memo) / path.name
        try:
            mode = os.lstat(candidate).st_mode
        except OSError:
            result = candidate  # nothing there: the rest is taken as written, as resolve does
        else:
            result = candidate.resolve() if stat.S_ISLNK(mode) else candidate
    memo[path] = result
    return result
