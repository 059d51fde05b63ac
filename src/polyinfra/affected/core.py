"""Map the files changed between two commits to the stacks, projects and apps they affect."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.affected import git
from polyinfra.affected.git import Change
from polyinfra.affected.lock import LockProject, lock_impact
from polyinfra.affected.model import (
    Affected,
    AffectedApp,
    AffectedBrick,
    AffectedProject,
    AffectedStack,
    AppAction,
    Reason,
    Removed,
)
from polyinfra.affected.patterns import PathPatterns
from polyinfra.errors import RefusedFile, ToolError, UserError
from polyinfra.workspace import APP_KIND_DIRS, App, Workspace
from polyinfra.workspace.imports import brick_imports
from polyinfra.yamlio.text import Bounds, read_text

LOCK_FILE = "uv.lock"
POETRY_LOCK = "poetry.lock"
_MODELINE = re.compile(r"^[ \t]*#[ \t]*yaml-language-server:[ \t]*\$schema=(\S+)", re.M)
BlobReader = Callable[[Iterable[str]], Mapping[str, bytes | None]]


def find_affected(
    ws: Workspace,
    base: str | None,
    head: str = "HEAD",
    *,
    fallback_all: bool = False,
    env: str | None = None,
    everything: bool = False,
) -> Affected:
    """What changed between the merge base of ``base`` and ``head`` affects.

    The layout (projects, bricks, apps, stacks) is read from the checkout, which must be at
    ``head``; the base revision's project files and lock are read from git. Any git failure
    raises :class:`ToolError` with git's stderr, unless ``fallback_all`` turns it into an
    answer where everything is affected. ``everything`` asks for that answer directly.
    """
    if env is not None and env not in ws.environments:
        known = ", ".join(ws.environments) or "none"
        raise UserError(
            f"unknown environment {env!r}; environments with overlays: {known}",
            hint="pass an overlay name under infrastructure/cloudrun*/<app>/overlays/",
        )
    if everything:
        return _everything_answer(
            ws, base or "", head, env, Reason("", "everything was requested (--all)")
        )
    if base is None:
        raise UserError("pass --base REF (or --all to treat everything as affected)")
    try:
        base_commit = git.resolve_commit(ws.root, base, "base")
        head_commit = git.resolve_commit(ws.root, head, "head")
        checkout = git.resolve_commit(ws.root, "HEAD", "head")
        if head_commit != checkout:
            raise UserError(
                f"--head {head} is {head_commit[:12]} but the checkout is at {checkout[:12]}; "
                "the workspace layout is read from the checkout",
                hint=f"check out {head} first (`git switch --detach {head}`) or omit --head",
            )
        mb = git.merge_base(ws.root, base_commit, head_commit)
        changes = git.changed_paths(ws.root, mb, head_commit)
        return _classify(
            ws,
            changes,
            read_base=lambda paths: git.read_blobs(ws.root, mb, paths),
            read_head=lambda paths: git.read_blobs(ws.root, head_commit, paths),
            base=base,
            head=head,
            merge_base=mb,
            head_commit=head_commit,
            env=env,
        )
    except ToolError as exc:
        if not fallback_all:
            raise
        return _everything_answer(
            ws, base, head, env, Reason("", f"git failed, so everything is affected: {exc}")
        )


@dataclass
class _Collected:
    """Mutable tallies while classifying paths; frozen into :class:`Affected` at the end."""

    everything: list[Reason] = field(default_factory=list)
    ignored: list[Reason] = field(default_factory=list)
    bricks: dict[str, list[Reason]] = field(default_factory=dict)
    project_paths: dict[str, list[Reason]] = field(default_factory=dict)
    all_projects: list[Reason] = field(default_factory=list)
    lock_changed: bool = False
    project_pyprojects: set[str] = field(default_factory=set)
    stacks: dict[str, list[Reason]] = field(default_factory=dict)
    all_stacks: list[Reason] = field(default_factory=list)
    app_envs: dict[str, dict[str, list[Reason]]] = field(default_factory=dict)
    removed_projects: dict[str, list[Reason]] = field(default_factory=dict)
    removed_apps: dict[str, list[Reason]] = field(default_factory=dict)
    removed_stacks: dict[str, list[Reason]] = field(default_factory=dict)
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _classify(
    ws: Workspace,
    changes: list[Change],
    *,
    read_base: BlobReader,
    read_head: BlobReader,
    base: str,
    head: str,
    merge_base: str,
    head_commit: str,
    env: str | None,
) -> Affected:
    settings = ws.settings.affected
    ignore = PathPatterns(tuple(settings.ignore))
    global_files = PathPatterns(tuple(settings.global_files), anchored=True)
    c = _Collected()
    schemas = _editor_schemas(ws) if any(_outside_bricks(ch.path) for ch in changes) else {}
    for change in changes:
        _classify_path(ws, change, ignore, global_files, schemas, c)

    if c.bricks:
        c.chains = brick_imports(ws.bricks, ws.namespace).dependents(c.bricks)
    bricks = _affected_bricks(c)
    projects = _affected_projects(ws, c, read_base, read_head)
    stacks = _affected_stacks(ws, c)
    apps = _affected_apps(ws, c, projects)
    answer = Affected(
        base=base,
        head=head,
        merge_base=merge_base,
        head_commit=head_commit,
        env=None,
        everything=bool(c.everything),
        everything_reasons=tuple(sorted(set(c.everything))),
        stacks=stacks,
        bricks=bricks,
        projects=projects,
        apps=apps,
        removed_projects=_removed(c.removed_projects),
        removed_apps=_removed(c.removed_apps),
        removed_stacks=_removed(c.removed_stacks),
        ignored=tuple(sorted(set(c.ignored))),
    )
    if c.everything:
        answer = _with_everything(ws, answer, tuple(sorted(set(c.everything))))
    return _for_env(ws, answer, env)


def _outside_bricks(path: str) -> bool:
    return path.split("/", 1)[0] not in ("bases", "components", "projects")


def _editor_schemas(ws: Workspace) -> dict[str, str]:
    """Editor schemas of the stack files, each with the reason it is not a program input: the
    file `polyinfra init` writes next to the stack files, and any local file a stack file's
    ``# yaml-language-server: $schema=`` modeline names (resolved from the stack file's
    folder, as the editor resolves it)."""
    from polyinfra.scaffold.init import SCHEMA_FILE

    schemas: dict[str, str] = {}
    for program in ws.programs:
        schemas[f"{ws.rel(program.path)}/{SCHEMA_FILE}"] = (
            "JSON Schema of the stack files for editors (written by `polyinfra init` and "
            "`polyinfra schema`): the Pulumi program does not read it"
        )
        for stack_file in program.stacks.values():
            try:
                text = read_text(stack_file, bounds=ws.bounds)
            except (UserError, RefusedFile):
                continue  # gone since discovery: it names no schema
            folder = posixpath.dirname(ws.rel(stack_file))
            for match in _MODELINE.finditer(text):
                target = match.group(1)
                if "://" in target or target.startswith("/"):
                    continue
                rel = posixpath.normpath(posixpath.join(folder, target))
                # a file inside a brick or project may be in an image: it stays theirs
                if not rel.startswith("../") and _outside_bricks(rel):
                    schemas.setdefault(
                        rel,
                        "JSON Schema that the yaml-language-server modeline of "
                        f"{ws.rel(stack_file)} names, for editors: the Pulumi program does not "
                        "read it",
                    )
    return schemas


def _classify_path(
    ws: Workspace,
    change: Change,
    ignore: PathPatterns,
    global_files: PathPatterns,
    schemas: dict[str, str],
    c: _Collected,
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


def _classify_project_path(ws: Workspace, change: Change, name: str, c: _Collected) -> None:
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


def _classify_poetry_lock(ws: Workspace, c: _Collected) -> None:
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
    ws: Workspace, change: Change, parts: list[str], c: _Collected
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
            _classify_program_path(ws, change, path[len(program_rel) + 1 :], c)
            return True
    # A Pulumi stack file in a program folder deleted at head.
    name = parts[-1]
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")) and change.status == "D":
        stack = name[len("Pulumi.") :].rsplit(".", 1)[0]
        if stack and stack != "Pulumi":
            c.removed_stacks.setdefault(stack, []).append(Reason(path, "stack file deleted"))
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


def _classify_program_path(ws: Workspace, change: Change, rel: str, c: _Collected) -> None:
    path = change.path
    name = rel.rsplit("/", 1)[-1]
    if "/" not in rel and name.startswith("Pulumi.") and name.count(".") == 2:
        stack = name.split(".")[1]
        if any(stack in p.stacks for p in ws.programs):
            c.stacks.setdefault(stack, []).append(Reason(path, f"stack file of {stack} changed"))
        else:
            c.removed_stacks.setdefault(stack, []).append(Reason(path, "stack file deleted"))
        return
    c.all_stacks.append(Reason(path, "Pulumi program changed: every stack runs it"))


def _classify_app_path(ws: Workspace, app: App, change: Change, rel: str, c: _Collected) -> None:
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


def _affected_bricks(c: _Collected) -> tuple[AffectedBrick, ...]:
    bricks: list[AffectedBrick] = []
    for name in sorted(c.bricks.keys() | c.chains.keys()):
        reasons = list(c.bricks.get(name, ()))
        if name in c.chains:
            chain = (name, *c.chains[name])
            changed = chain[-1]
            route = " -> ".join(chain)
            reasons.extend(
                Reason(r.path, f"imports changed brick {changed} ({route})")
                for r in c.bricks[changed]
            )
        bricks.append(
            AffectedBrick(name=name, changed=name in c.bricks, reasons=tuple(sorted(set(reasons))))
        )
    return tuple(bricks)


def _affected_projects(
    ws: Workspace, c: _Collected, read_base: BlobReader, read_head: BlobReader
) -> tuple[AffectedProject, ...]:
    reasons: dict[str, list[Reason]] = defaultdict(list)
    for name, items in c.project_paths.items():
        reasons[name].extend(items)
    if c.all_projects:
        for name in ws.projects:
            reasons[name].extend(c.all_projects)
    if c.lock_changed:
        _lock_reasons(ws, read_base, read_head, reasons)
    if c.bricks:
        _brick_reasons(ws, c, read_base, reasons)
    return tuple(
        AffectedProject(name=name, reasons=tuple(sorted(set(items))))
        for name, items in sorted(reasons.items())
        if items
    )


def _lock_reasons(
    ws: Workspace, read_base: BlobReader, read_head: BlobReader, reasons: dict[str, list[Reason]]
) -> None:
    old = read_base([LOCK_FILE])[LOCK_FILE]
    new = read_head([LOCK_FILE])[LOCK_FILE]
    lock_projects = [
        LockProject(name=p.name, folder=f"projects/{p.name}", package_name=p.package_name)
        for p in ws.projects.values()
    ]
    impact = lock_impact(old, new, lock_projects)
    if impact.everything is not None:
        why = f"{impact.everything}; every project is treated as affected"
        for name in ws.projects:
            reasons[name].append(Reason(LOCK_FILE, why))
        return
    for name, packages in impact.projects.items():
        listed = ", ".join(packages)
        reasons[name].append(
            Reason(LOCK_FILE, f"locked packages in the project's dependencies changed: {listed}")
        )


def _brick_reasons(
    ws: Workspace, c: _Collected, read_base: BlobReader, reasons: dict[str, list[Reason]]
) -> None:
    chains = c.chains
    base_bricks = _base_bricks(ws, c.project_pyprojects, read_base)
    for project in ws.projects.values():
        at_head = set(project.bricks)
        used = at_head | base_bricks.get(project.name, set())
        reached: set[str] = set()
        for brick in sorted(used & c.bricks.keys()):
            how = "includes" if brick in at_head else "included at the base revision"
            reached.add(brick)
            for reason in c.bricks[brick]:
                reasons[project.name].append(
                    Reason(reason.path, f"brick {brick} changed; the project {how} it")
                )
        # A changed brick the project does not include still reaches it through imports;
        # name one route (the first in sorted order) per changed brick.
        for brick in sorted(used & chains.keys()):
            chain = (brick, *chains[brick])
            changed = chain[-1]
            if changed in reached:
                continue
            reached.add(changed)
            how = "includes" if brick in at_head else "included at the base revision"
            for reason in c.bricks[changed]:
                reasons[project.name].append(
                    Reason(
                        reason.path,
                        f"brick {changed} changed; the project {how} {brick}, which imports "
                        f"it ({' -> '.join(chain)})",
                    )
                )


def _base_bricks(ws: Workspace, names: set[str], read_base: BlobReader) -> dict[str, set[str]]:
    """Bricks each project (whose pyproject.toml changed) included at the base revision."""
    files = {name: f"projects/{name}/pyproject.toml" for name in sorted(names)}
    blobs = read_base(files.values())
    found: dict[str, set[str]] = {}
    for name, path in files.items():
        content = blobs.get(path)
        if content is None:
            continue
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # the project is affected through its own pyproject.toml change anyway
        found[name] = {posixpath.normpath(f"projects/{name}/{key}") for key in _brick_keys(data)}
    return found


def _brick_keys(data: dict[str, Any]) -> list[str]:
    tool = data.get("tool", {})
    keys: list[str] = []
    bricks = tool.get("polylith", {}).get("bricks", {})
    if isinstance(bricks, dict):
        keys.extend(str(key) for key in bricks)
    for package in tool.get("poetry", {}).get("packages", []) or []:
        if isinstance(package, dict) and "include" in package:
            keys.append(f"{package.get('from', '.')}/{package['include']}")
    return keys


def _affected_stacks(ws: Workspace, c: _Collected) -> tuple[AffectedStack, ...]:
    reasons: dict[str, list[Reason]] = defaultdict(list)
    for stack, items in c.stacks.items():
        reasons[stack].extend(items)
    if c.all_stacks:
        for program in ws.programs:
            for stack in program.stacks:
                reasons[stack].extend(c.all_stacks)
    return tuple(
        AffectedStack(name=name, reasons=tuple(sorted(set(items))))
        for name, items in sorted(reasons.items())
    )


def _affected_apps(
    ws: Workspace, c: _Collected, projects: tuple[AffectedProject, ...]
) -> tuple[AffectedApp, ...]:
    by_project = {p.name: p for p in projects}
    apps: list[AffectedApp] = []
    for app in ws.apps.values():
        touched = c.app_envs.get(app.name, {})
        manifest = [r for items in touched.values() for r in items]
        project = by_project.get(app.project) if app.project is not None else None
        if project is not None:
            action: AppAction = "rebuild"
            envs = tuple(sorted(app.overlays))
            items = [*project.reasons, *manifest]
        elif manifest:
            action = "redeploy"
            envs = tuple(sorted(e for e in touched if e in app.overlays))
            items = manifest
        else:
            continue
        apps.append(
            AffectedApp(
                name=app.name,
                kind=app.kind,
                project=app.project,
                action=action,
                environments=envs,
                reasons=tuple(sorted(set(items))),
            )
        )
    return tuple(apps)


def _removed(items: dict[str, list[Reason]]) -> tuple[Removed, ...]:
    return tuple(
        Removed(name=name, reasons=tuple(sorted(set(reasons))))
        for name, reasons in sorted(items.items())
    )


def _with_everything(ws: Workspace, answer: Affected, why: tuple[Reason, ...]) -> Affected:
    """``answer`` with every project, app and stack added, each carrying ``why``."""
    projects = {p.name: p.reasons for p in answer.projects}
    all_projects = tuple(
        AffectedProject(name=name, reasons=tuple(sorted({*projects.get(name, ()), *why})))
        for name in sorted(ws.projects)
    )
    stacks = {s.name: s.reasons for s in answer.stacks}
    names = sorted({stack for p in ws.programs for stack in p.stacks} | set(stacks))
    all_stacks = tuple(
        AffectedStack(name=name, reasons=tuple(sorted({*stacks.get(name, ()), *why})))
        for name in names
    )
    apps = {a.name: a for a in answer.apps}
    all_apps: list[AffectedApp] = []
    for app in ws.apps.values():
        known = apps.get(app.name)
        all_apps.append(
            AffectedApp(
                name=app.name,
                kind=app.kind,
                project=app.project,
                action="rebuild" if app.project is not None else "redeploy",
                environments=tuple(sorted(app.overlays)),
                reasons=tuple(sorted({*(known.reasons if known else ()), *why})),
            )
        )
    return Affected(
        base=answer.base,
        head=answer.head,
        merge_base=answer.merge_base,
        head_commit=answer.head_commit,
        env=answer.env,
        everything=True,
        everything_reasons=why,
        stacks=all_stacks,
        bricks=answer.bricks,
        projects=all_projects,
        apps=tuple(all_apps),
        removed_projects=answer.removed_projects,
        removed_apps=answer.removed_apps,
        removed_stacks=answer.removed_stacks,
        ignored=answer.ignored,
    )


def _everything_answer(
    ws: Workspace, base: str, head: str, env: str | None, why: Reason
) -> Affected:
    empty = Affected(
        base=base,
        head=head,
        merge_base=None,
        head_commit=None,
        env=None,
        everything=True,
        everything_reasons=(why,),
        stacks=(),
        bricks=(),
        projects=(),
        apps=(),
    )
    return _for_env(ws, _with_everything(ws, empty, (why,)), env)


def _for_env(ws: Workspace, answer: Affected, env: str | None) -> Affected:
    """Keep only what acts on environment ``env`` (its apps' overlays and its stack)."""
    if env is None:
        return answer
    stack = ws.stack_for_env(env)
    apps = tuple(
        AffectedApp(
            name=a.name,
            kind=a.kind,
            project=a.project,
            action=a.action,
            environments=(env,),
            reasons=a.reasons,
        )
        for a in answer.apps
        if env in a.environments
    )
    return Affected(
        base=answer.base,
        head=answer.head,
        merge_base=answer.merge_base,
        head_commit=answer.head_commit,
        env=env,
        everything=answer.everything,
        everything_reasons=answer.everything_reasons,
        stacks=tuple(s for s in answer.stacks if s.name == stack),
        bricks=answer.bricks,
        projects=answer.projects,
        apps=apps,
        removed_projects=answer.removed_projects,
        removed_apps=answer.removed_apps,
        removed_stacks=tuple(s for s in answer.removed_stacks if s.name == stack),
        ignored=answer.ignored,
    )
