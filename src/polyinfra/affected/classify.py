"""Sorting each changed path into what it touches: a brick, a project, an app's overlays, a
stack or the Pulumi program, the lock files, or everything; tallied in :class:`Collected`."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.affected.git import Change
from polyinfra.affected.model import Reason
from polyinfra.affected.patterns import PathPatterns
from polyinfra.errors import RefusedFile, UserError
from polyinfra.workspace import APP_KIND_DIRS, App, PulumiProgram, Workspace
from polyinfra.workspace.programs import reference_name
from polyinfra.yamlio.text import Bounds, read_text

LOCK_FILE = "uv.lock"
POETRY_LOCK = "poetry.lock"

#: A foundation stack: the folder name of its Pulumi program when the workspace has several
#: (``platform``, ``services``), else None, and the stack's name.
StackKey = tuple[str | None, str]


def program_key(ws: Workspace, program: PulumiProgram) -> str | None:
    """The name ``program``'s stacks are reported under: its folder name (what cross-stack
    references use) in a workspace of several programs, else None."""
    return reference_name(program) if ws.layered else None


@dataclass
class Collected:
    """Mutable tallies while classifying paths; frozen into :class:`Affected` at the end."""

    everything: list[Reason] = field(default_factory=list)
    ignored: list[Reason] = field(default_factory=list)
    bricks: dict[str, list[Reason]] = field(default_factory=dict)
    project_paths: dict[str, list[Reason]] = field(default_factory=dict)
    all_projects: list[Reason] = field(default_factory=list)
    lock_changed: bool = False
    project_pyprojects: set[str] = field(default_factory=set)
    stacks: dict[StackKey, list[Reason]] = field(default_factory=dict)
    all_stacks: list[Reason] = field(default_factory=list)
    #: program folder name -> reasons that reach every stack of that program (several programs)
    program_stacks: dict[str, list[Reason]] = field(default_factory=dict)
    app_envs: dict[str, dict[str, list[Reason]]] = field(default_factory=dict)
    removed_projects: dict[str, list[Reason]] = field(default_factory=dict)
    removed_apps: dict[str, list[Reason]] = field(default_factory=dict)
    removed_stacks: dict[StackKey, list[Reason]] = field(default_factory=dict)
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: app -> environment -> reasons: a program whose stack declares the environment's image
    #: registries changed (filled in with the stacks, see :mod:`polyinfra.affected.layers`)
    fed_apps: dict[str, dict[str, list[Reason]]] = field(default_factory=dict)


def classify_path(
    ws: Workspace,
    change: Change,
    ignore: PathPatterns,
    global_files: PathPatterns,
    schemas: dict[str, str],
    c: Collected,
) -> None:
    path = change.path
    parts = path.split("/")
    pattern = ignore.first_match(path)
    if pattern is not None:
        c.ignored.append(Reason(path, f"matches ignore pattern {pattern!r}"))
        return
    pattern = global_files.first_match(path)
    if pattern is not None:
        if path == LOCK_FILE:
            c.lock_changed = True
        else:
            c.all_projects.append(
                Reason(path, f"global file (pattern {pattern!r}): every project is built with it")
            )
        return
    if path == POETRY_LOCK:
        _classify_poetry_lock(ws, c)
        return
    if path in schemas:
        c.ignored.append(Reason(path, schemas[path]))
        return
    for app in ws.apps.values():  # wherever the app lives: infrastructure/, projects/, deploy/
        app_rel = _folder_rel(ws, app.path)
        if path.startswith(app_rel + "/"):
            _classify_app_path(ws, app, change, path[len(app_rel) + 1 :], c)
            return
    if parts[0] in ("bases", "components"):
        brick = _brick_of(ws, parts)
        if brick is None:
            c.ignored.append(Reason(path, "not inside a brick, so no image contains it"))
        else:
            c.bricks.setdefault(brick, []).append(Reason(path, f"brick {brick} changed"))
        return
    if parts[0] == "projects" and len(parts) >= 3:
        _classify_project_path(ws, change, parts[1], c)
        return
    if path.startswith(".github/workflows/"):
        c.everything.append(
            Reason(
                path,
                "a CI workflow changed, so everything is delivered through the new pipeline "
                "(add '.github/**' to [tool.polyinfra.affected] ignore to skip this)",
            )
        )
        return
    infrastructure = parts[0] == ws.infrastructure.name and len(parts) >= 2
    if infrastructure and _classify_infrastructure_path(ws, change, parts, c):
        return
    c.everything.append(
        Reason(
            path,
            "not owned by a brick, project, app or stack and not ignored, so it may affect "
            "everything (list it under [tool.polyinfra.affected] ignore if it does not)",
        )
    )


def _folder_rel(ws: Workspace, folder: Path) -> str:
    """``folder`` relative to the root, without a file-system call when it is written under
    the root (it is asked for once per changed path and app)."""
    try:
        return folder.relative_to(ws.root).as_posix()
    except ValueError:
        return ws.rel(folder)


def _brick_of(ws: Workspace, parts: list[str]) -> str | None:
    """The brick (root-relative path) that owns a path under ``bases/`` or ``components/``,
    by folder structure so deleted bricks are found too."""
    if ws.theme == "loose":
        if len(parts) >= 4 and parts[1] == ws.namespace:
            return "/".join(parts[:3])
        return None
    # tdd theme: <kind>s/<name>/src/<ns>/<name>/...; the brick's own pyproject and tests
    # live in <kind>s/<name>/ and belong to it too.
    if len(parts) >= 3:
        return f"{parts[0]}/{parts[1]}/src/{ws.namespace}/{parts[1]}"
    return None


def _classify_project_path(ws: Workspace, change: Change, name: str, c: Collected) -> None:
    path = change.path
    if name in ws.projects:
        c.project_paths.setdefault(name, []).append(Reason(path, "inside the project folder"))
        if path == f"projects/{name}/pyproject.toml" and change.status != "A":
            c.project_pyprojects.add(name)
    elif change.status == "D":
        c.removed_projects.setdefault(name, []).append(
            Reason(path, "deleted with the project folder")
        )
    else:
        c.ignored.append(Reason(path, f"projects/{name} has no pyproject.toml: not a project"))


def _classify_poetry_lock(ws: Workspace, c: Collected) -> None:
    """The root ``poetry.lock`` locks the root pyproject.toml: in a Poetry Polylith workspace
    that is the development environment, since Poetry has no workspace lock. Each project's
    image is built from the project's own pyproject.toml (`poetry build-project`), whose wheel
    carries its dependencies, so no package-level narrowing applies: an image installs from
    the root lock only when its Dockerfile copies it (the build context is the workspace
    root)."""
    line = _copies_from_context(ws.root / "Dockerfile", POETRY_LOCK, ws.bounds)
    if line is not None:
        c.all_projects.append(
            Reason(
                POETRY_LOCK,
                f"Dockerfile:{line} copies it into the image, and every project is built "
                "with that Dockerfile",
            )
        )
        return
    copied = False
    for project in ws.projects.values():
        if project.dockerfile is None:
            continue
        line = _copies_from_context(project.dockerfile, POETRY_LOCK, ws.bounds)
        if line is not None:
            copied = True
            c.project_paths.setdefault(project.name, []).append(
                Reason(
                    POETRY_LOCK,
                    f"{ws.rel(project.dockerfile)}:{line} copies it into the project's image",
                )
            )
    if not copied:
        c.ignored.append(
            Reason(
                POETRY_LOCK,
                "Poetry lock of the development environment at the workspace root: projects "
                "are built from their own pyproject.toml (poetry build-project) and no "
                "Dockerfile copies it",
            )
        )


def _copies_from_context(dockerfile: Path, rel: str, bounds: Bounds) -> int | None:
    """The line of the first ``COPY``/``ADD`` (or ``RUN --mount`` bind) that takes ``rel``
    from the build context into the image: a source that names it, matches it as a pattern,
    holds it, or is the whole context."""
    from polyinfra.checks.rules.workspace.dockerfile_reading import parse

    try:
        text = read_text(dockerfile, bounds=bounds)
    except (UserError, RefusedFile):
        return None  # no Dockerfile there: it copies nothing
    for copy in parse(text, dockerfile).copies:
        if not copy.from_context:
            continue
        for source in copy.sources:
            clean = source.lstrip("/") or "."
            if clean == "." or fnmatch.fnmatchcase(rel, clean) or rel.startswith(clean + "/"):
                return copy.position.line
    return None


def _classify_infrastructure_path(
    ws: Workspace, change: Change, parts: list[str], c: Collected
) -> bool:
    """Foundation, app manifest or removed app; False when the path is none of these."""
    path = change.path
    inner = parts[1:]
    if len(inner) == 1 and inner[0] in ("pyproject.toml", "uv.lock"):
        c.all_stacks.append(Reason(path, "the foundation's dependencies changed"))
        return True
    for program in ws.programs:
        program_rel = ws.rel(program.path)
        if path.startswith(program_rel + "/"):
            _classify_program_path(ws, program, change, path[len(program_rel) + 1 :], c)
            return True
    # A Pulumi stack file in a program folder deleted at head.
    name = parts[-1]
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")) and change.status == "D":
        stack = name[len("Pulumi.") :].rsplit(".", 1)[0]
        if stack and stack != "Pulumi":
            # with several programs, the folder the file was in names its program
            folder = parts[-2] if ws.layered and len(inner) >= 2 else None
            c.removed_stacks.setdefault((folder, stack), []).append(
                Reason(path, "stack file deleted")
            )
            return True
    if len(inner) >= 2 and inner[0] in APP_KIND_DIRS and change.status == "D":
        app_name = _removed_app_name(ws, inner)
        if app_name is not None:
            c.removed_apps.setdefault(app_name, []).append(
                Reason(path, "deleted with the app's Kustomize folder")
            )
            return True
    return False


def _removed_app_name(ws: Workspace, inner: list[str]) -> str | None:
    if inner[1] in ("base", "overlays"):
        return None  # single-app form: its name lived in the deleted manifest
    if inner[1] in ws.apps:
        return None
    return inner[1]


def _classify_program_path(
    ws: Workspace, program: PulumiProgram, change: Change, rel: str, c: Collected
) -> None:
    path = change.path
    name = rel.rsplit("/", 1)[-1]
    key = program_key(ws, program)
    if "/" not in rel and name.startswith("Pulumi.") and name.count(".") == 2:
        stack = name.split(".")[1]
        if key is None:
            exists = any(stack in p.stacks for p in ws.programs)
            why = f"stack file of {stack} changed"
        else:
            exists = stack in program.stacks
            why = f"stack {stack} of {key} changed"
        if exists:
            c.stacks.setdefault((key, stack), []).append(Reason(path, why))
        else:
            c.removed_stacks.setdefault((key, stack), []).append(Reason(path, "stack file deleted"))
        return
    if key is None:
        c.all_stacks.append(Reason(path, "Pulumi program changed: every stack runs it"))
    else:
        c.program_stacks.setdefault(key, []).append(
            Reason(path, f"Pulumi program {key} changed: every stack of it runs it")
        )


def _classify_app_path(ws: Workspace, app: App, change: Change, rel: str, c: Collected) -> None:
    path = change.path
    envs = c.app_envs.setdefault(app.name, {})
    parts = rel.split("/")
    target = app.path / rel
    overlay = app.overlay_containing(target)
    env = overlay.env if overlay is not None else None
    if env is None and parts[0] != "base" and target.is_relative_to(app.overlay_root):
        inner = target.relative_to(app.overlay_root).parts
        env = inner[0] if len(inner) >= 2 and app.overlay_root != app.path else None
    if env is not None:
        envs.setdefault(env, []).append(Reason(path, f"Kustomize overlay {env} changed"))
        return
    why = "Kustomize base changed" if parts[0] == "base" else "app folder changed"
    for env in app.overlays:
        envs.setdefault(env, []).append(Reason(path, why))
    if not app.overlays:
        envs.setdefault("", []).append(Reason(path, why))
