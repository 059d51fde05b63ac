"""File operations decided before anything is written: create, keep, replace or update."""

from __future__ import annotations

import enum
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    SKIP = "skip"
    UNCHANGED = "unchanged"

    @property
    def writes(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE)


@dataclass(frozen=True)
class FileOperation:
    """One file and what will happen to it. ``content`` is the full new text."""

    path: Path
    action: Action
    content: str
    note: str = ""


def decide(path: Path, content: str, *, force: bool) -> FileOperation:
    """Create a new file; an existing one is kept unless ``force`` (then replaced)."""
    if not path.exists():
        return FileOperation(path, Action.CREATE, content)
    if path.is_file() and path.read_bytes() == content.encode("utf-8"):
        return FileOperation(path, Action.UNCHANGED, content)
    if force:
        return FileOperation(path, Action.REPLACE, content)
    return FileOperation(path, Action.SKIP, content, "exists; --force replaces it")


def edit(path: Path, before: str, after: str, note: str) -> FileOperation:
    """An in-place edit of an existing file (an addition the command is there to make)."""
    if before == after:
        return FileOperation(path, Action.UNCHANGED, after)
    return FileOperation(path, Action.UPDATE, after, note)


@dataclass(frozen=True)
class Plan:
    """Every operation of one command, in the order they are shown and applied."""

    operations: tuple[FileOperation, ...]

    @property
    def writes(self) -> tuple[FileOperation, ...]:
        return tuple(op for op in self.operations if op.action.writes)

    def lines(self, root: Path, *, dry_run: bool = False) -> list[str]:
        """One line per operation, paths relative to ``root``: ``create  infrastructure/...``;
        for a dry run, ``would create  infrastructure/...`` (an operation that writes nothing
        keeps its plain word: ``unchanged``, ``skip``)."""
        result = []
        for op in self.operations:
            try:
                shown = op.path.relative_to(root).as_posix()
            except ValueError:
                shown = str(op.path)
            note = f"  ({op.note})" if op.note else ""
            if dry_run:
                label = f"would {op.action.value}" if op.action.writes else op.action.value
                result.append(f"{label:<15} {shown}{note}")
            else:
                result.append(f"{op.action.value:<9} {shown}{note}")
        return result


def apply(plan: Plan) -> None:
    """Write every operation that writes. Each file is written to a temporary file next to it
    and renamed into place, so a file is either old or new, never half-written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for op in plan.writes:
            op.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=f".{op.path.name}.", dir=op.path.parent)
            temp = Path(temp_name)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(op.content)
            if op.path.exists():
                os.chmod(temp, op.path.stat().st_mode & 0o777)
            else:
                os.chmod(temp, 0o644)
            staged.append((temp, op.path))
        for temp, target in staged:
            os.replace(temp, target)
    finally:
        for temp, _ in staged:
            if temp.exists():
                temp.unlink()


def combine(operations: Iterable[FileOperation]) -> Plan:
    return Plan(tuple(operations))
