"""Apps of a workspace as render requests: which overlay, which image (given, from a registry
prefix, or derived from the foundation stack's Artifact Registry repository)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import stackview
from polyinfra.manifests.kustomize import find_kustomize
from polyinfra.manifests.placeholders import check_placeholders, check_version
from polyinfra.manifests.render import render
from polyinfra.manifests.rendered import RenderedApp, RenderOptions, RenderRequest, RenderResult
from polyinfra.positions import Position
from polyinfra.values import InvalidValue, image_reference
from polyinfra.workspace import App, Overlay, Workspace, normalize_name
from polyinfra.yamlio import YamlDocument


def overlay_for(app: App, env: str) -> Overlay:
    """The app's overlay for ``env``; UserError naming the environments it has."""
    try:
        return app.overlays[env]
    except KeyError:
        known = ", ".join(app.environments) or "none"
        raise UserError(
            f"app {app.name!r} has no overlay for environment {env!r} (it has: {known})",
            position=Position(app.overlay_root),
            hint=f"create {app.overlay_root / env / 'kustomization.yaml'} or pick another --env",
        ) from None


def parse_image_options(values: Sequence[str], ws: Workspace) -> dict[str, str]:
    """``--image APP=REF`` values -> {app: ref}; UserError for a malformed option, an unknown
    app or a reference that is not one (:func:`polyinfra.values.image_reference`)."""
    images: dict[str, str] = {}
    for value in values:
        app, sep, ref = value.partition("=")
        if not sep or not app or not ref:
            raise UserError(
                f"--image {value!r}: expected APP=IMAGE_REFERENCE",
                hint="e.g. --image inventory-api=europe-docker.pkg.dev/proj/apps/inventory-api:1.2",
            )
        ws.app(app)  # UserError for an unknown app
        try:
            image_reference(ref)
        except InvalidValue as exc:
            raise UserError(f"--image {app}: {exc.message}", hint=exc.hint) from None
        images[app] = ref
    return images


def image_ref(ws: Workspace, app: App, env: str, version: str) -> str:
    """The image app ``app`` runs in ``env`` at ``version``, the one reference every command
    uses (render, deploy, build, the workflows, ``polyinfra image-ref``):
    ``<location>-docker.pkg.dev/<gcp:project>/<repository_id>/<image name>:<version>``, from
    the Artifact Registry repository the environment's stack creates for the app's project;
    the image name is the app's, unless ``[tool.polyinfra.apps.<app>] image`` says otherwise.

    Reads only the entries an image needs (not the whole foundation model), so a render is not
    blocked by an unrelated problem elsewhere in the stack file; ``polyinfra check`` reports
    those. A UserError says what is missing for this app, at its place in the stack file.
    """
    who = f"{app.name} ({env})"
    if not ws.programs:
        raise UserError(
            f"{who}: no foundation stack to take the image repository from: no Pulumi program "
            f"under {ws.infrastructure}: no Pulumi.yaml found",
            position=Position(ws.infrastructure),
            hint=f"pass --image {app.name}=REF or --registry URL, or create the foundation "
            "program with `polyinfra init`",
        )
    stack = ws.stack_for_env(env)
    view = stackview.read_stack_view(ws, stack)
    present = [(program, doc) for program, doc in view.documents if doc is not None]
    if not present:
        raise UserError(
            f"{who}: no stack file Pulumi.{stack}.yaml to take the image repository from",
            position=Position(ws.ordered_programs[0].path),
            hint="pass --image APP=REF or --registry URL, or add the stack file",
        )
    name = app_image_name(ws, app)
    # the last program that declares the registry wins (services before platform); when none
    # does, the error of the file that has the app's project (platform first), else the first
    found: list[tuple[bool, UserError]] = []
    for program, document in reversed(present):
        try:
            prefix = _registry_prefix(document, app, who, view.gcp_project(program))
        except UserError as exc:
            found.append((_has_project(document, app), exc))
            continue
        return f"{prefix}/{name}:{version}"
    missing = [p for p in ws.ordered_programs if stack not in p.stacks]
    if missing:  # the registry is probably in the program whose stack file is not there
        raise UserError(
            f"{who}: no image repository in the stack files there are, and "
            f"{ws.rel(missing[0].path)} has no Pulumi.{stack}.yaml",
            position=Position(missing[0].path),
            hint=f"add {ws.rel(missing[0].path / f'Pulumi.{stack}.yaml')} (every program needs "
            f"each stack), {_IMAGE_OPTIONS}",
        )
    found.reverse()
    raise next((exc for has, exc in found if has), found[0][1])


def _has_project(doc: YamlDocument, app: App) -> bool:
    entries = stackview.config_value(doc, "input:projects")
    keys = {normalize_name(str(key)) for key in entries} if isinstance(entries, dict) else set()
    return any(normalize_name(n) in keys for n in (app.project, app.name) if n)


def image_or_stand_in(ws: Workspace | None, app: str, env: str, version: str) -> str:
    """The image a deploy of ``app`` to ``env`` sets by default (:func:`image_ref`); when the
    stack gives none, a stand-in, so that the manifest can still be rendered and checked (the
    image is chosen at deploy time; ``crossstack/image-registry`` reports a missing one)."""
    if ws is not None and app in ws.apps:
        try:
            return image_ref(ws, ws.apps[app], env, version)
        except UserError:
            pass
    from polyinfra.manifests.stand_in import stand_in_image

    return stand_in_image(app, version)


def app_image_name(ws: Workspace, app: App) -> str:
    """The image's name inside its repository: ``[tool.polyinfra.apps.<app>] image``, else the
    app's name."""
    settings = ws.settings.apps.get(app.name)
    return settings.image if settings is not None and settings.image else app.name


_IMAGE_OPTIONS = "or pass --image APP=REF or --registry URL"


def _registry_prefix(doc: YamlDocument, app: App, who: str, gcp_project: str | None) -> str:
    """The image prefix of the app's project registry (the app's project first, then an entry
    named after the app); UserError naming the missing piece: the ``config:`` mapping, the
    ``input:projects`` mapping, the project's entry, its ``artifact_registry``, its
    ``repository_id`` or location, or ``gcp:project`` (``gcp_project``: as the stack states
    it, a reference to another program's followed)."""
    name = doc.path.name
    projects = ("config", "input:projects")
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("config"), dict):
        raise UserError(
            f"{who}: {name} has no `config:` mapping to take the image repository from",
            position=doc.position(("config",)),
            hint="write the stack settings under `config:`",
        )
    wanted = [n for n in (app.project, app.name) if n]
    entries = stackview.config_value(doc, "input:projects")
    if not isinstance(entries, dict):
        raise UserError(
            f"{who}: {name} has no input:projects, so project {wanted[0]!r} has no "
            "artifact_registry to take the image repository from",
            position=doc.position(projects),
            hint="add the project under input:projects with an artifact_registry, "
            + _IMAGE_OPTIONS,
        )
    keys = {normalize_name(str(key)): str(key) for key in entries}
    found = [keys[normalize_name(n)] for n in wanted if normalize_name(n) in keys]
    if not found:
        known = ", ".join(sorted(str(key) for key in entries)) or "none"
        mapping = (
            f"map the app to its project with [tool.polyinfra.apps.{app.name}] project = "
            '"<project>" in infrastructure/pyproject.toml'
        )
        raise UserError(
            f"{who}: {name} has no project {wanted[0]!r} under input:projects (it has: "
            f"{known}) to take the image repository from",
            position=doc.position(projects),
            hint=f"add the project with an artifact_registry, {mapping}, {_IMAGE_OPTIONS}",
        )
    registries = {r.project: r for r in stackview.registries(doc)}
    key = next((k for k in found if k in registries), found[0])
    registry = registries.get(key)
    if registry is None:
        section = entries.get(key)
        written = isinstance(section, dict) and isinstance(section.get("artifact_registry"), dict)
        what = "an artifact_registry without repository_id" if written else "no artifact_registry"
        where = (*projects, key, "artifact_registry") if written else (*projects, key)
        raise UserError(
            f"{who}: project {key!r} under input:projects in {name} has {what} to take the "
            "image repository from",
            position=doc.position(where),
            hint="add `artifact_registry: {repository_id: <id>, format: DOCKER, location: "
            f"<region>}}` to the project, {_IMAGE_OPTIONS}",
        )
    if not registry.location:
        raise UserError(
            f"{who}: artifact_registry of project {key!r} in {name} has no location and "
            "gcp:region is unset",
            position=doc.position((*projects, key, "artifact_registry")),
            hint="add `location: <region>` to the artifact_registry entry",
        )
    if gcp_project is None:
        raise UserError(
            f"{who}: gcp:project is not set in {name}, so the image repository has no project",
            position=doc.position(("config",)),
            hint="add `gcp:project: <project id>` under config:",
        )
    return registry.url(gcp_project)


def _requests(
    ws: Workspace,
    apps: Sequence[App],
    env: str,
    version: str,
    images: Mapping[str, str],
    registry: str | None,
) -> tuple[list[RenderRequest], list[tuple[str, UserError]]]:
    requests: list[RenderRequest] = []
    errors: list[tuple[str, UserError]] = []
    for app in apps:
        try:
            overlay = overlay_for(app, env)
            if app.name in images:
                image = images[app.name]
            elif registry:
                image = f"{registry.rstrip('/')}/{app.name}:{version}"
            else:
                image = image_ref(ws, app, env, version)
        except UserError as exc:
            errors.append((app.name, exc))
            continue
        explicit = app.name in images or bool(registry)
        requests.append(RenderRequest(app.name, env, overlay.path, image, explicit=explicit))
    return requests, errors


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
    foundation stack's repository. UserError(s) for every app that has none."""
    check_version(version)
    requests, errors = _requests(ws, apps, env, version, images or {}, registry)
    if errors:
        raise errors[0][1] if len(errors) == 1 else UserErrors([e for _, e in errors])
    return requests


class PartialRender(UserErrors):
    """Some apps did not render. ``result`` holds those that did, in request order;
    ``failed`` names the others, and ``errors`` says why, each at its own position."""

    def __init__(
        self, errors: list[UserError], result: RenderResult, failed: tuple[str, ...]
    ) -> None:
        self.result = result
        self.failed = failed
        super().__init__(errors)
        if len(errors) == 1:  # reads as that error
            self.message, self.position, self.hint = (
                errors[0].message,
                errors[0].position,
                errors[0].hint,
            )


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
    """Render the named apps (every app with an overlay for ``env`` when ``names`` is empty).

    Every app is rendered even when another fails; if any fails, PartialRender carries the
    ones that rendered and an error for each of the others.
    """
    check_version(version)
    if names:
        apps = ws.select_apps(names)
    else:
        apps = [app for app in ws.apps.values() if env in app.overlays]
        if not apps:
            known = ", ".join(ws.environments) or "none"
            raise UserError(
                f"no app has an overlay for environment {env!r} (environments: {known})",
                position=Position(ws.infrastructure),
                hint="add an app with `polyinfra add service|job|function NAME --project PROJECT`"
                if not ws.apps
                else f"add overlays/{env}/ to an app, or render one of: {known}",
            )
    options = RenderOptions(
        version=version,
        placeholders=ws.settings.placeholders.get(env, {}),
        allow_remote_resources=ws.settings.allow_remote_resources,
        batch=batch,
        check_leftovers=check_leftovers,
    )
    check_placeholders(options.placeholders, f"[tool.polyinfra.placeholders.{env}]")
    requests, failures = _requests(ws, apps, env, version, images or {}, registry)
    result, render_failures = _render_each(requests, options) if requests else (_EMPTY, [])
    failures += render_failures
    if not failures:
        return result
    failed = {app for app, _ in failures}
    order = [app.name for app in apps]
    errors: list[UserError] = []
    for _, failure in sorted(failures, key=lambda f: order.index(f[0])):
        for error in failure.errors if isinstance(failure, UserErrors) else [failure]:
            if all(error.render() != e.render() for e in errors):
                errors.append(error)
    raise PartialRender(errors, result, tuple(a for a in order if a in failed))


_EMPTY = RenderResult((), 0, (), {})


def _render_each(
    requests: list[RenderRequest], options: RenderOptions
) -> tuple[RenderResult, list[tuple[str, UserError]]]:
    """All requests in one render; when that fails, each on its own, so that one app's
    failure does not hide the others' output or their own errors."""
    kustomize = find_kustomize()
    try:
        return render(requests, options, kustomize=kustomize), []
    except UserError as exc:
        if len(requests) == 1:
            return _EMPTY, [(requests[0].app, exc)]
    apps: list[RenderedApp] = []
    runs = 0
    failures: list[tuple[str, UserError]] = []
    for request in requests:
        try:
            one = render([request], options, kustomize=kustomize)
        except UserError as exc:
            failures.append((request.app, exc))
            continue
        apps.extend(one.apps)
        runs += one.kustomize_runs
    single = {app.app: "another app of the batch failed" for app in apps}
    return RenderResult(tuple(apps), runs, (), single), failures


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
