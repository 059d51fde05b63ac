"""Where infrastructure lives: ``infrastructure/`` at the root, outside the uv workspace, and
nowhere inside ``projects/``."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from polyinfra.workspace.tomlfile import key_position

_SKIP = {".venv", "venv", "node_modules", "__pycache__", ".git"}


def line_of(path: Path, needles: tuple[str, ...], after: Position) -> Position:
    """Position of the first of ``needles`` at or after ``after`` (an array item of a key)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return after
    for number in range(max(after.line, 1), len(lines) + 1):
        for needle in needles:
            col = lines[number - 1].find(needle)
            if col >= 0:
                return Position(path, number, col + 1)
    return after


class InfrastructureFolder:
    """The workspace keeps its infrastructure in ``infrastructure/`` at the workspace root.

    Infrastructure and application code have different lifecycles; a dedicated folder beside
    ``bases/``, ``components/`` and ``projects/`` keeps them apart.

    Bad::

        workspace/
          projects/  bases/  components/
          deploy/pulumi/Pulumi.yaml

    Good::

        workspace/
          projects/  bases/  components/
          infrastructure/pyproject.toml
          infrastructure/pulumi/Pulumi.yaml
    """

    ID = "workspace/infrastructure-folder"
    LEVEL = Level.ERROR
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or ws.infrastructure.is_dir():
            return
        yield Problem(
            Position(ws.root / "pyproject.toml", 1, 1),
            self.ID,
            f"the workspace has no infrastructure/ folder at {ws.rel(ws.root) or '.'}",
            hint="run `polyinfra init` to create infrastructure/ with its pyproject.toml",
        )


def _caught(candidate: str, patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        clean = pattern.strip().removeprefix("./").rstrip("/")
        if clean and fnmatch.fnmatchcase(candidate, clean):
            return pattern
    return None


class InfraNotUvMember:
    """``infrastructure/`` is never a member of the root uv workspace, by name or by glob.

    Its Pulumi dependencies are large, change on their own schedule and are not needed by any
    application; as a member they would be locked together with the application's.

    Bad::

        [tool.uv.workspace]
        members = ["projects/*", "infrastructure"]

    Good::

        [tool.uv.workspace]
        members = ["projects/*"]
        exclude = ["infrastructure"]
    """

    ID = "workspace/infra-not-uv-member"
    LEVEL = Level.ERROR
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or not ws.infrastructure.is_dir() or not ws.uv_members:
            return
        pyproject = ws.root / "pyproject.toml"
        members_at = key_position(pyproject, ("tool", "uv", "workspace"), "members")
        for candidate in _infra_packages(ws):
            pattern = _caught(candidate, ws.uv_members)
            if pattern is None or _caught(candidate, ws.uv_excludes):
                continue
            how = (
                "lists" if pattern.strip().rstrip("/") == candidate else "catches, through a glob,"
            )
            yield Problem(
                line_of(pyproject, (f'"{pattern}"', f"'{pattern}'"), members_at),
                self.ID,
                f"[tool.uv.workspace] members {how} {candidate!r}: infrastructure must not be a "
                "uv workspace member",
                hint=f'remove it from `members`, or add "{candidate}" to `exclude`',
            )


def _infra_packages(ws: Workspace) -> list[str]:
    """``infrastructure`` and every folder under it with a pyproject.toml, root-relative."""
    found = ["infrastructure"]
    for dirpath, dirnames, filenames in os.walk(ws.infrastructure):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith("."))
        folder = Path(dirpath)
        if folder != ws.infrastructure and "pyproject.toml" in filenames:
            found.append(folder.relative_to(ws.root).as_posix())
    return found


#: Files that define infrastructure, by name or suffix.
_INFRA_NAMES = {"Pulumi.yaml", "Pulumi.yml", "kustomization.yaml", "kustomization.yml"}
_INFRA_SUFFIXES = (".tf",)


class NoInfraInProjects:
    """Infrastructure definitions live only under ``infrastructure/``, never in ``projects/``.

    A project folder holds what builds the application (pyproject.toml, Dockerfile, entry
    point); a Pulumi program, a kustomization or Terraform files there would be redeployed with
    every application change.

    Bad::

        projects/my_app/Pulumi.yaml
        projects/my_app/k8s/kustomization.yaml

    Good::

        infrastructure/pulumi/Pulumi.yaml
        infrastructure/cloudrun_job/my-app/overlays/production/kustomization.yaml
    """

    ID = "workspace/no-infra-in-projects"
    LEVEL = Level.ERROR
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        projects = ws.root / "projects"
        if not projects.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(projects):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith("."))
            for name in sorted(filenames):
                if name in _INFRA_NAMES or name.endswith(_INFRA_SUFFIXES):
                    path = Path(dirpath) / name
                    yield Problem(
                        Position(path, 1, 1),
                        self.ID,
                        f"{ws.rel(path)} defines infrastructure inside projects/",
                        hint="move it under infrastructure/ (Pulumi under infrastructure/pulumi/, "
                        "Cloud Run manifests under infrastructure/cloudrun_*/<app>/)",
                    )
