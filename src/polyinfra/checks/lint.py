"""``polyinfra lint``: Cloud Run rules over plain manifest files, folders and rendered apps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.checks import engine
from polyinfra.checks.context import CheckContext, Manifest, manifests_from_file
from polyinfra.checks.problem import Level, Problem, UnreadableInput
from polyinfra.checks.registry import LINT_RULES
from polyinfra.checks.rendering import render_for_rules
from polyinfra.checks.rule import Rule
from polyinfra.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UserError
from polyinfra.manifests.apps import image_or_stand_in
from polyinfra.manifests.links import discover_workspace
from polyinfra.positions import Position
from polyinfra.redact import workspace_secrets
from polyinfra.workspace import App, Workspace
from polyinfra.workspace.model import KUSTOMIZATION_NAMES
from polyinfra.workspace.settings import RulesSettings
from polyinfra.yamlio import Bounds

#: The version rendered apps carry while linted (any valid version does).
LINT_VERSION = "0.0.0-lint"


@dataclass(frozen=True)
class LintOverlay:
    """A kustomization to render: a workspace app's overlay, or a kustomization that no other
    of a linted folder includes."""

    app: str
    env: str
    path: Path


@dataclass(frozen=True)
class LintTarget:
    """What one command-line path stands for: plain manifest files and kustomize overlays."""

    files: tuple[Path, ...] = ()
    overlays: tuple[LintOverlay, ...] = ()
    walked: bool = False  # files found by walking a folder: non-manifests are skipped
    folder: Path | None = None  # the folder walked


@dataclass(frozen=True)
class LintResult:
    """Problems found, the rules that ran, and how much was read."""

    problems: tuple[Problem, ...]
    rules: tuple[Rule, ...]
    files: int
    rendered: int
    unreadable: tuple[UnreadableInput, ...] = field(default=())
    #: values the linted manifests mark secret, which no report may show
    secrets: frozenset[str] = frozenset()

    @property
    def exit_code(self) -> int:
        """2 when an input could not be read, 1 for an error-level problem, else 0."""
        if self.unreadable:
            return EXIT_USAGE
        if any(p.level >= Level.ERROR for p in self.problems):
            return EXIT_FINDINGS
        return EXIT_OK


def lint_paths(
    paths: Sequence[Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    env: str | None = None,
    settings: RulesSettings | None = None,
) -> LintResult:
    """Lint every path: a manifest file, a folder of them, or (inside a workspace) an app,
    an app's base or overlay, or a folder of apps — apps are rendered with kustomize and their
    problems point at the base or overlay line that wrote the field.

    Raises UserError for a path that does not exist or an unknown rule or environment.
    """
    workspace = _workspace(paths)
    if settings is None:
        settings = workspace.settings.rules if workspace is not None else RulesSettings()
    rules = engine.select_rules(LINT_RULES, select=select, ignore=ignore, settings=settings)
    targets = [resolve_target(path, workspace, env) for path in paths]

    manifests: list[Manifest] = []
    unreadable: list[UnreadableInput] = []
    files = 0
    seen: set[Path] = set()
    bounds = workspace.bounds if workspace is not None else Bounds()
    for target in targets:
        for path in target.files:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            files += 1
            if target.folder is not None:  # found in a folder: inside it, a regular file
                inside = bounds.within(target.folder, "the folder")
                found, failure = manifests_from_file(path, bounds=inside)
            else:  # named on the command line: anywhere, and a pipe (/dev/stdin) too
                found, failure = manifests_from_file(
                    path, bounds=Bounds(max_size=bounds.max_size), stream=True
                )
            if target.walked:
                found = tuple(m for m in found if m.api_version and m.kind)
            manifests.extend(found)
            if failure is not None:
                unreadable.append(failure)
    overlays = list(dict.fromkeys(o for t in targets for o in t.overlays))
    rendered, failures = render_overlays(overlays, workspace)
    manifests.extend(rendered)

    ctx = CheckContext(
        manifests=tuple(manifests),
        unreadable=tuple(unreadable),
        settings=settings,
        workspace=workspace,
        render_failures=tuple(failures),
    )
    problems = engine.run(ctx, rules, settings=settings)
    return LintResult(
        tuple(problems),
        tuple(rules),
        files,
        len(overlays),
        (*unreadable, *failures),
        workspace_secrets(m.data for m in manifests),
    )


def _workspace(paths: Sequence[Path]) -> Workspace | None:
    for path in paths:
        if not path.exists():
            raise UserError(
                f"{path}: no such file or folder",
                hint="pass manifest files, folders of them, or app folders",
            )
    from polyinfra.workspace.discover import find_root

    start = paths[0] if paths else Path(".")
    try:
        find_root(start)
    except UserError:
        return None  # plain manifests outside any workspace
    # inside a workspace: its errors (a bad [tool.polyinfra] table...) are the user's to fix
    return discover_workspace(start)


def _app_owning(workspace: Workspace | None, folder: Path) -> App | None:
    if workspace is None:
        return None
    folder = folder.resolve()
    for app in workspace.apps.values():
        if folder == app.path.resolve() or folder == app.base.resolve():
            return app
    return None


def _overlays_of(app: App, env: str | None) -> tuple[LintOverlay, ...]:
    if env is not None:
        if env not in app.overlays:
            raise UserError(
                f"app {app.name!r} has no overlay for environment {env!r} "
                f"(it has: {', '.join(app.environments) or 'none'})",
                position=Position(app.overlay_root),
            )
        return (LintOverlay(app.name, env, app.overlays[env].path),)
    return tuple(LintOverlay(app.name, e, o.path) for e, o in sorted(app.overlays.items()))


def _app_overlay(workspace: Workspace | None, folder: Path) -> LintOverlay | None:
    """The workspace app overlay that ``folder`` is."""
    for app in workspace.apps.values() if workspace else ():
        for env, overlay in app.overlays.items():
            if folder.resolve() == overlay.path.resolve():
                return LintOverlay(app.name, env, overlay.path)
    return None


def resolve_target(path: Path, workspace: Workspace | None, env: str | None) -> LintTarget:
    """What ``path`` stands for (see :func:`lint_paths`)."""
    if not path.is_dir():  # a file, or a pipe such as /dev/stdin
        if path.name in KUSTOMIZATION_NAMES:
            return resolve_target(path.parent, workspace, env)
        return LintTarget(files=(path,))
    app = _app_owning(workspace, path)
    if app is not None and app.overlays:
        return LintTarget(overlays=_overlays_of(app, env))
    overlay = _app_overlay(workspace, path)
    if overlay is not None:
        return LintTarget(overlays=(overlay,))
    return _folder_target(path, workspace, env)


def _folder_target(folder: Path, workspace: Workspace | None, env: str | None) -> LintTarget:
    """A folder as its author builds it: every workspace app inside is rendered, and so is
    every other kustomization that no kustomization of the folder includes; YAML files that
    no kustomization reads (as a resource, patch or input) are linted as they are."""
    from polyinfra.manifests.layout import folder_layout

    layout = folder_layout(folder)
    apps = [
        a
        for a in (workspace.apps.values() if workspace else ())
        if a.path.resolve().is_relative_to(folder.resolve())
    ]
    overlays = [o for a in apps for o in _overlays_of_lenient(a, env)]
    # an app with no overlay yet: its base, as it is
    overlays += [LintOverlay(a.name, "base", a.base) for a in apps if not a.overlays and not env]
    taken = {o.path.resolve() for a in apps for o in a.overlays.values()}
    taken |= {a.base.resolve() for a in apps}
    for leaf in layout.leaves:
        if leaf.resolve() in taken or layout.reaches(leaf) & taken:
            continue  # an app of the workspace: rendered as such, above
        owned = _app_overlay(workspace, leaf)  # of an app around the folder
        if owned is not None:
            if env is None or owned.env == env:
                overlays.append(owned)
            continue
        app_name, leaf_env = _names(leaf)
        if leaf.resolve() == folder.resolve():
            leaf_env = env or leaf_env  # the folder asked for is rendered whatever its name
        elif env is not None and leaf_env != env:
            continue
        overlays.append(LintOverlay(app_name, leaf_env, leaf))
    return LintTarget(
        files=layout.plain_files(), overlays=tuple(overlays), walked=True, folder=folder
    )


def _names(leaf: Path) -> tuple[str, str]:
    """(app, environment) of a kustomization outside the workspace's apps, from its folder:
    ``<app>/overlays/<env>``, ``<app>/<env>`` beside ``<app>/base``, else the folder's name
    for both."""
    leaf = leaf.resolve()
    if leaf.parent.name == "overlays":
        return leaf.parent.parent.name, leaf.name
    if leaf.name != "base" and (leaf.parent / "base").is_dir():
        return leaf.parent.name, leaf.name
    return leaf.name, leaf.name


def _overlays_of_lenient(app: App, env: str | None) -> tuple[LintOverlay, ...]:
    if env is not None and env not in app.overlays:
        return ()
    return _overlays_of(app, env)


def render_overlays(
    overlays: Sequence[LintOverlay], workspace: Workspace | None
) -> tuple[list[Manifest], list[UnreadableInput]]:
    """Render the overlays (see :func:`polyinfra.checks.rendering.render_for_rules`); a failed
    render becomes an UnreadableInput at the file and line that does not load."""
    from polyinfra.manifests import RenderRequest

    requests = [
        RenderRequest(
            o.app, o.env, o.path, image_or_stand_in(workspace, o.app, o.env, LINT_VERSION)
        )
        for o in overlays
    ]
    return render_for_rules(requests, LINT_VERSION, workspace)
