"""A project's Dockerfile puts exactly the bricks its ``pyproject.toml`` includes into the image:
copied one by one (checked line by line), or inside the project's wheel."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.checks.rules.workspace.dockerfile_reading import (
    WHEEL_FOLDERS,
    Copy,
    Dockerfile,
    Install,
    read_dockerfile,
)
from polyinfra.checks.rules.workspace.dockerfile_syntax import within
from polyinfra.positions import Position
from polyinfra.workspace import Project, Workspace

_BRICK_ROOTS = ("bases/", "components/")
#: build-context sources that copy the whole context (every brick, and everything else)
_WHOLE_CONTEXT = frozenset({".", "*"})


@dataclass(frozen=True)
class CopyLine:
    """One source of a ``COPY`` instruction that names a brick folder."""

    source: str
    position: Position


@dataclass(frozen=True)
class ImageBricks:
    """How a project's Dockerfile puts bricks into its image.

    ``copies``: brick folders copied from the build context into a stage that does not build
    a wheel (build inputs of a wheel are not what the image runs). ``anchor``: the line copying
    the project's own ``pyproject.toml`` (the spec's pattern: the bricks follow it).
    ``whole_context``: a ``COPY . .`` line. ``wheel``: the Dockerfile installs the project's
    wheel (or builds and installs the project), which carries its bricks.
    """

    copies: tuple[CopyLine, ...]
    anchor: Position | None
    whole_context: Position | None
    wheel: bool


def image_bricks(dockerfile: Path, project: Project, ws: Workspace) -> ImageBricks:
    """Read ``dockerfile`` (``OSError``/``UnicodeDecodeError`` propagate)."""
    parsed = read_dockerfile(dockerfile, ws.bounds)
    building = parsed.build_stages()
    own_pyproject = f"{ws.rel(project.path)}/pyproject.toml"
    copies: list[CopyLine] = []
    anchor: Position | None = None
    whole: Position | None = None
    for copy in parsed.copies:
        if not copy.from_context or copy.mounted:
            continue
        for source in copy.sources:
            clean = source.lstrip("/") or "."
            if clean in _WHOLE_CONTEXT and whole is None:
                whole = copy.position
            if copy.stage in building:
                continue
            if clean == own_pyproject and anchor is None:
                anchor = copy.position
            if clean.startswith(_BRICK_ROOTS) or f"{clean}/" in _BRICK_ROOTS:
                copies.append(CopyLine(clean, copy.position))
    return ImageBricks(tuple(copies), anchor, whole, installs_project_wheel(parsed, project))


def installs_project_wheel(parsed: Dockerfile, project: Project) -> bool:
    """Whether some ``RUN`` installs a wheel of ``project`` (or the project from its folder):
    a ``.whl`` file, a wheel copied in (``COPY dist/*.whl``, ``COPY --from=builder /app/dist``,
    a ``RUN --mount`` of either), the output of a wheel build, or ``--find-links`` to one.
    A wheel named after another distribution does not count."""
    return any(_installs_wheel(parsed, install, project) for install in parsed.installs)


def _installs_wheel(parsed: Dockerfile, install: Install, project: Project) -> bool:
    building = parsed.build_stages()
    folders = [
        copy.destination
        for copy in parsed.copies
        if copy.stage == install.stage and _carries_wheels(copy, building)
    ]
    folders += [
        out for build in parsed.builds if build.stage == install.stage for out in build.out_dirs
    ]

    def wheel_place(path: str) -> bool:
        parts = set(path.split("/"))
        return bool(parts & WHEEL_FOLDERS) or any(within(path, folder) for folder in folders)

    for requirement in install.requirements:
        if not requirement.startswith("/"):
            continue  # a name from an index, not a file in the image
        if requirement.endswith(".whl") or wheel_place(requirement):
            if _named_for(requirement, project):
                return True
        elif requirement.rstrip("/").endswith(f"/projects/{project.name}"):
            return True  # the project itself, built from its folder by its build backend
    if any(wheel_place(link) for link in install.find_links):
        names = [r for r in install.requirements if not r.startswith("/")]
        return not names or any(_same_name(_distribution(n), project) for n in names)
    return False


def _carries_wheels(copy: Copy, building: set[int]) -> bool:
    if copy.from_stage is not None and copy.from_stage in building:
        return True
    for source in copy.sources:
        if source.endswith(".whl") or set(source.split("/")) & WHEEL_FOLDERS:
            return True
    return False


def _named_for(requirement: str, project: Project) -> bool:
    """False only for a wheel file whose distribution name is plainly another project's."""
    name = posixpath.basename(requirement)
    if not name.endswith(".whl"):
        return True
    distribution = name.split("-", 1)[0]
    if not distribution or any(ch in distribution for ch in "*?["):
        return True
    return _same_name(distribution, project)


def _distribution(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0]


def _same_name(name: str, project: Project) -> bool:
    """Distribution names compare the way wheel file names spell them (PEP 503/427)."""
    wanted = {project.name, *([project.package_name] if project.package_name else [])}
    return _canonical(name) in {_canonical(w) for w in wanted}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def bricks_for(source: str, ws: Workspace) -> list[str]:
    """The bricks a COPY source brings in: one brick, every brick under a folder, or none."""
    if source in ws.bricks:
        return [source]
    inside = [rel for rel in ws.bricks if rel.startswith(source + "/")]
    if inside:
        return inside
    return [rel for rel in ws.bricks if source.startswith(rel + "/")]


def _images(ctx: CheckContext) -> dict[str, ImageBricks | Exception]:
    """Each project's Dockerfile read once for both rules (the read error when it fails)."""
    found: dict[str, ImageBricks | Exception] = {}
    ws = ctx.workspace
    for project in ws.projects.values() if ws is not None else ():
        if project.dockerfile is None or ws is None:
            continue
        try:
            found[project.name] = image_bricks(project.dockerfile, project, ws)
        except (OSError, UnicodeDecodeError) as exc:
            found[project.name] = exc
    return found


class DockerfileBricks(WorkspaceRule):
    """A project's Dockerfile copies exactly the bricks in its ``[tool.polylith.bricks]``.

    A missing brick is an ``ImportError`` at run time; an extra one ships code (and its
    dependencies' assumptions) the project does not declare. Both are reported at the
    Dockerfile, the file to edit.

    A Dockerfile that installs the project's wheel (``COPY dist/*.whl`` or
    ``COPY --from=builder /app/dist`` and ``pip install``; the wheel built by
    ``poetry build-project``, ``uv build`` or ``hatch build`` with hatch-polylith-bricks) gets
    the bricks from the wheel: they are not checked line by line. Brick folders copied into a
    stage that builds the wheel are its inputs, not the image's contents.

    Bad::

        # projects/my_job/pyproject.toml includes bases/ns/my_job and components/ns/log
        COPY bases/ns/my_job/ ./ns/my_job/
        COPY components/ns/settings/ ./ns/settings/

    Good::

        COPY components/ns/log/ ./ns/log/
        COPY bases/ns/my_job/ ./ns/my_job/

    Good::

        # the bricks are in the wheel
        ARG wheel=my_job-0.1.0-py3-none-any.whl
        COPY ./dist/$wheel /code/$wheel
        RUN pip install --no-cache-dir /code/$wheel
    """

    ID = "workspace/dockerfile-bricks"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        images = ctx.shared(_images)
        for project in ws.projects.values():
            if project.dockerfile is not None and project.name in images:
                yield from self._check_project(
                    ws, project, project.dockerfile, images[project.name]
                )

    def _check_project(
        self, ws: Workspace, project: Project, dockerfile: Path, image: ImageBricks | Exception
    ) -> Iterator[Problem]:
        if isinstance(image, Exception):
            yield Problem(
                Position(dockerfile, 1, 1),
                self.ID,
                f"cannot read the Dockerfile: {image}",
                hint="save it as UTF-8 text",
            )
            return
        wanted = set(project.bricks)
        copied: set[str] = set()
        pyproject = ws.rel(project.pyproject)
        for copy in image.copies:
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
        if missing and _checked_one_by_one(image):
            where = image.copies[-1].position if image.copies else image.anchor
            yield Problem(
                where or Position(dockerfile, 1, 1),
                self.ID,
                f"the Dockerfile does not copy {', '.join(missing)}, which {pyproject} includes",
                hint="add " + "; ".join(f"`COPY {rel}/ ./{_target(rel, ws)}/`" for rel in missing),
            )


def _checked_one_by_one(image: ImageBricks) -> bool:
    """Whether the image's bricks come only from brick-by-brick copies: it copies a brick (or
    the project's pyproject.toml, after which the spec's pattern copies them), and neither a
    wheel nor the whole build context brings them in."""
    return bool(image.copies or image.anchor) and not image.wheel and image.whole_context is None


class DockerfileUnverified(WorkspaceRule):
    """A project's Dockerfile that neither copies bricks by name nor installs the project's
    wheel is reported once, as information: which bricks its image holds cannot be verified.

    ``workspace/dockerfile-bricks`` checks the two ways a Polylith project's image gets its
    bricks; any other way (copying the whole build context, installing only a requirements
    file or a package from an index, a script) may be right, but polyinfra cannot tell.

    Bad::

        COPY . .
        RUN pip install -r requirements.txt

    Good::

        COPY components/ns/log/ ./ns/log/
        COPY bases/ns/my_job/ ./ns/my_job/

    Good::

        COPY dist/*.whl /tmp/
        RUN pip install /tmp/*.whl
    """

    ID = "workspace/dockerfile-unverified"
    LEVEL = Level.INFO

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        images = ctx.shared(_images)
        for project in ws.projects.values():
            image = images.get(project.name)
            if project.dockerfile is None or image is None or isinstance(image, Exception):
                continue
            if not project.bricks or image.copies or image.wheel or _checked_one_by_one(image):
                continue
            pyproject = ws.rel(project.pyproject)
            package = project.package_name or project.name
            how = (
                "copies the whole build context but no brick by name"
                if image.whole_context is not None
                else "copies no brick"
            )
            yield Problem(
                image.whole_context or Position(project.dockerfile, 1, 1),
                self.ID,
                f"the Dockerfile {how} and installs no wheel of {package}: whether the image "
                f"holds the bricks of {pyproject} cannot be verified",
                hint="copy each brick (`COPY bases/<ns>/<brick>/ ./<ns>/<brick>/`), or install "
                "the project's wheel (`COPY dist/*.whl` and `pip install`, the wheel built by "
                "`poetry build-project`, `uv build` or `hatch build`)",
            )


def _target(rel: str, ws: Workspace) -> str:
    return f"{ws.namespace}/{rel.rsplit('/', 1)[-1]}"
