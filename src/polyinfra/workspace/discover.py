"""Find a Polylith workspace from any folder inside it and read its layout."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace.model import (
    APP_KIND_DIRS,
    App,
    Brick,
    BrickKind,
    Overlay,
    Project,
    PulumiProgram,
    kustomization_file,
    normalize_name,
)
from polyinfra.workspace.settings import Settings
from polyinfra.workspace.tomlfile import key_position, load_toml

# Folders never searched for Pulumi programs or apps.
_SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".pytest_cache"}


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``workspace.toml`` or a
    ``pyproject.toml`` with a ``[tool.polylith]`` table."""
    start = start.resolve()
    if not start.exists():
        raise UserError(f"{start}: no such folder", hint="pass an existing workspace folder")
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "workspace.toml").is_file():
            return candidate
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "polylith" in load_toml(pyproject).get("tool", {}):
            return candidate
    raise UserError(
        f"{start}: not inside a Polylith workspace: no workspace.toml (or pyproject.toml with "
        "[tool.polylith]) here or in any parent folder",
        hint="run polyinfra from the workspace, pass --workspace, or create one with "
        "`poly create workspace --name NAME --theme loose`",
    )


def read_polylith_config(root: Path) -> tuple[dict[str, Any], Path]:
    """The ``[tool.polylith]`` table and the file it came from."""
    for name in ("workspace.toml", "pyproject.toml"):
        path = root / name
        if path.is_file():
            table = load_toml(path).get("tool", {}).get("polylith")
            if isinstance(table, dict):
                return table, path
    raise UserError(
        f"{root / 'workspace.toml'}: no [tool.polylith] table",
        hint='add `[tool.polylith]` with `namespace = "..."`',
    )


def read_namespace(config: dict[str, Any], source: Path) -> str:
    namespace = config.get("namespace")
    if not isinstance(namespace, str) or not namespace:
        raise UserError(
            "[tool.polylith] has no namespace",
            position=key_position(source, ("tool", "polylith")),
            hint='add `namespace = "your_namespace"`',
        )
    return namespace


def discover_bricks(root: Path, namespace: str, theme: str) -> dict[str, Brick]:
    """Every base and component: ``<kind>s/<ns>/<name>`` (loose theme) or
    ``<kind>s/<name>/src/<ns>/<name>`` (tdd theme)."""
    bricks: dict[str, Brick] = {}
    for folder, kind in (("bases", "base"), ("components", "component")):
        brick_kind: BrickKind = "base" if kind == "base" else "component"
        top = root / folder
        if not top.is_dir():
            continue
        if theme == "loose":
            candidates = _subdirs(top / namespace)
        else:
            candidates = [d / "src" / namespace / d.name for d in _subdirs(top)]
        for path in candidates:
            if path.is_dir():
                rel = path.relative_to(root).as_posix()
                bricks[rel] = Brick(name=path.name, kind=brick_kind, path=path, rel=rel)
    return dict(sorted(bricks.items()))


def discover_projects(root: Path, bricks: dict[str, Brick]) -> dict[str, Project]:
    """Every ``projects/<name>/pyproject.toml`` and the bricks it includes."""
    projects: dict[str, Project] = {}
    resolved_root = root.resolve()  # once, not once per brick include: large workspaces
    for folder in _subdirs(root / "projects"):
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        data = load_toml(pyproject)
        includes = _brick_includes(data, pyproject)
        resolved: list[str] = []
        # Resolve the project folder once, then each include lexically: brick keys are built
        # without resolving symlinks too, and a full resolve per include cost seconds on
        # large workspaces.
        real_folder = folder.resolve()
        for key, table in includes:
            target = Path(os.path.normpath(real_folder / key))
            try:
                rel = target.relative_to(resolved_root).as_posix()
            except ValueError:
                rel = key
            if rel not in bricks:
                raise UserError(
                    f"project {folder.name!r} includes brick {key!r}, which does not exist "
                    f"(resolved to {rel}){did_you_mean(rel, bricks)}",
                    position=key_position(pyproject, table, key),
                    hint="fix the path in [tool.polylith.bricks] or create the brick",
                )
            resolved.append(rel)
        package_name = data.get("project", {}).get("name") or data.get("tool", {}).get(
            "poetry", {}
        ).get("name")
        dockerfile = folder / "Dockerfile"
        projects[folder.name] = Project(
            name=folder.name,
            path=folder,
            pyproject=pyproject,
            package_name=package_name if isinstance(package_name, str) else None,
            bricks=tuple(sorted(set(resolved))),
            dockerfile=dockerfile if dockerfile.is_file() else None,
        )
    return projects


def _brick_includes(data: dict[str, Any], pyproject: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(relative brick path, table it is written in) for hatch/pdm/uv style
    ``[tool.polylith.bricks]`` and Poetry ``packages``."""
    tool = data.get("tool", {})
    found: list[tuple[str, tuple[str, ...]]] = []
    table = tool.get("polylith", {}).get("bricks", {})
    if not isinstance(table, dict):
        raise UserError(
            "[tool.polylith.bricks] must be a table of brick path = package path",
            position=key_position(pyproject, ("tool", "polylith", "bricks")),
        )
    found.extend((str(key), ("tool", "polylith", "bricks")) for key in table)
    for package in tool.get("poetry", {}).get("packages", []) or []:
        if isinstance(package, dict) and "include" in package:
            base = package.get("from", ".")
            found.append((f"{base}/{package['include']}", ("tool", "poetry")))
    return found


def read_uv_workspace(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return (), ()
    table = load_toml(pyproject).get("tool", {}).get("uv", {}).get("workspace", {})
    members = tuple(str(m) for m in table.get("members", []) or [])
    excludes = tuple(str(m) for m in table.get("exclude", []) or [])
    return members, excludes


def read_settings(infra_pyproject: Path | None) -> Settings:
    if infra_pyproject is None:
        return Settings()
    raw = load_toml(infra_pyproject).get("tool", {}).get("polyinfra", {})
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"])
            table, key = ("tool", "polyinfra", *loc[:-1]), loc[-1] if loc else None
            message = error["msg"]
            if error["type"] == "extra_forbidden" and key is not None:
                known = _settings_keys(loc[:-1])
                message = f"unknown setting {key!r}{did_you_mean(key, known)}"
            errors.append(
                UserError(
                    f"[tool.polyinfra] {'.'.join(loc)}: {message}",
                    position=key_position(infra_pyproject, table, key),
                    hint="see the settings reference in docs/settings.md",
                )
            )
        raise (errors[0] if len(errors) == 1 else UserErrors(errors)) from exc


def _settings_keys(loc: tuple[str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = args[-1] if args else annotation
    return list(getattr(model, "model_fields", {}))


def discover_programs(infrastructure: Path) -> tuple[PulumiProgram, ...]:
    """Folders under ``infrastructure/`` that hold a ``Pulumi.yaml``."""
    from polyinfra.yamlio import load_file

    programs: list[PulumiProgram] = []
    for project_file in sorted(_walk_files(infrastructure, {"Pulumi.yaml", "Pulumi.yml"})):
        doc = load_file(project_file)
        data = doc.data if isinstance(doc.data, dict) else {}
        runtime = data.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        stacks = {
            path.name[len("Pulumi.") : -len(path.suffix)]: path
            for path in sorted(project_file.parent.glob("Pulumi.*.y*ml"))
            if path.suffix in (".yaml", ".yml")
        }
        programs.append(
            PulumiProgram(
                path=project_file.parent,
                project_file=project_file,
                name=str(data.get("name") or project_file.parent.name),
                runtime=str(runtime_name or ""),
                stacks=stacks,
            )
        )
    return tuple(programs)


def discover_apps(
    infrastructure: Path,
    projects: dict[str, Project],
    settings: Settings,
    infra_pyproject: Path | None,
) -> dict[str, App]:
    """Kustomize apps in every kind folder, in single-app or multi-app form."""
    apps: dict[str, App] = {}
    for kind_dir in sorted(APP_KIND_DIRS):
        folder = infrastructure / kind_dir
        if not folder.is_dir():
            continue
        kind = APP_KIND_DIRS[kind_dir]
        if (folder / "base").is_dir() or (folder / "overlays").is_dir():
            app_dirs = [(folder, _single_app_name(folder))]
        else:
            app_dirs = [
                (d, d.name)
                for d in _subdirs(folder)
                if (d / "base").is_dir() or (d / "overlays").is_dir()
            ]
        for app_dir, name in app_dirs:
            base = app_dir / "base"
            if not base.is_dir():
                raise UserError(
                    f"app {name!r} has overlays but no base folder",
                    position=Position(app_dir / "overlays"),
                    hint=f"create {base.relative_to(infrastructure.parent)}/ with the "
                    "manifest and a kustomization.yaml",
                )
            if kustomization_file(base) is None:
                raise UserError(
                    f"app {name!r}: {base} has no kustomization.yaml",
                    position=Position(base),
                    hint="add a kustomization.yaml listing the manifest under `resources:`",
                )
            overlays: dict[str, Overlay] = {}
            for env_dir in _subdirs(app_dir / "overlays"):
                if kustomization_file(env_dir) is None:
                    raise UserError(
                        f"overlay {env_dir.name!r} of app {name!r} has no kustomization.yaml",
                        position=Position(env_dir),
                        hint="add a kustomization.yaml with `resources: [../../base]`",
                    )
                overlays[env_dir.name] = Overlay(env=env_dir.name, path=env_dir)
            if name in apps:
                other = apps[name]
                raise UserError(
                    f"two apps are named {name!r}: {other.path} and {app_dir}",
                    position=Position(app_dir),
                    hint="app names must be unique across services, jobs and functions",
                )
            apps[name] = App(
                name=name,
                kind=kind,
                path=app_dir,
                base=base,
                overlays=overlays,
                project=_project_for(name, projects, settings, infra_pyproject),
                kind_dir=kind_dir,
            )
    return dict(sorted(apps.items()))


def _project_for(
    app: str, projects: dict[str, Project], settings: Settings, infra_pyproject: Path | None
) -> str | None:
    explicit = settings.apps.get(app)
    if explicit is not None and explicit.project is not None:
        if explicit.project not in projects:
            raise UserError(
                f"app {app!r} is mapped to project {explicit.project!r}, which does not exist "
                f"under projects/{did_you_mean(explicit.project, projects)}",
                position=key_position(
                    infra_pyproject or Path("pyproject.toml"),
                    ("tool", "polyinfra", "apps", app),
                    "project",
                ),
                hint="set `project` to a folder name under projects/",
            )
        return explicit.project
    wanted = normalize_name(app)
    for name in projects:
        if normalize_name(name) == wanted:
            return name
    return None


def _single_app_name(folder: Path) -> str:
    """The single-app form names the app after the ``metadata.name`` in its base manifest."""
    from polyinfra.yamlio import load_all_file, load_file

    kustomization = kustomization_file(folder / "base")
    if kustomization is None:
        return folder.name
    resources = load_file(kustomization).get(("resources",)) or []
    for resource in resources if isinstance(resources, list) else []:
        path = folder / "base" / str(resource)
        if not path.is_file():
            continue
        for doc in load_all_file(path):
            name = doc.get(("metadata", "name"))
            if isinstance(name, str) and name:
                return name
    return folder.name


def _subdirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _walk_files(top: Path, names: Iterable[str]) -> list[Path]:
    wanted = set(names)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(Path(dirpath) / f for f in filenames if f in wanted)
    return found
