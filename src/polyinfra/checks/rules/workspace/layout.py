"""Where infrastructure lives: ``infrastructure/`` at the root, outside the uv workspace, and
nowhere inside ``projects/``."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.positions import Position
from polyinfra.workspace import Workspace, kustomization_file
from polyinfra.workspace.tomlfile import key_position, line_of

_SKIP = {".venv", "venv", "node_modules", "__pycache__", ".git"}


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

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or ws.infrastructure.is_dir():
            return
        yield Problem(
            Position(ws.root / "pyproject.toml", 1, 1),
            self.ID,
            "the workspace has no infrastructure/ folder: the foundation and application "
            "stacks live there",
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


class NoInfraInProjects(WorkspaceRule):
    """Infrastructure definitions live under ``infrastructure/``, not in ``projects/``.

    The spec keeps infrastructure in ``infrastructure/``, apart from the application code: a
    project folder holds what builds the application (pyproject.toml, Dockerfile, entry
    point), and a Pulumi program, a kustomization or Terraform files there change and ship
    with every application change. An app declared in ``projects/`` on purpose
    (``[tool.polyinfra.apps.<app>] path``) is reported once, at its base. Where the layout is
    deliberate, switch the rule off under ``[tool.polyinfra.rules]`` in
    ``infrastructure/pyproject.toml``: ``disable = ["workspace/no-infra-in-projects"]``.

    Bad::

        projects/my_app/Pulumi.yaml
        projects/my_app/k8s/kustomization.yaml

    Good::

        infrastructure/pulumi/Pulumi.yaml
        infrastructure/cloudrun_job/my-app/overlays/production/kustomization.yaml
    """

    ID = "workspace/no-infra-in-projects"
    LEVEL = Level.WARNING

    _WHY = (
        "the spec keeps infrastructure in infrastructure/, apart from the application code, "
        "so each is changed and delivered at its own pace"
    )
    _OFF = (
        f'if the layout is deliberate, add "{ID}" to [tool.polyinfra.rules] disable in '
        "infrastructure/pyproject.toml"
    )

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        projects = ws.root / "projects"
        if not projects.is_dir():
            return
        apps = [app for app in ws.apps.values() if app.path.is_relative_to(projects)]
        for app in sorted(apps, key=lambda a: a.name):
            yield Problem(
                Position(kustomization_file(app.base) or app.base, 1, 1),
                self.ID,
                f"app {app.name!r} keeps its Kustomize base and overlays inside projects/ "
                f"({ws.rel(app.path)}): {self._WHY}",
                hint=f"move {ws.rel(app.path)}/ to infrastructure/cloudrun_{app.kind}/"
                f"{app.name}/; {self._OFF}",
            )
        for dirpath, dirnames, filenames in os.walk(projects):
            folder = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in _SKIP
                and not d.startswith(".")
                and not any(folder / d == app.path for app in apps)
            )
            for name in sorted(filenames):
                if name in _INFRA_NAMES or name.endswith(_INFRA_SUFFIXES):
                    path = folder / name
                    yield Problem(
                        Position(path, 1, 1),
                        self.ID,
                        f"{ws.rel(path)} defines infrastructure inside projects/: {self._WHY}",
                        hint="move it under infrastructure/ (Pulumi under infrastructure/pulumi/, "
                        f"Cloud Run manifests under infrastructure/cloudrun_*/<app>/); {self._OFF}",
                    )
