"""`polyinfra sync dockerfile`: a project's Dockerfile copies exactly its bricks.

Only the brick ``COPY`` lines change: a brick the project no longer lists loses its line, a
new one gets a line in the form of its neighbours, after them; every other byte stays. A
Dockerfile that copies no brick (it installs the project's wheel) is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.positions import Position
from polyinfra.workspace import Project, Workspace
from polyinfra.yamlio import read_text

#: ``COPY [--flags] <bases|components>/<ns>/<brick>[/] <dest>`` on one line.
_BRICK_COPY = re.compile(
    r"^(?P<head>\s*COPY\s+(?:--\S+\s+)*)(?P<src>(?:bases|components)/[^\s/]+/[^\s/]+)/?"
    r"(?P<tail>\s+\S+\s*)$",
    re.IGNORECASE,
)
#: The line `polyinfra add` writes where the bricks go while a project lists none.
PLACEHOLDER = "# (none listed yet: `polyinfra sync dockerfile` adds them)"


@dataclass
class DockerfileSync:
    """What syncing one project's Dockerfile changes: ``dropped`` bricks (with the line that
    copies each), ``added`` bricks (with the line after which they go), and the new text."""

    project: str
    path: Path
    text: str
    new_text: str
    dropped: list[tuple[str, Position]] = field(default_factory=list)
    added: list[tuple[str, Position]] = field(default_factory=list)
    copies_no_brick: bool = False

    @property
    def changed(self) -> bool:
        return self.new_text != self.text


def sync_dockerfile(ws: Workspace, project: Project) -> DockerfileSync:
    """The Dockerfile of ``project`` with its brick COPY lines made to match its bricks."""
    assert project.dockerfile is not None
    path = project.dockerfile
    text = read_text(path)
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    found: dict[str, int] = {}
    for index, line in enumerate(lines):
        match = _BRICK_COPY.match(line.rstrip("\r\n"))
        if match is not None:
            found.setdefault(match.group("src"), index)
    placeholder = next((i for i, line in enumerate(lines) if line.strip() == PLACEHOLDER), None)
    result = DockerfileSync(project.name, path, text, text)
    if not found and placeholder is None:
        result.copies_no_brick = True
        return result
    wanted = list(project.bricks)
    dropped = {src: i for src, i in found.items() if src not in wanted}
    missing = [brick for brick in wanted if brick not in found]
    for src, index in dropped.items():
        col = lines[index].index(src) + 1
        result.dropped.append((src, Position(path, index + 1, col)))
    if found:
        anchor = max(found.values())
        template = lines[min(found.values())].rstrip("\r\n")
        template_src = next(src for src, i in found.items() if i == min(found.values()))
    else:
        assert placeholder is not None
        anchor = placeholder
        template_src = ""
        template = ""
    new_lines = [f"{_copy_line(template, template_src, brick)}{newline}" for brick in missing]
    for brick in missing:
        result.added.append((brick, Position(path, anchor + 1, 1)))
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in dropped.values():
            continue
        if index == placeholder and missing:
            out.extend(new_lines)
            continue
        out.append(line)
        if index == anchor and found and missing:
            if not line.endswith(("\n", "\r")):
                out[-1] = line + newline
            out.extend(new_lines)
    result.new_text = "".join(out)
    return result


def _copy_line(template: str, template_src: str, brick: str) -> str:
    """A COPY line for ``brick`` in the form of ``template`` (which copies ``template_src``),
    or the form `polyinfra add` writes."""
    package = brick.split("/", 1)[1]
    match = _BRICK_COPY.match(template)
    if match is None:
        return f"COPY {brick}/ ./{package}/"
    slash = "/" if template[match.end("src") : match.end("src") + 1] == "/" else ""
    tail = match.group("tail").replace(template_src.split("/", 1)[1], package, 1)
    return f"{match.group('head')}{brick}{slash}{tail}"
