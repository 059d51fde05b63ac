"""`polyinfra sync dockerfile`: a project's Dockerfile copies exactly its bricks.

Only the brick ``COPY`` lines change: a brick the project no longer lists loses its line, a
new one gets a line in the form of its neighbours, next to the brick it follows in
``[tool.polylith.bricks]``; every other byte stays. A Dockerfile that installs the project's
wheel (the bricks are inside it) or copies no brick one by one is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.checks.rules.workspace.dockerfile import bricks_for, image_bricks
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.scaffold.dockerfile import package_path
from polyinfra.workspace import Project, Workspace
from polyinfra.workspace.discover import listed_bricks
from polyinfra.yamlio import read_text

#: ``COPY [--flags] SOURCE DEST`` on one line: the form sync reads and writes.
_ONE_SOURCE_COPY = re.compile(
    r"^(?P<head>\s*COPY\s+(?:--\S+\s+)*)(?P<src>[^\s\"'\[]\S*)(?P<gap>\s+)(?P<dest>\S+)\s*$",
    re.IGNORECASE,
)
_BRICK_ROOTS = ("bases", "components")


@dataclass(frozen=True)
class Finding:
    """One difference (or one thing sync cannot change) at the line it concerns."""

    position: Position
    message: str


@dataclass
class DockerfileSync:
    """What syncing one project's Dockerfile changes.

    ``added``/``dropped``: the bricks whose lines it adds or removes; ``differences``: each at
    its line, for ``--check``; ``manual``: what it cannot change (a brick dropped from a
    ``COPY`` of several); ``left_alone``: why the file has no brick line to sync.
    """

    project: Project
    path: Path
    text: str
    new_text: str
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    differences: list[Finding] = field(default_factory=list)
    manual: list[Finding] = field(default_factory=list)
    left_alone: str | None = None

    @property
    def changed(self) -> bool:
        return self.new_text != self.text


@dataclass(frozen=True)
class _Line:
    """A ``COPY`` line that copies one brick (or a brick-shaped folder that is no brick)."""

    index: int
    brick: str
    source: str  # as written
    match: re.Match[str]


def sync_dockerfile(ws: Workspace, project: Project) -> DockerfileSync:
    """The Dockerfile of ``project`` with its brick ``COPY`` lines made to match its bricks."""
    assert project.dockerfile is not None
    path = project.dockerfile
    text = read_text(path, bounds=ws.bounds)
    try:
        image = image_bricks(path, project, ws)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {ws.rel(path)}: {exc}", position=Position(path)) from exc
    result = DockerfileSync(project, path, text, text)
    package = project.package_name or project.name
    if image.wheel:
        result.left_alone = (
            f"installs the wheel of {package}, which holds its bricks: no brick COPY line to sync"
        )
        return result
    if not image.copies:
        how = "copies the whole build context" if image.whole_context else "copies no brick"
        result.left_alone = f"{how} and installs no wheel of {package}: no brick COPY line to sync"
        return result

    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    pyproject = ws.rel(project.pyproject)
    wanted = listed_bricks(project, ws.root, ws.namespace, ws.bricks)
    editable: dict[str, _Line] = {}
    fixed: set[str] = set()  # bricks a line sync does not edit brings in
    for copy in image.copies:
        line = _one_brick_line(ws, lines, copy.position.line - 1, copy.source)
        if line is not None:
            editable.setdefault(line.brick, line)
            continue
        for brick in bricks_for(copy.source, ws):
            if brick in wanted:
                fixed.add(brick)
            elif copy.position not in (f.position for f in result.manual):
                result.manual.append(
                    Finding(
                        copy.position,
                        f"COPY {copy.source} brings in brick {brick}, which {pyproject} does "
                        "not list, in a form sync does not edit: change this line by hand",
                    )
                )
    kept = {brick: line for brick, line in editable.items() if brick in wanted}
    dropped = [line for brick, line in editable.items() if brick not in wanted]
    missing = [brick for brick in wanted if brick not in kept and brick not in fixed]

    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    for brick in missing:
        at = wanted.index(brick)
        previous = next((kept[b] for b in reversed(wanted[:at]) if b in kept), None)
        following = next((kept[b] for b in wanted[at + 1 :] if b in kept), None)
        if previous is not None:
            new = _copy_line(ws, previous, brick)
            after.setdefault(previous.index, []).append(new)
            where = Position(path, previous.index + 2, 1)
        elif following is not None or dropped:
            # before the brick it precedes, else where the first dropped brick was
            neighbour = following if following is not None else min(dropped, key=_index)
            new = _copy_line(ws, neighbour, brick)
            before.setdefault(neighbour.index, []).append(new)
            where = Position(path, neighbour.index + 1, 1)
        else:
            result.manual.append(
                Finding(
                    image.copies[-1].position,
                    f"does not copy brick {brick}, which {pyproject} lists, and has no "
                    f"one-brick COPY line to put it next to: add `COPY {brick}/ "
                    f"./{package_path(ws, brick)}/` by hand",
                )
            )
            continue
        result.added.append(brick)
        result.differences.append(
            Finding(
                where,
                f"does not copy brick {brick}, which {pyproject} lists (sync adds `{new}` here)",
            )
        )
    for line in dropped:
        result.dropped.append(line.brick)
        col = lines[line.index].index(line.source) + 1
        result.differences.append(
            Finding(
                Position(path, line.index + 1, col),
                f"copies brick {line.brick}, which {pyproject} does not list",
            )
        )
    result.differences.sort(key=lambda f: (f.position.line, f.position.col))
    result.manual.sort(key=lambda f: (f.position.line, f.position.col))

    removed = {line.index for line in dropped}
    out: list[str] = []
    for index, text_line in enumerate(lines):
        out.extend(f"{new}{newline}" for new in before.get(index, ()))
        if index in removed:
            continue
        if index in after and not text_line.endswith(("\n", "\r")):
            text_line += newline
        out.append(text_line)
        out.extend(f"{new}{newline}" for new in after.get(index, ()))
    result.new_text = "".join(out)
    return result


def _index(line: _Line) -> int:
    return line.index


def _one_brick_line(ws: Workspace, lines: list[str], index: int, source: str) -> _Line | None:
    """The line at ``index`` when it is a one-line ``COPY`` of the brick ``source`` alone (or
    of a brick-shaped folder that is no brick: one removed from the workspace)."""
    if index >= len(lines):
        return None
    raw = lines[index].rstrip("\r\n")
    match = _ONE_SOURCE_COPY.match(raw)
    if match is None or match.group("dest") in ("\\", "`"):
        return None  # not one physical line, or several sources
    written = match.group("src")
    if _clean(written) != source:
        return None
    if source not in ws.bricks and (bricks_for(source, ws) or not _brick_shaped(source)):
        return None
    return _Line(index, source, written, match)


def _clean(source: str) -> str:
    cleaned = source.strip("/")
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    return cleaned


def _brick_shaped(source: str) -> bool:
    """``bases/<ns>/<brick>`` (loose theme) or ``bases/<brick>/src/<ns>/<brick>`` (tdd)."""
    parts = source.split("/")
    if not parts or parts[0] not in _BRICK_ROOTS:
        return False
    return len(parts) == 3 or (len(parts) == 5 and parts[2] == "src" and parts[1] == parts[4])


def _copy_line(ws: Workspace, neighbour: _Line, brick: str) -> str:
    """A ``COPY`` line for ``brick`` in the form of ``neighbour``'s: its flags, spacing,
    ``./`` and trailing ``/``, and its destination with the package path changed."""
    match = neighbour.match
    source = neighbour.source.replace(neighbour.brick, brick, 1)
    dest = match.group("dest")
    old = _package(ws, neighbour.brick)
    new = package_path(ws, brick)
    if old in dest:
        dest = dest.replace(old, new, 1)
    else:
        old_name, new_name = old.rsplit("/", 1)[-1], new.rsplit("/", 1)[-1]
        head, found, tail = dest.rpartition(old_name)
        dest = f"{head}{new_name}{tail}" if found else dest
    return f"{match.group('head')}{source}{match.group('gap')}{dest}"


def _package(ws: Workspace, brick: str) -> str:
    """The package path of ``brick``, also for a brick no longer in the workspace."""
    if brick in ws.bricks:
        return package_path(ws, brick)
    return f"{ws.namespace}/{brick.rsplit('/', 1)[-1]}"
