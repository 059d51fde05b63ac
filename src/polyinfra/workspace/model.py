"""The parts of a Polylith workspace that polyinfra works with, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from polyinfra.positions import Position

BrickKind = Literal["base", "component"]
AppKind = Literal["service", "job", "function"]

#: Folder names under ``infrastructure/`` that hold Kustomize apps, and the kind of each.
#: The first three are the spec's names, the last three the newer convention.
APP_KIND_DIRS: dict[str, AppKind] = {
    "cloudrun": "service",
    "cloudrunjob": "job",
    "cloudfunction": "function",
    "cloudrun_service": "service",
    "cloudrun_job": "job",
    "cloudrun_function": "function",
}


def normalize_name(name: str) -> str:
    """Names compare with ``-`` and ``_`` alike and case-insensitively.

    >>> normalize_name("Inventory-API") == normalize_name("inventory_api")
    True
    """
    return name.lower().replace("-", "_")


def project_named(name: str, projects: dict[str, Project]) -> str | None:
    """The project folder called ``name``, with ``-`` and ``_`` alike and in any case."""
    wanted = normalize_name(name)
    return next((folder for folder in projects if normalize_name(folder) == wanted), None)


def projects_by_name(projects: dict[str, Project]) -> dict[str, str]:
    """``normalize_name(folder) -> folder`` of ``projects``, the first folder of each name: a
    lookup gives :func:`project_named`'s answer, for many names at once."""
    found: dict[str, str] = {}
    for folder in projects:
        found.setdefault(normalize_name(folder), folder)
    return found


@dataclass(frozen=True)
class Brick:
    """A base or component. ``rel`` is its root-relative posix path (the key in
    ``Workspace.bricks`` and in ``Project.bricks``)."""

    name: str
    kind: BrickKind
    path: Path
    rel: str


@dataclass(frozen=True)
class Project:
    """A folder under ``projects/`` and the bricks its ``pyproject.toml`` includes."""

    name: str
    path: Path
    pyproject: Path
    package_name: str | None
    bricks: tuple[str, ...]
    dockerfile: Path | None


@dataclass(frozen=True)
class Overlay:
    """A Kustomize overlay: one environment of an app."""

    env: str
    path: Path

    @property
    def kustomization(self) -> Path:
        return kustomization_file(self.path) or self.path / "kustomization.yaml"


@dataclass(frozen=True, order=True)
class ProjectEvidence:
    """What a foundation stack file says about the project an app deploys: the entry
    ``input:projects.<key>`` has a scheduler that runs the app, or creates the service account
    the app's overlay runs as. ``position`` is where the stack file says so (the scheduler's
    ``target_job``, the account's ``account_id``)."""

    position: Position
    key: str
    reason: str


@dataclass(frozen=True)
class App:
    """A Cloud Run service, job or function defined by a Kustomize base and overlays.

    ``kind_dir`` is the kind folder under ``infrastructure/`` the app was found in, empty for
    an app declared by ``[tool.polyinfra]`` settings (``apps.<app>.path``, ``app_paths``).
    ``overlays_dir`` is the folder holding the overlays (``path/overlays`` unless the settings
    say otherwise; ``path`` itself when the environment folders sit beside ``base/``).

    ``project`` is the Polylith project (folder under ``projects/``) the app deploys, decided
    once, at discovery, for every command: ``[tool.polyinfra.apps.<app>] project``, else the
    project with the app's name, else the one the foundation stack files link it to
    (:mod:`polyinfra.manifests.links`). ``project_evidence`` is what the stack files
    said, when they were asked: the reason for an inferred project, or why none was inferred.
    """

    name: str
    kind: AppKind
    path: Path
    base: Path
    overlays: dict[str, Overlay]
    project: str | None
    kind_dir: str
    overlays_dir: Path | None = None
    project_evidence: tuple[ProjectEvidence, ...] = ()

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(sorted(self.overlays))

    @property
    def overlay_root(self) -> Path:
        """The folder that holds (or would hold) the app's overlay folders."""
        return self.overlays_dir if self.overlays_dir is not None else self.path / "overlays"

    def overlay_containing(self, path: Path) -> Overlay | None:
        """The overlay whose folder holds ``path`` (compared as written, not resolved)."""
        for overlay in self.overlays.values():
            if path == overlay.path or path.is_relative_to(overlay.path):
                return overlay
        return None


@dataclass(frozen=True)
class PulumiProgram:
    """A folder holding ``Pulumi.yaml`` and its ``Pulumi.<stack>.yaml`` stack files."""

    path: Path
    project_file: Path
    name: str
    runtime: str
    stacks: dict[str, Path] = field(default_factory=dict)


KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file in ``folder`` under any of the names kustomize accepts (also
    one that is not a regular file: whatever reads it refuses it, at the file)."""
    for name in KUSTOMIZATION_NAMES:
        candidate = folder / name
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return None
