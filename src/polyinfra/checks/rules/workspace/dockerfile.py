"""A project's Dockerfile copies exactly the bricks its ``pyproject.toml`` includes."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position
from polyinfra.workspace import Project, Workspace

_BRICK_ROOTS = ("bases/", "components/")


@dataclass(frozen=True)
class CopyLine:
    """One source of a ``COPY`` instruction that names a brick folder."""

    source: str
    position: Position


def brick_copies(dockerfile: Path) -> tuple[list[CopyLine], Position | None]:
    """Brick sources copied by ``dockerfile`` (``--from`` stages excluded), and the position of
    its ``COPY .../pyproject.toml`` line (where the brick copies are expected to follow)."""
    copies: list[CopyLine] = []
    anchor: Position | None = None
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        start = number
        text = lines[number]
        # instructions continue over lines that end with a backslash
        while text.rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            text = text.rstrip()[:-1] + " " + lines[number]
        number += 1
        stripped = text.strip()
        if not stripped.upper().startswith(("COPY ", "ADD ")):
            continue
        col = lines[start].index(lines[start].lstrip()[0]) + 1
        position = Position(dockerfile, start + 1, col)
        try:
            words = shlex.split(stripped, posix=True)[1:]
        except ValueError:
            continue
        if any(word.startswith("--from") for word in words):
            continue
        args = [word for word in words if not word.startswith("--")]
        sources = args[:-1]
        for source in sources:
            clean = source.removeprefix("./").rstrip("/")
            if clean.endswith("pyproject.toml") and anchor is None:
                anchor = position
            if clean.startswith(_BRICK_ROOTS) or f"{clean}/" in _BRICK_ROOTS:
                copies.append(CopyLine(clean, position))
    return copies, anchor


def bricks_for(source: str, ws: Workspace) -> list[str]:
    """The bricks a COPY source brings in: one brick, every brick under a folder, or none."""
    if source in ws.bricks:
        return [source]
    inside = [rel for rel in ws.bricks if rel.startswith(source + "/")]
    if inside:
        return inside
    return [rel for rel in ws.bricks if source.startswith(rel + "/")]


class DockerfileBricks:
    """A project's Dockerfile copies exactly the bricks in its ``[tool.polylith.bricks]``.

    A missing brick is an ``ImportError`` at run time; an extra one ships code (and its
    dependencies' assumptions) the project does not declare. Both are reported at the
    Dockerfile, the file to edit.

    Bad::

        # projects/my_job/pyproject.toml includes bases/ns/my_job and components/ns/log
        COPY bases/ns/my_job/ ./ns/my_job/
        COPY components/ns/settings/ ./ns/settings/

    Good::

        COPY components/ns/log/ ./ns/log/
        COPY bases/ns/my_job/ ./ns/my_job/
    """

    ID = "workspace/dockerfile-bricks"
    LEVEL = Level.ERROR
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        for project in ws.projects.values():
            if project.dockerfile is not None:
                yield from self._check_project(ws, project, project.dockerfile)

    def _check_project(
        self, ws: Workspace, project: Project, dockerfile: Path
    ) -> Iterator[Problem]:
        try:
            copies, anchor = brick_copies(dockerfile)
        except (OSError, UnicodeDecodeError) as exc:
            yield Problem(
                Position(dockerfile, 1, 1),
                self.ID,
                f"cannot read the Dockerfile: {exc}",
                hint="save it as UTF-8 text",
            )
            return
        wanted = set(project.bricks)
        copied: set[str] = set()
        pyproject = ws.rel(project.pyproject)
        for copy in copies:
            bricks = bricks_for(copy.source, ws)
            copied.update(bricks)
            extra = [rel for rel in bricks if rel not in wanted]
            if not bricks:
                yield Problem(
                    copy.position,
                    self.ID,
                    f"COPY {copy.source}: no such brick in the workspace",
                    hint=f"copy only the bricks listed in {pyproject}",
                )
            elif extra:
                yield Problem(
                    copy.position,
                    self.ID,
                    f"COPY {copy.source} copies {', '.join(extra)}, which {pyproject} does not "
                    "include",
                    hint=f"remove the line, or add the brick to [tool.polylith.bricks] in "
                    f"{pyproject}",
                )
        missing = sorted(wanted - copied)
        if missing:
            where = copies[-1].position if copies else anchor or Position(dockerfile, 1, 1)
            yield Problem(
                where,
                self.ID,
                f"the Dockerfile does not copy {', '.join(missing)}, which {pyproject} includes",
                hint="add " + "; ".join(f"`COPY {rel}/ ./{_target(rel, ws)}/`" for rel in missing),
            )


def _target(rel: str, ws: Workspace) -> str:
    return f"{ws.namespace}/{rel.rsplit('/', 1)[-1]}"
