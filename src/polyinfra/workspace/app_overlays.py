"""An app's overlays: the folder holding them, its environment folders, and the environment
each one deploys to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace.app_folders import DEFAULT_OVERLAYS, relative_path_problem
from polyinfra.workspace.discover import subdirs
from polyinfra.workspace.model import Overlay, kustomization_file

if TYPE_CHECKING:
    from polyinfra.yamlio import Bounds


def resolve_overlays_dir(name: str, app_dir: Path, overlays: str, at: Position) -> Path:
    if overlays == ".":
        return app_dir
    problem = relative_path_problem(overlays)
    if problem is None and overlays != DEFAULT_OVERLAYS and not (app_dir / overlays).is_dir():
        problem = f"{app_dir / overlays} is not a folder"
    if problem is not None:
        raise UserError(
            f"app {name!r}: overlays {overlays!r}: {problem}",
            position=at,
            hint="set `overlays` to the folder holding the environment folders, relative to "
            "the app folder, or '.' when they sit beside base/",
        )
    return Path(os.path.normpath(app_dir / overlays))


def overlay_folders(name: str, app_dir: Path, overlays_dir: Path, bounds: Bounds) -> list[Path]:
    """The environment folders: every folder of the overlays folder (each must hold a
    kustomization), or, when the overlays sit beside base/, every sibling of base/ that holds
    a kustomization which is not a Kustomize component."""
    if overlays_dir == app_dir:
        return [
            d
            for d in subdirs(app_dir)
            if d.name != "base"
            and kustomization_file(d) is not None
            and not _is_component(d, bounds)
        ]
    folders = subdirs(overlays_dir)
    for env_dir in folders:
        if kustomization_file(env_dir) is None:
            raise UserError(
                f"overlay {env_dir.name!r} of app {name!r} has no kustomization.yaml",
                position=Position(env_dir),
                hint="add a kustomization.yaml with `resources: [../../base]`",
            )
    return folders


def _is_component(folder: Path, bounds: Bounds) -> bool:
    from polyinfra.yamlio import load_file

    path = kustomization_file(folder)
    return path is not None and load_file(path, bounds=bounds).get(("kind",)) == "Component"


def overlays_by_environment(
    name: str, folders: list[Path], renames: dict[str, str], at: Position
) -> dict[str, Overlay]:
    """Overlays by environment: the folder's name, or what ``overlay_environments`` maps it
    to."""
    by_folder = {d.name: d for d in folders}
    errors: list[UserError] = []
    for folder_name in renames:
        if folder_name not in by_folder:
            errors.append(
                UserError(
                    f"app {name!r}: overlay_environments names overlay {folder_name!r}, which "
                    f"the app does not have{did_you_mean(folder_name, by_folder)} (overlays: "
                    f"{', '.join(sorted(by_folder)) or 'none'})",
                    position=at,
                    hint="map the app's overlay folder names to environment names",
                )
            )
    overlays: dict[str, Overlay] = {}
    for folder_name, folder in sorted(by_folder.items()):
        env = renames.get(folder_name, folder_name)
        if env in overlays:
            errors.append(
                UserError(
                    f"app {name!r}: overlays {overlays[env].path.name!r} and {folder_name!r} "
                    f"are both environment {env!r}",
                    position=at,
                    hint="each environment has one overlay: fix overlay_environments",
                )
            )
            continue
        overlays[env] = Overlay(env=env, path=folder)
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return dict(sorted(overlays.items()))
