"""The git questions change detection asks, each one call through ``polyinfra.proc.run``; every
failure is an error carrying git's stderr, never an empty answer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from polyinfra.errors import ToolError
from polyinfra.proc import run

ChangeStatus = Literal["A", "M", "D", "T"]
_ZERO_SHA = re.compile(r"^0+$")


@dataclass(frozen=True, order=True)
class Change:
    """One changed path between two commits (renames arrive as a delete and an add)."""

    path: str
    status: ChangeStatus


def git(root: Path, *args: str, what: str, input: bytes | None = None) -> bytes:
    """Run ``git -C root args`` and return stdout; a failure raises ToolError with stderr."""
    completed = run(["git", "-C", str(root), *args], input=input, what=what)
    return completed.stdout


def resolve_commit(root: Path, ref: str, role: str) -> str:
    """Full SHA of ``ref``; an all-zero SHA, a missing ref or a shallow clone without the
    commit is a ToolError that says which and how to fix it."""
    if not ref.strip():
        raise ToolError(f"the {role} ref is empty", hint=f"pass --{role} REF")
    if _ZERO_SHA.match(ref):
        raise ToolError(
            f"the {role} ref {ref} is the all-zero SHA (a branch's first push has no "
            "previous commit)",
            hint="pass another base (e.g. origin/main) or --fallback all to treat everything "
            "as affected",
        )
    completed = run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"],
        check=False,
    )
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        hint = "fetch it (`git fetch origin <ref>`) or check the spelling"
        if "not a git repository" in stderr:
            hint = "run polyinfra affected inside a git checkout of the workspace"
        elif is_shallow(root):
            hint = (
                "this is a shallow clone; fetch the full history (actions/checkout with "
                "`fetch-depth: 0`) or `git fetch --unshallow`"
            )
        raise ToolError(
            f"the {role} ref {ref!r} is not a commit in this repository: {stderr}", hint=hint
        )
    return completed.stdout.decode().strip()


def is_shallow(root: Path) -> bool:
    """Whether ``root`` is a shallow clone; only asked to explain another failure, so a
    failure here (not a repository at all) answers False and the first error stands."""
    completed = run(["git", "-C", str(root), "rev-parse", "--is-shallow-repository"], check=False)
    return completed.returncode == 0 and completed.stdout.decode().strip() == "true"


def merge_base(root: Path, base: str, head: str) -> str:
    """The best common ancestor of ``base`` and ``head``."""
    completed = run(["git", "-C", str(root), "merge-base", base, head], check=False)
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        shallow = is_shallow(root)
        reason = stderr or "the commits share no history"
        raise ToolError(
            f"no merge base between {base} and {head}: {reason}",
            hint="fetch the full history (`fetch-depth: 0`)"
            if shallow
            else "pass a base that shares history with head",
        )
    return completed.stdout.decode().strip().splitlines()[0]


def changed_paths(root: Path, old: str, new: str) -> list[Change]:
    """``git diff --no-renames -z --name-status old new``, parsed. Run from the workspace root
    with ``--relative``: paths are workspace-relative and changes outside it are left out."""
    out = git(
        root,
        "diff",
        "--relative",
        "--no-renames",
        "--no-ext-diff",
        "-z",
        "--name-status",
        old,
        new,
        "--",
        what="listing changed files",
    )
    fields = out.split(b"\0")
    changes: list[Change] = []
    index = 0
    while index + 1 < len(fields):
        status_text = fields[index].decode()
        path = fields[index + 1].decode("utf-8", "surrogateescape")
        index += 2
        status = status_text[:1]
        if status not in ("A", "M", "D", "T"):
            raise ToolError(f"unexpected `git diff` status {status_text!r} for {path}")
        changes.append(Change(path=path, status=status))  # type: ignore[arg-type]
    return sorted(changes)


def read_blobs(root: Path, commit: str, paths: Iterable[str]) -> dict[str, bytes | None]:
    """Contents of ``paths`` (relative to ``root``) at ``commit`` in one ``git cat-file --batch``
    call; ``None`` for a path that does not exist there."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    request = "".join(f"{commit}:./{path}\n" for path in wanted).encode()
    out = git(root, "cat-file", "--batch", input=request, what=f"reading files at {commit[:12]}")
    result: dict[str, bytes | None] = {}
    offset = 0
    for path in wanted:
        end = out.index(b"\n", offset)
        header = out[offset:end].decode()
        offset = end + 1
        if header.endswith((" missing", " ambiguous")):
            result[path] = None
            continue
        _sha, kind, size_text = header.rsplit(" ", 2)
        size = int(size_text)
        content = out[offset : offset + size]
        offset += size + 1  # the content is followed by a newline
        result[path] = content if kind == "blob" else None
    return result
