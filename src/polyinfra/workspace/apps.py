"""Kustomize apps of a workspace: those in the kind folders under ``infrastructure/`` and those
``[tool.polyinfra]`` declares elsewhere (``apps.<app>.path``, ``app_paths``), read into one
model whichever way they were found."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from polyinfra.cloudrun.vocabulary import CLIENT_NAME_ANNOTATION, TEMPLATE_META, TOP_META
from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace.bounds import workspace_bounds
from polyinfra.workspace.discover import SKIP_DIRS, subdirs
from polyinfra.workspace.model import (
    APP_KIND_DIRS,
    App,
    AppKind,
    Overlay,
    Project,
    kustomization_file,
    project_named,
)
from polyinfra.workspace.settings import AppPathSettings, AppSettings, Settings
from polyinfra.workspace.tomlfile import key_position, line_of

if TYPE_CHECKING:
    from polyinfra.yamlio import Bounds, YamlDocument

DEFAULT_OVERLAYS = "overlays"
T = TypeVar("T")
_WILDCARDS = frozenset("*?[")
_APP_OPTIONS = ("overlays", "kind", "overlay_environments")


@dataclass(frozen=True)
class _Found:
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
    found: list[_Found] = []
    claimed: set[Path] = set()
    for name, options in settings.apps.items():
        if options.path is not None:
            declared = _declared(root, pyproject, name, options, errors)
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
        for match in _matched(root, pyproject, entry, errors):
            if match.folder not in claimed:
                found.append(match)
                claimed.add(match.folder)
    found.extend(_in_kind_folders(infrastructure, claimed, bounds))
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
            apps[item.name] = _app(root, pyproject, item, projects, settings, bounds)
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
    errors.extend(_unused_options(pyproject, settings, {item.name for item in found}))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return dict(sorted(apps.items()))


def _shown(root: Path, folder: Path) -> str:
    """``folder`` as the user writes it: relative to the workspace root."""
    return Path(os.path.relpath(folder, root)).as_posix()


def _declared(
    root: Path, pyproject: Path, name: str, options: AppSettings, errors: list[UserError]
) -> _Found | None:
    """The app ``[tool.polyinfra.apps.<name>] path`` declares, or None (error recorded)."""
    table = ("tool", "polyinfra", "apps", name)
    at = key_position(pyproject, table, "path")
    text = options.path or ""
    problem = _relative_path_problem(text)
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
    return _Found(
        name=name,
        folder=Path(os.path.normpath(folder)),
        kind=None,
        kind_dir="",
        overlays=DEFAULT_OVERLAYS,
        overlay_environments={},
        at=at,
        options_at=at,
    )


def _matched(
    root: Path, pyproject: Path, entry: AppPathSettings, errors: list[UserError]
) -> list[_Found]:
    """The apps one ``app_paths`` glob finds: each matched folder holding a base/ (or, in the
    default layout, an overlays folder, which then lacks its base: reported when the app is
    read)."""
    listed = key_position(pyproject, ("tool", "polyinfra"), "app_paths")
    at = line_of(pyproject, (f'"{entry.glob}"', f"'{entry.glob}'"), listed)
    pattern = [part for part in PurePosixPath(entry.glob).parts if part != "."]
    problem = _relative_path_problem(entry.glob)
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
    found: list[_Found] = []
    for folder in sorted(root.glob("/".join(pattern))):
        rel = folder.relative_to(root)
        if not folder.is_dir() or any(part in SKIP_DIRS for part in rel.parts):
            continue
        if not _looks_like_app(folder, entry.overlays):
            continue
        found.append(
            _Found(
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


def _relative_path_problem(text: str) -> str | None:
    path = PurePosixPath(text)
    if not text.strip():
        return "is empty"
    if path.is_absolute() or "\\" in text:
        return "must be a path relative to the workspace root, written with '/'"
    if ".." in path.parts:
        return "must stay inside the workspace ('..' is not allowed)"
    return None


def _in_kind_folders(infrastructure: Path, claimed: set[Path], bounds: Bounds) -> list[_Found]:
    """Apps in the kind folders under ``infrastructure/``, in single-app or multi-app form."""
    found: list[_Found] = []
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
                _Found(
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


def _app(
    root: Path,
    pyproject: Path,
    item: _Found,
    projects: dict[str, Project],
    settings: Settings,
    bounds: Bounds,
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

    overlays_dir = attempt(lambda: _overlays_dir(item.name, app_dir, overlays, overlays_at))
    environments = (
        attempt(
            lambda: _environments(
                item.name,
                _overlay_folders(item.name, app_dir, overlays_dir, bounds),
                renames,
                renames_at,
            )
        )
        if overlays_dir is not None
        else None
    )
    kind = attempt(
        lambda: _kind(item, options, key_position(pyproject, table, "kind"), base, bounds)
    )
    project = attempt(lambda: _project_for(item.name, projects, settings, pyproject))
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


def _overlays_dir(name: str, app_dir: Path, overlays: str, at: Position) -> Path:
    if overlays == ".":
        return app_dir
    problem = _relative_path_problem(overlays)
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


def _overlay_folders(name: str, app_dir: Path, overlays_dir: Path, bounds: Bounds) -> list[Path]:
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


def _environments(
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


def _kind(
    item: _Found, options: AppSettings | None, at: Position, base: Path, bounds: Bounds
) -> AppKind:
    wanted = options.kind if options is not None else None
    if item.kind_dir:
        if wanted is not None and wanted != item.kind:
            raise UserError(
                f"app {item.name!r} is in {item.kind_dir}/, which holds {item.kind}s, but its "
                f"settings say kind = {wanted!r}",
                position=at,
                hint=f"remove `kind`, or move the app to the kind folder of a {wanted}",
            )
        assert item.kind is not None
        return item.kind
    if wanted is not None:
        return wanted
    if item.kind is not None:
        return item.kind
    inferred, problem = _kind_of_base(base, bounds)
    if inferred is not None:
        return inferred
    if problem is not None:
        raise problem
    raise UserError(
        f"app {item.name!r}: cannot tell whether it is a service, a job or a function: its base "
        "has no Cloud Run Service or Job manifest polyinfra can read",
        position=Position(kustomization_file(base) or base, 1, 1),
        hint=f'set kind = "service", "job" or "function" under [tool.polyinfra.apps.{item.name}]',
    )


def _kind_of_base(base: Path, bounds: Bounds) -> tuple[AppKind | None, UserError | None]:
    """The app kind read from the manifests the base's kustomization lists (through the
    folders it includes), and the first manifest that could not be read."""
    problem: UserError | None = None
    for document in _base_documents(base, bounds):
        if isinstance(document, UserError):
            problem = problem or document
            continue
        kind = document.get(("kind",))
        if kind == "Job":
            return "job", None
        if kind == "Service":
            return ("function" if _is_function(document) else "service"), None
    return None, problem


def _is_function(document: YamlDocument) -> bool:
    """A Service is a function when it carries the labels and annotations Cloud Run gives its
    functions."""
    for meta in (TOP_META, TEMPLATE_META):
        labels = document.get((*meta, "labels"))
        annotations = document.get((*meta, "annotations"))
        if isinstance(labels, dict) and labels.get("workload-type") == "cloud-function":
            return True
        if (
            isinstance(annotations, dict)
            and annotations.get(CLIENT_NAME_ANNOTATION) == "cloudfunctions"
        ):
            return True
    return False


def _base_documents(base: Path, bounds: Bounds, limit: int = 50) -> list[YamlDocument | UserError]:
    """The documents of the files a base's kustomization lists under ``resources``/``bases``,
    following local folders (at most ``limit`` kustomizations)."""
    from polyinfra.yamlio import load_all_file, load_file

    documents: list[YamlDocument | UserError] = []
    queue: list[tuple[Path, Position | None]] = [(base, None)]
    seen: set[Path] = set()
    while queue and len(seen) < limit:
        folder, reference = queue.pop(0)
        if folder in seen:
            continue
        seen.add(folder)
        kustomization = kustomization_file(folder)
        if kustomization is None:
            continue
        try:
            data = load_file(kustomization, bounds=bounds, reference=reference)
        except UserError as exc:
            documents.append(exc)
            continue
        for key in ("resources", "bases"):
            entries = data.get((key,)) or []
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, str) or "://" in entry or entry.startswith("git@"):
                    continue
                path = Path(os.path.normpath(folder / entry))
                at = data.position((key, index), value=True)
                if path.is_dir():
                    queue.append((path, at))
                elif path.is_file():
                    try:
                        documents.extend(load_all_file(path, bounds=bounds, reference=at))
                    except UserError as exc:
                        documents.append(exc)
    return documents


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
    app: str, projects: dict[str, Project], settings: Settings, infra_pyproject: Path
) -> str | None:
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
    # polyinfra.workspace.stack_links, once every app and Pulumi program is known
    return project_named(app, projects)


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
