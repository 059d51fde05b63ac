"""Kustomize apps of a workspace: those in the kind folders under ``infrastructure/`` and those
``[tool.polyinfra]`` declares elsewhere (``apps.<app>.path``, ``app_paths``), read into one
model whichever way they were found."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace.app_folders import (
    DEFAULT_OVERLAYS,
    Found,
    declared_app,
    kind_folder_apps,
    matched_apps,
)
from polyinfra.workspace.app_kind import app_kind
from polyinfra.workspace.app_overlays import (
    overlay_folders,
    overlays_by_environment,
    resolve_overlays_dir,
)
from polyinfra.workspace.bounds import workspace_bounds
from polyinfra.workspace.model import (
    App,
    Project,
    kustomization_file,
    normalize_name,
    projects_by_name,
)
from polyinfra.workspace.settings import Settings
from polyinfra.workspace.tomlfile import key_position

if TYPE_CHECKING:
    from polyinfra.yamlio import Bounds

T = TypeVar("T")
_APP_OPTIONS = ("overlays", "kind", "overlay_environments")


def discover_apps(
    root: Path,
    infrastructure: Path,
    projects: dict[str, Project],
    settings: Settings,
    infra_pyproject: Path | None,
) -> dict[str, App]:
    """Every app: declared by ``path``, matched by an ``app_paths`` glob, or in a kind folder
    (single-app or multi-app form). Every settings error is reported at once."""
    pyproject = infra_pyproject or infrastructure / "pyproject.toml"
    bounds = workspace_bounds(root, settings.max_file_size)
    errors: list[UserError] = []
    found: list[Found] = []
    claimed: set[Path] = set()
    for name, options in settings.apps.items():
        if options.path is not None:
            declared = declared_app(root, pyproject, name, options, errors)
            if declared is None:
                continue
            if declared.folder in claimed:
                first = next(item.name for item in found if item.folder == declared.folder)
                errors.append(
                    UserError(
                        f"[tool.polyinfra.apps.{name}] path: {options.path} is app {first!r} "
                        "already",
                        position=declared.at,
                        hint="one folder is one app: remove one of the two tables",
                    )
                )
                continue
            found.append(declared)
            claimed.add(declared.folder)
    for entry in settings.app_paths:
        for match in matched_apps(root, pyproject, entry, errors):
            if match.folder not in claimed:
                found.append(match)
                claimed.add(match.folder)
    found.extend(kind_folder_apps(infrastructure, claimed, bounds))
    named = projects_by_name(projects)
    apps: dict[str, App] = {}
    for item in found:
        if item.name in apps:
            other = apps[item.name]
            errors.append(
                UserError(
                    f"two apps are named {item.name!r}: {_shown(root, other.path)} and "
                    f"{_shown(root, item.folder)}",
                    position=item.at,
                    hint="app names must be unique across services, jobs and functions: "
                    "rename a folder, or declare one of them under another name with "
                    "[tool.polyinfra.apps.<app>] path",
                )
            )
            continue
        try:
            apps[item.name] = _app(root, pyproject, item, projects, settings, bounds, named)
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
    errors.extend(_unused_options(pyproject, settings, {item.name for item in found}))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return dict(sorted(apps.items()))


def _shown(root: Path, folder: Path) -> str:
    """``folder`` as the user writes it: relative to the workspace root."""
    return Path(os.path.relpath(folder, root)).as_posix()


def _app(
    root: Path,
    pyproject: Path,
    item: Found,
    projects: dict[str, Project],
    settings: Settings,
    bounds: Bounds,
    named: dict[str, str],
) -> App:
    options = settings.apps.get(item.name)
    table = ("tool", "polyinfra", "apps", item.name)
    overlays = item.overlays
    overlays_at = item.options_at
    if options is not None and options.overlays is not None:
        overlays, overlays_at = options.overlays, key_position(pyproject, table, "overlays")
    renames = dict(item.overlay_environments)
    renames_at = item.options_at
    if options is not None and options.overlay_environments:
        renames.update(options.overlay_environments)
        renames_at = key_position(pyproject, table, "overlay_environments")
    app_dir = item.folder
    base = app_dir / "base"
    shown = _shown(root, base)
    if not base.is_dir():
        raise UserError(
            f"app {item.name!r} has overlays but no base folder",
            position=Position(app_dir / overlays if overlays != "." else app_dir),
            hint=f"create {shown}/ with the manifest and a kustomization.yaml",
        )
    if kustomization_file(base) is None:
        raise UserError(
            f"app {item.name!r}: {base} has no kustomization.yaml",
            position=Position(base),
            hint="add a kustomization.yaml listing the manifest under `resources:`",
        )
    errors: list[UserError] = []

    def attempt(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
            return None

    overlays_dir = attempt(lambda: resolve_overlays_dir(item.name, app_dir, overlays, overlays_at))
    environments = (
        attempt(
            lambda: overlays_by_environment(
                item.name,
                overlay_folders(item.name, app_dir, overlays_dir, bounds),
                renames,
                renames_at,
            )
        )
        if overlays_dir is not None
        else None
    )
    # where `kind` is written: only a `kind` setting can be wrong, and finding it reads the file
    kind_at = (
        key_position(pyproject, table, "kind")
        if options is not None and options.kind is not None
        else Position(pyproject)
    )
    kind = attempt(lambda: app_kind(item, options, kind_at, base, bounds))
    project = attempt(lambda: _project_for(item.name, projects, named, settings, pyproject))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    assert overlays_dir is not None
    assert environments is not None
    assert kind is not None
    return App(
        name=item.name,
        kind=kind,
        path=app_dir,
        base=base,
        overlays=environments,
        project=project,
        kind_dir=item.kind_dir,
        overlays_dir=None if overlays == DEFAULT_OVERLAYS else overlays_dir,
    )


def _unused_options(pyproject: Path, settings: Settings, apps: set[str]) -> list[UserError]:
    """``[tool.polyinfra.apps.<app>]`` layout options for an app that no folder provides:
    they would otherwise be dropped without a word."""
    errors: list[UserError] = []
    for name, options in settings.apps.items():
        if name in apps or options.path is not None:
            continue
        given = [key for key in _APP_OPTIONS if key in options.model_fields_set]
        if not given:
            continue
        errors.append(
            UserError(
                f"[tool.polyinfra.apps.{name}] sets {', '.join(given)}, but no app is named "
                f"{name!r}{did_you_mean(name, sorted(apps))}",
                position=key_position(pyproject, ("tool", "polyinfra", "apps", name)),
                hint="fix the name, or declare the app's folder with `path` (relative to the "
                "workspace root)",
            )
        )
    return errors


def _project_for(
    app: str,
    projects: dict[str, Project],
    named: dict[str, str],
    settings: Settings,
    infra_pyproject: Path,
) -> str | None:
    """The project ``app`` deploys, by setting or by name; ``named`` is
    :func:`~polyinfra.workspace.model.projects_by_name`
    of ``projects``."""
    explicit = settings.apps.get(app)
    if explicit is not None and explicit.project is not None:
        if explicit.project not in projects:
            raise UserError(
                f"app {app!r} is mapped to project {explicit.project!r}, which does not exist "
                f"under projects/{did_you_mean(explicit.project, projects)}",
                position=key_position(
                    infra_pyproject, ("tool", "polyinfra", "apps", app), "project"
                ),
                hint="set `project` to a folder name under projects/",
            )
        return explicit.project
    # the foundation stack files are the last resort, for the apps this leaves unmapped:
    # polyinfra.manifests.links (discover_workspace), once every app and program is known
    return named.get(normalize_name(app))
