"""Apps of a workspace as render requests: which overlay, which image (given, from a registry
prefix, or derived from the foundation stack's Artifact Registry repository)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import stackview
from polyinfra.manifests.placeholders import check_version
from polyinfra.manifests.render import RenderOptions, RenderRequest, RenderResult, render
from polyinfra.positions import Position
from polyinfra.workspace import App, Overlay, Workspace, normalize_name
from polyinfra.yamlio import YamlDocument, load_file


def overlay_for(app: App, env: str) -> Overlay:
    """The app's overlay for ``env``; UserError naming the environments it has."""
    try:
        return app.overlays[env]
    except KeyError:
        known = ", ".join(app.environments) or "none"
        raise UserError(
            f"app {app.name!r} has no overlay for environment {env!r} (it has: {known})",
            position=Position(app.path / "overlays"),
            hint=f"create {app.path / 'overlays' / env / 'kustomization.yaml'} or pick another "
            "--env",
        ) from None


def parse_image_options(values: Sequence[str], ws: Workspace) -> dict[str, str]:
    """``--image APP=REF`` values -> {app: ref}; UserError for a malformed or unknown app."""
    images: dict[str, str] = {}
    for value in values:
        app, sep, ref = value.partition("=")
        if not sep or not app or not ref:
            raise UserError(
                f"--image {value!r}: expected APP=IMAGE_REFERENCE",
                hint="e.g. --image inventory-api=europe-docker.pkg.dev/proj/apps/inventory-api:1.2",
            )
        ws.app(app)  # UserError for an unknown app
        images[app] = ref
    return images


def _stack_registries(stack_file: Path) -> tuple[dict[str, str], YamlDocument]:
    """Cached per file version: every app of an environment reads the same stack file."""
    stat = stack_file.stat()
    return _read_registries(stack_file, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _read_registries(
    stack_file: Path, mtime_ns: int, size: int
) -> tuple[dict[str, str], YamlDocument]:
    """Image prefix of each ``input:projects.<key>.artifact_registry``, keyed by normalized
    project name.

    Reads only the entries an image needs (not the whole foundation model), so a render is not
    blocked by an unrelated problem elsewhere in the stack file; ``polyinfra check`` reports
    those.
    """
    doc = load_file(stack_file)
    found: dict[str, str] = {}
    for registry in stackview.registries(doc):
        where = ("config", "input:projects", registry.project, "artifact_registry")
        if not registry.location:
            raise UserError(
                f"artifact_registry of project {registry.project!r} has no location and "
                "gcp:region is unset",
                position=doc.position(where),
                hint="add `location: <region>` to the artifact_registry entry",
            )
        project = stackview.gcp_project(doc)
        if project is None:
            raise UserError(
                "gcp:project is not set",
                position=doc.position(("config",)),
                hint="add `gcp:project: <project id>` under config:",
            )
        found[normalize_name(registry.project)] = registry.url(project)
    return found, doc


def default_image(ws: Workspace, app: App, env: str, version: str) -> str:
    """``<location>-docker.pkg.dev/<gcp:project>/<repository_id>/<app>:<version>`` from the
    Artifact Registry repository of the app's project in the environment's stack file."""
    program = ws.program
    stack = ws.stack_for_env(env)
    stack_file = program.stacks.get(stack)
    if stack_file is None:
        raise UserError(
            f"no stack file Pulumi.{stack}.yaml for environment {env!r} to take {app.name}'s "
            "image repository from",
            position=Position(program.path),
            hint="pass --image APP=REF or --registry URL, or add the stack file",
        )
    registries, doc = _stack_registries(stack_file)
    for name in (app.project, app.name):
        if name and normalize_name(name) in registries:
            return f"{registries[normalize_name(name)]}/{app.name}:{version}"
    project_name = app.project or app.name
    raise UserError(
        f"{stack_file.name} has no artifact_registry under input:projects.{project_name} to "
        f"take {app.name}'s image repository from",
        position=doc.position(("config", "input:projects")),
        hint="add an artifact_registry to that project, or pass --image APP=REF or --registry URL",
    )


def render_requests(
    ws: Workspace,
    apps: Sequence[App],
    env: str,
    version: str,
    *,
    images: Mapping[str, str] | None = None,
    registry: str | None = None,
) -> list[RenderRequest]:
    """One request per app: ``images`` wins, then ``registry/<app>:<version>``, then the
    foundation stack's repository."""
    check_version(version)
    images = images or {}
    requests: list[RenderRequest] = []
    errors: list[UserError] = []
    for app in apps:
        try:
            overlay = overlay_for(app, env)
            if app.name in images:
                image = images[app.name]
            elif registry:
                image = f"{registry.rstrip('/')}/{app.name}:{version}"
            else:
                image = default_image(ws, app, env, version)
        except UserError as exc:
            errors.append(exc)
            continue
        requests.append(RenderRequest(app=app.name, env=env, overlay=overlay.path, image=image))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return requests


def render_apps(
    ws: Workspace,
    names: Sequence[str],
    env: str,
    version: str,
    *,
    images: Mapping[str, str] | None = None,
    registry: str | None = None,
    batch: bool = True,
    check_leftovers: bool = True,
) -> RenderResult:
    """Render the named apps (every app with an overlay for ``env`` when ``names`` is empty)."""
    if names:
        apps = ws.select_apps(names)
    else:
        apps = [app for app in ws.apps.values() if env in app.overlays]
        if not apps:
            known = ", ".join(ws.environments) or "none"
            raise UserError(
                f"no app has an overlay for environment {env!r} (environments: {known})",
                position=Position(ws.infrastructure),
            )
    requests = render_requests(ws, apps, env, version, images=images, registry=registry)
    options = RenderOptions(
        version=version,
        placeholders=ws.settings.placeholders.get(env, {}),
        allow_remote_resources=ws.settings.allow_remote_resources,
        batch=batch,
        check_leftovers=check_leftovers,
    )
    return render(requests, options)


def write_rendered(result: RenderResult, out: Path) -> list[Path]:
    """Write ``<out>/<env>/<app>.yaml`` for every app; all files or none (written to temporary
    names first, then renamed)."""
    staged: list[tuple[Path, Path]] = []
    try:
        for app in result.apps:
            target = out / app.env / f"{app.app}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.tmp")
            temp.write_text(app.text, encoding="utf-8")
            staged.append((temp, target))
    except OSError as exc:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise UserError(f"cannot write to {out}: {exc.strerror}", position=Position(out)) from exc
    for temp, target in staged:
        temp.replace(target)
    return [target for _, target in staged]
