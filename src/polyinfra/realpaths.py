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
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return _real(absolute, memo)
    except RuntimeError:  # a link loop on the way: resolve tells whether the whole path has one
        return path.resolve()


def _real(path: Path, memo: dict[Path, Path]) -> Path:
    """Folder by folder from the nearest one in ``memo`` (or the root), without recursion: a
    path may have thousands of parts."""
    pending: list[Path] = []
    known = path
    while known not in memo and known.parent != known:
        pending.append(known)
        known = known.parent
    resolved = memo.get(known, known)
    for part in reversed(pending):
        if part.name == "..":  # the resolved parent holds no link: its parent is the answer
            resolved = resolved.parent
        else:
            candidate = resolved / part.name
            try:
                mode = os.lstat(candidate).st_mode
            except OSError:
                resolved = candidate  # nothing there: the rest is taken as written, as resolve does
            else:
                resolved = candidate.resolve() if stat.S_ISLNK(mode) else candidate
        memo[part] = resolved
    return resolved
