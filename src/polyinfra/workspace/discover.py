"""Find a Polylith workspace from any folder inside it and read its layout."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import closest, did_you_mean
from polyinfra.values import InvalidValue
from polyinfra.workspace.model import (
    Brick,
    BrickKind,
    Project,
    PulumiProgram,
)
from polyinfra.workspace.settings import Settings
from polyinfra.workspace.tomlfile import key_position, line_of, load_toml
from polyinfra.yamlio.text import Bounds

# Folders never searched for Pulumi programs or apps.
SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".pytest_cache"}


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
        if _names_polylith(candidate / "pyproject.toml"):
            return candidate
    raise UserError(
        f"{start}: not inside a Polylith workspace: no workspace.toml (or pyproject.toml with "
        "[tool.polylith]) here or in any parent folder",
        hint="run polyinfra from the workspace, pass --workspace, or create one with "
        "`poly create workspace --name NAME --theme loose`",
    )


def _names_polylith(pyproject: Path) -> bool:
    """Whether ``pyproject`` is a file with a ``[tool.polylith]`` table."""
    try:
        info = pyproject.stat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and _version_names_polylith(
        pyproject, info.st_mtime_ns, info.st_size
    )


@functools.lru_cache(maxsize=256)
def _version_names_polylith(pyproject: Path, mtime_ns: int, size: int) -> bool:
    """:func:`_names_polylith` of one version of the file: every path a render or a rule
    reads finds its workspace, and an ``infrastructure/pyproject.toml`` on the way up (no
    ``[tool.polylith]``, many app tables) was parsed again each time."""
    return "polylith" in load_toml(pyproject).get("tool", {})


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
            # folders of one folder: each one's relative path is the folder's and its name
            paths = subdirs(top / namespace)
            parent = paths[0].parent.relative_to(root).as_posix() if paths else ""
            found = [(path, f"{parent}/{path.name}") for path in paths]
        else:
            candidates = [d / "src" / namespace / d.name for d in subdirs(top)]
            found = [(path, path.relative_to(root).as_posix()) for path in candidates]
            found = [(path, rel) for path, rel in found if path.is_dir()]
        for path, rel in found:
            bricks[rel] = Brick(name=path.name, kind=brick_kind, path=path, rel=rel)
    return dict(sorted(bricks.items()))


def discover_projects(root: Path, namespace: str, bricks: dict[str, Brick]) -> dict[str, Project]:
    """Every ``projects/<name>/pyproject.toml`` and the bricks it includes.

    Every brick line that names no brick is reported, all of them in one :class:`UserErrors`.
    """
    projects, errors = read_projects(root, namespace, bricks)
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return projects


def read_projects(
    root: Path, namespace: str, bricks: dict[str, Brick]
) -> tuple[dict[str, Project], list[UserError]]:
    """Every project with the bricks it includes, and an error for each brick line that names
    no brick (the project is kept with the bricks that were found)."""
    projects: dict[str, Project] = {}
    errors: list[UserError] = []
    resolved_root = root.resolve()  # once, not once per brick include: large workspaces
    by_name: dict[str, list[str]] = {}
    for rel, brick in bricks.items():
        by_name.setdefault(brick.name, []).append(rel)
    # An include that climbs out of its project (``../../components/ns/log``) names the same
    # bricks from every project folder that really is ``<root>/projects/<name>``: read once.
    climbing: dict[str, list[str]] = {}
    projects_prefix = os.path.join(resolved_root, "projects", "")
    for folder in subdirs(root / "projects"):
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            data = load_toml(pyproject)
        except UserError as exc:
            errors.append(exc)
            data = {}
        try:
            includes = _brick_includes(data, pyproject)
        except UserError as exc:
            errors.append(exc)
            includes = []
        resolved: list[str] = []
        # Resolve the project folder once, then each include lexically: brick keys are built
        # without resolving symlinks too, and a full resolve per include cost seconds on
        # large workspaces.
        real_folder = folder.resolve()
        in_place = str(real_folder) == projects_prefix + folder.name
        for include in includes:
            key = include.key
            if in_place and key.startswith("../../"):
                found = climbing.get(key)
                if found is None:
                    found = _bricks_of(key, real_folder, resolved_root, namespace, bricks, by_name)
                    climbing[key] = found
            else:
                found = _bricks_of(key, real_folder, resolved_root, namespace, bricks, by_name)
            if not found:
                errors.append(
                    _missing_brick(folder, real_folder, resolved_root, namespace, include, bricks)
                )
            resolved.extend(found)
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
    return projects, errors


def listed_bricks(
    project: Project, root: Path, namespace: str, bricks: dict[str, Brick]
) -> list[str]:
    """The bricks of ``project`` in the order its ``pyproject.toml`` lists them
    (``Project.bricks`` is sorted), each once; read as :func:`read_projects` reads them."""
    by_name: dict[str, list[str]] = {}
    for rel, brick in bricks.items():
        by_name.setdefault(brick.name, []).append(rel)
    includes = _brick_includes(load_toml(project.pyproject), project.pyproject)
    found: dict[str, None] = {}
    for include in includes:
        for rel in _bricks_of(
            include.key, project.path.resolve(), root.resolve(), namespace, bricks, by_name
        ):
            found.setdefault(rel)
    return [rel for rel in found if rel in project.bricks]


def _bricks_of(
    key: str,
    project: Path,
    root: Path,
    namespace: str,
    bricks: dict[str, Brick],
    by_name: dict[str, list[str]],
) -> list[str]:
    """The bricks (root-relative paths) a brick include names, read as polylith-cli reads it.

    The path is tried from the project folder (``../../bases/ns/x``, what the build hooks
    copy), then from the workspace root (``bases/ns/x``). Otherwise, as polylith-cli's
    ``poly info`` and ``poly check`` do, the include names the brick that follows its
    ``/<namespace>/`` part, whatever the folders before it: every base and component of that
    name.
    """
    # Lexical, on strings: what ``Path(os.path.normpath(start / key)).relative_to(root)``
    # gives, without building paths (tens of thousands of includes in large workspaces).
    root_text = str(root)
    prefix = root_text if root_text.endswith("/") else root_text + "/"
    for start in (str(project), root_text):
        target = os.path.normpath(os.path.join(start, key))
        if target.startswith(prefix) and target[len(prefix) :] in bricks:
            return [target[len(prefix) :]]
    name = polylith_brick_name(key, namespace)
    return list(by_name.get(name, ())) if name else []


def polylith_brick_name(key: str, namespace: str) -> str | None:
    """The brick name polylith-cli reads from a brick include, or None when it reads none.

    polylith-cli splits the include at its first ``/<namespace>/``, rebuilds
    ``<before>/<namespace>/<after>`` and takes the last folder when its parent is the
    namespace.

    >>> polylith_brick_name("../../components/acme/log", "acme")
    'log'
    >>> polylith_brick_name("bases/acme/api", "acme")
    'api'
    >>> polylith_brick_name("../../components/log/src/acme/log", "acme")
    'log'
    >>> polylith_brick_name("acme/log", "acme") is None
    True
    """
    before, _, after = key.partition(f"/{namespace}/")
    include = f"{namespace}/{after}"
    path = PurePosixPath(f"{before}/{include}" if before else include)
    if path.parent.name != namespace or not path.name:
        return None
    return path.name


def _missing_brick(
    folder: Path,
    real_folder: Path,
    root: Path,
    namespace: str,
    include: _BrickInclude,
    bricks: dict[str, Brick],
) -> UserError:
    """The error for an include that names no brick. The suggestion is the brick whose name
    is closest to the include's last folder, written the way the include is written (from the
    project folder or from the root), and never the include itself."""
    parts = include.key.rstrip("/").split("/")
    kinds = [i for i, part in enumerate(parts) if part in ("bases", "components")]
    lead = (
        "/".join(parts[: kinds[0]])
        if kinds
        else Path(os.path.relpath(root, real_folder)).as_posix()
    )
    closest_name = closest(parts[-1], {brick.name for brick in bricks.values()})
    # of the bricks with that name, the one in the kind folder the include names first
    candidates = sorted(
        (rel for rel, brick in bricks.items() if brick.name == closest_name),
        key=lambda rel: rel.split("/")[0] not in parts,
    )
    written = [f"{lead}/{rel}" if lead else rel for rel in candidates]
    written = [text for text in written if text != include.key]
    suggestion = f" (did you mean {written[0]!r}?)" if written else ""
    name = polylith_brick_name(include.key, namespace)
    why = (
        f"and no base or component is named {name!r}"
        if name
        else f"and it has no /{namespace}/<brick> part to read a brick name from"
    )
    return UserError(
        f"project {folder.name!r} includes brick {include.key!r}, which does not exist: "
        f"nothing at that path from the project folder or the workspace root, {why}"
        f"{suggestion}",
        position=include.position,
        hint="fix the path in [tool.polylith.bricks] or create the brick",
    )


@dataclass(frozen=True)
class _BrickInclude:
    """A brick path a project includes, and where it is written: the key of
    ``[tool.polylith.bricks]``, or the ``include`` of a Poetry ``packages`` entry."""

    key: str
    pyproject: Path
    poetry_include: str | None = None

    @property
    def position(self) -> Position:
        """Found on demand: only a wrong include needs it."""
        if self.poetry_include is None:
            return key_position(self.pyproject, ("tool", "polylith", "bricks"), self.key)
        at = key_position(self.pyproject, ("tool", "poetry"), "packages")
        quoted = (f'"{self.poetry_include}"', f"'{self.poetry_include}'")
        return line_of(self.pyproject, quoted, at)


def _brick_includes(data: dict[str, Any], pyproject: Path) -> list[_BrickInclude]:
    """Brick paths of hatch/pdm/uv style ``[tool.polylith.bricks]`` and Poetry ``packages``
    (``from``/``include``)."""
    tool = data.get("tool", {})
    polylith = tool.get("polylith", {})
    table = polylith.get("bricks", {}) if isinstance(polylith, dict) else {}
    if not isinstance(table, dict):
        raise UserError(
            "[tool.polylith.bricks] must be a table of brick path = package path",
            position=key_position(pyproject, ("tool", "polylith"), "bricks"),
            hint='write it as `"../../bases/<namespace>/<brick>" = "<namespace>/<brick>"` lines',
        )
    found = [_BrickInclude(str(key), pyproject) for key in table]
    poetry = tool.get("poetry", {})
    packages = poetry.get("packages", []) if isinstance(poetry, dict) else []
    for package in packages if isinstance(packages, list) else []:
        if isinstance(package, dict) and "include" in package:
            include = str(package["include"])
            base = str(package.get("from", "."))
            found.append(_BrickInclude(f"{base}/{include}", pyproject, include))
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
            # an entry of an array (app_paths): point at the array's key
            first_index = next((i for i, p in enumerate(error["loc"]) if isinstance(p, int)), None)
            at = loc if first_index is None else loc[:first_index]
            table, key = ("tool", "polyinfra", *at[:-1]), at[-1] if at else None
            message = error["msg"]
            hint = "see the settings reference in docs/settings.md"
            invalid = error.get("ctx", {}).get("error")
            if isinstance(invalid, InvalidValue) and at == loc and loc:
                # a value of the wrong kind: quoted with its key, as it is written
                table_name = ".".join(("tool", "polyinfra", *loc[:-1]))
                message = f"[{table_name}] {loc[-1]} = {error['input']!r} {invalid.message}"
                hint = invalid.hint or hint
                errors.append(
                    UserError(
                        message, position=key_position(infra_pyproject, table, key), hint=hint
                    )
                )
                continue
            if error["type"] == "extra_forbidden" and loc:
                known = _settings_keys(loc[:-1])
                message = f"unknown setting {loc[-1]!r}{did_you_mean(loc[-1], known)}"
            errors.append(
                UserError(
                    f"[tool.polyinfra] {'.'.join(loc)}: {message}",
                    position=key_position(infra_pyproject, table, key),
                    hint=hint,
                )
            )
        raise (errors[0] if len(errors) == 1 else UserErrors(errors)) from exc


def _settings_keys(loc: tuple[str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        if part.isdigit():  # an entry of an array of tables: the model is already its item's
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = args[-1] if args else annotation
    return list(getattr(model, "model_fields", {}))


def discover_programs(
    infrastructure: Path, bounds: Bounds | None = None
) -> tuple[PulumiProgram, ...]:
    """Folders under ``infrastructure/`` that hold a ``Pulumi.yaml``."""
    from polyinfra.yamlio import load_file

    programs: list[PulumiProgram] = []
    for project_file in sorted(_walk_files(infrastructure, {"Pulumi.yaml", "Pulumi.yml"})):
        doc = load_file(project_file, bounds=bounds)
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


def subdirs(folder: Path) -> list[Path]:
    """The folders in ``folder`` (links to folders too), by name, hidden and dunder ones left
    out; read from one directory listing, without a stat call per entry."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as listing:
        names = sorted(
            entry.name
            for entry in listing
            if not entry.name.startswith((".", "__")) and _is_dir(entry)
        )
    return [folder / name for name in names]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``Path.is_dir`` of a directory entry: False when it cannot be told."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    """``os.path.islink`` of a directory entry: False when it cannot be told."""
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _walk_files(top: Path, names: Iterable[str]) -> list[Path]:
    """The files called one of ``names`` under ``top``, as ``os.walk`` finds them (links to
    folders are not followed, unreadable folders are passed over), in no particular order;
    one directory listing per folder and no path objects for the rest."""
    wanted = set(names)
    found: list[Path] = []
    stack = [str(top)]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if _is_dir(entry):
                name = entry.name
                if name not in SKIP_DIRS and not name.startswith(".") and not _is_link(entry):
                    stack.append(entry.path)
            elif entry.name in wanted:
                found.append(Path(entry.path))
    return found
