"""The workspace model: root, namespace, projects and bricks, the infrastructure layout, apps
and their environments, and ``[tool.polyinfra]`` settings. Read once, passed down."""

from polyinfra.workspace.model import (
    APP_KIND_DIRS,
    App,
    AppKind,
    Brick,
    BrickKind,
    Overlay,
    Project,
    ProjectEvidence,
    PulumiProgram,
    kustomization_file,
    normalize_name,
)
from polyinfra.workspace.settings import AppSettings, Settings
from polyinfra.workspace.workspace import Workspace

__all__ = [
    "APP_KIND_DIRS",
    "App",
    "AppKind",
    "AppSettings",
    "Brick",
    "BrickKind",
    "Overlay",
    "Project",
    "ProjectEvidence",
    "PulumiProgram",
    "Settings",
    "Workspace",
    "kustomization_file",
    "normalize_name",
]
