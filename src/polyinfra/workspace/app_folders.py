"""Finding app folders: the one ``[tool.polyinfra.apps.<app>] path`` declares, those an
``app_paths`` glob matches, and those in the kind folders under ``infrastructure/``; each with
the options it came with and where they are written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace.discover import SKIP_DIRS, subdirs
from polyinfra.workspace.model import APP_KIND_DIRS, AppKind, kustomization_file
from polyinfra.workspace.settings import AppPathSettings, AppSettings
from polyinfra.workspace.tomlfile import key_position, line_of

if TYPE_CHECKING:
    from polyinfra.yamlio import Bounds

DEFAULT_OVERLAYS = "overlays"
_WILDCARDS = frozenset("*?[")


@dataclass(frozen=True)
class Found:
    """An app folder and how it was found: the options that came with it and where they are
    written (the kind folder for apps found there)."""

    name: str
    folder: Path
    kind: AppKind | None
    kind_dir: str
    overlays: str
    overlay_environments: dict[str, str]
    at: Position
    options_at: Position


def declared_app(
    root: Path, pyproject: Path, name: str, options: AppSettings, errors: list[UserError]
) -> Found | None:
    """The app ``[tool.polyinfra.apps.<name>] path`` declares, or None (error recorded)."""
    table = ("tool", "polyinfra", "apps", name)
    at = key_position(pyproject, table, "path")
    text = options.path or ""
    problem = relative_path_problem(text)
    folder = root / PurePosixPath(text) if problem is None else root
    if problem is None and not folder.is_dir():
        problem = f"{text!r} is not a folder under the workspace root"
    elif problem is None and not (folder / "base").is_dir():
        problem = f"{text}/ has no base/ folder"
    if problem is not None:
        errors.append(
            UserError(
                f"[tool.polyinfra.apps.{name}] path: {problem}",
                position=at,
                hint="set `path` to the app's folder, the one holding base/, relative to the "
                'workspace root, e.g. path = "deploy/billing/manifests"',
            )
        )
        return None
    return Found(
        name=name,
        folder=Path(os.path.normpath(folder)),
        kind=None,
        kind_dir="",
        overlays=DEFAULT_OVERLAYS,
        overlay_environments={},
        at=at,
        options_at=at,
    )


def matched_apps(
    root: Path, pyproject: Path, entry: AppPathSettings, errors: list[UserError]
) -> list[Found]:
    """The apps one ``app_paths`` glob finds: each matched folder holding a base/ (or, in the
    default layout, an overlays folder, which then lacks its base: reported when the app is
    read)."""
    listed = key_position(pyproject, ("tool", "polyinfra"), "app_paths")
    at = line_of(pyproject, (f'"{entry.glob}"', f"'{entry.glob}'"), listed)
    pattern = [part for part in PurePosixPath(entry.glob).parts if part != "."]
    problem = relative_path_problem(entry.glob)
    if problem is None and not any(_WILDCARDS & set(part) for part in pattern):
        problem = (
            "has no wildcard; declare a single app with [tool.polyinfra.apps.<app>] path instead"
        )
    if problem is not None:
        errors.append(
            UserError(
                f"[tool.polyinfra] app_paths {entry.glob!r}: {problem}",
                position=at,
                hint="write a glob of app folders relative to the workspace root, e.g. "
                '"deploy/*/manifests"',
            )
        )
        return []
    found: list[Found] = []
    for folder in sorted(root.glob("/".join(pattern))):
        rel = folder.relative_to(root)
        if not folder.is_dir() or any(part in SKIP_DIRS for part in rel.parts):
            continue
        if not _looks_like_app(folder, entry.overlays):
            continue
        found.append(
            Found(
                name=_name_from_match(pattern, rel.parts),
                folder=folder,
                kind=entry.kind,
                kind_dir="",
                overlays=entry.overlays,
                overlay_environments=dict(entry.overlay_environments),
                at=at,
                options_at=at,
            )
        )
    if not found:
        errors.append(
            UserError(
                f"[tool.polyinfra] app_paths {entry.glob!r} matches no app folder (a folder "
                "holding base/) under the workspace root",
                position=at,
                hint="fix the glob, or remove it",
            )
        )
    return found


def _looks_like_app(folder: Path, overlays: str) -> bool:
    if (folder / "base").is_dir():
        return True
    return overlays != "." and (folder / overlays).is_dir()


def _name_from_match(pattern: list[str], matched: tuple[str, ...]) -> str:
    """The folder of ``matched`` in the place of the pattern's last wildcard part (counted
    from the end, so a ``**`` before it matching any number of folders does not shift it).

    >>> _name_from_match(["deploy", "*", "manifests"], ("deploy", "billing", "manifests"))
    'billing'
    >>> _name_from_match(["**", "k8s", "*"], ("a", "b", "k8s", "api"))
    'api'
    """
    last = max(i for i, part in enumerate(pattern) if _WILDCARDS & set(part))
    after = len(pattern) - 1 - last
    return matched[len(matched) - 1 - after]


def relative_path_problem(text: str) -> str | None:
    path = PurePosixPath(text)
    if not text.strip():
        return "is empty"
    if path.is_absolute() or "\\" in text:
        return "must be a path relative to the workspace root, written with '/'"
    if ".." in path.parts:
        return "must stay inside the workspace ('..' is not allowed)"
    return None


def kind_folder_apps(infrastructure: Path, claimed: set[Path], bounds: Bounds) -> list[Found]:
    """Apps in the kind folders under ``infrastructure/``, in single-app or multi-app form."""
    found: list[Found] = []
    for kind_dir in sorted(APP_KIND_DIRS):
        folder = infrastructure / kind_dir
        if not folder.is_dir():
            continue
        if (folder / "base").is_dir() or (folder / "overlays").is_dir():
            app_dirs = [(folder, _single_app_name(folder, bounds))]
        else:
            app_dirs = [
                (d, d.name)
                for d in subdirs(folder)
                if (d / "base").is_dir() or (d / "overlays").is_dir()
            ]
        for app_dir, name in app_dirs:
            if app_dir in claimed:
                continue
            found.append(
                Found(
                    name=name,
                    folder=app_dir,
                    kind=APP_KIND_DIRS[kind_dir],
                    kind_dir=kind_dir,
                    overlays=DEFAULT_OVERLAYS,
                    overlay_environments={},
                    at=Position(app_dir),
                    options_at=Position(app_dir),
                )
            )
    return found


def _single_app_name(folder: Path, bounds: Bounds) -> str:
    """The single-app form is named after the ``metadata.name`` in its base manifest."""
    from polyinfra.yamlio import load_all_file, load_file

    kustomization = kustomization_file(folder / "base")
    if kustomization is None:
        return folder.name
    document = load_file(kustomization, bounds=bounds)
    resources = document.get(("resources",)) or []
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        path = folder / "base" / str(resource)
        if not path.is_file():
            continue
        at = document.position(("resources", index), value=True)
        for doc in load_all_file(path, bounds=bounds, reference=at):
            name = doc.get(("metadata", "name"))
            if isinstance(name, str) and name:
                return name
    return folder.name
