"""Deploy a workspace's apps: render, check the manifests and their links to the foundation
stack, resolve region and project, then roll out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyinfra.cloudrun.vocabulary import DEPLOYABLE, JOB_API, LOCATION_LABEL, SERVICE_API
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.rollout import (
    ClientFactory,
    DeployOptions,
    DeployReport,
    DeployTarget,
    Observer,
    default_client_factory,
    deploy_manifests,
)
from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position

if TYPE_CHECKING:
    from polyinfra.checks import Problem
    from polyinfra.manifests import RenderedApp, RenderResult
    from polyinfra.workspace import Workspace


@dataclass(frozen=True)
class DeployRequest:
    """What ``polyinfra deploy`` was asked to do."""

    apps: tuple[str, ...]
    env: str
    version: str
    images: Mapping[str, str]
    registry: str | None = None
    region: str | None = None
    endpoint: str | None = None
    #: leave out the links to the foundation stack (:data:`polyinfra.checks.registry.LINK_RULES`);
    #: the manifest rules still run
    skip_checks: bool = False


class ValidationFailed(Exception):
    """The rendered manifests or their links to the foundation stack have errors; nothing was
    deployed. ``problems`` holds every problem found, warnings too."""

    def __init__(self, problems: Sequence[Problem], secrets: frozenset[str] = frozenset()) -> None:
        self.problems = tuple(problems)
        #: values the rendered manifests mark secret, never to be shown
        self.secrets = secrets
        super().__init__(self.summary)

    @property
    def errors(self) -> tuple[Problem, ...]:
        from polyinfra.checks import Level

        return tuple(p for p in self.problems if p.level >= Level.ERROR)

    @property
    def summary(self) -> str:
        """``N error(s) in the rendered manifests``, in the links to the foundation stack, or
        in both."""
        from polyinfra.checks.registry import LINK_RULES

        links = {rule.ID for rule in LINK_RULES}
        in_manifests = any(p.rule not in links for p in self.errors)
        in_links = any(p.rule in links for p in self.errors)
        if in_manifests and in_links:
            where = "the rendered manifests and their links to the foundation stack"
        elif in_links:
            where = "the links to the foundation stack"
        else:
            where = "the rendered manifests"
        return f"{len(self.errors)} error(s) in {where}"


def stack_region(ws: Workspace, env: str) -> str | None:
    """``gcp:region`` of the environment's Pulumi stack (the last program that states one:
    services before platform), if any."""
    from polyinfra.foundation.stackview import read_stack_view

    return read_stack_view(ws, ws.stack_for_env(env)).gcp_region() if ws.programs else None


def _namespace_hint(ws: Workspace, app: RenderedApp) -> str:
    from polyinfra.foundation.stackview import read_stack_view

    view = read_stack_view(ws, ws.stack_for_env(app.env)) if ws.programs else None
    project = view.gcp_project() if view is not None else None
    stack = f"Pulumi.{ws.stack_for_env(app.env)}.yaml"
    value = f"{project}` (gcp:project of {stack})" if project else "<project id>`"
    return f"add `namespace: {value} to {_overlay_file(app, ws.root)}"


def targets_from_render(
    ws: Workspace, result: RenderResult, *, region: str | None
) -> list[DeployTarget]:
    """One target per Cloud Run object; region from the flag, the location label or the stack."""
    fallback: str | None = None
    fallback_read = False
    targets: list[DeployTarget] = []
    errors: list[UserError] = []
    for app in result.apps:
        for obj in app.objects:
            data: Any = obj.data
            if (obj.api_version, obj.kind) not in DEPLOYABLE:
                errors.append(
                    UserError(
                        f"app {app.app}: {obj.api_version} {obj.kind} {obj.name!r} is not a "
                        "Cloud Run service or job and cannot be deployed",
                        position=obj.position(("kind",)),
                        hint=f"deployable objects are {SERVICE_API} Service and {JOB_API} Job",
                    )
                )
                continue
            if not obj.namespace:
                errors.append(
                    UserError(
                        f"app {app.app}: {obj.kind} {obj.name!r} has no metadata.namespace; "
                        "Cloud Run would take the project from gcloud's --project, but "
                        "polyinfra deploy needs the project in the manifest",
                        position=Position(app.overlay / "kustomization.yaml", 1, 1),
                        hint=_namespace_hint(ws, app),
                    )
                )
                continue
            labels = data.get("metadata", {}).get("labels") or {}
            chosen = region or labels.get(LOCATION_LABEL)
            if not chosen:
                if not fallback_read:
                    fallback, fallback_read = stack_region(ws, app.env), True
                chosen = fallback
            if not chosen:
                errors.append(
                    UserError(
                        f"app {app.app}: no region to deploy {obj.name!r} to",
                        position=obj.position(("metadata",)),
                        hint="pass --region, add the label cloud.googleapis.com/location, or "
                        f"set gcp:region in Pulumi.{ws.stack_for_env(app.env)}.yaml",
                    )
                )
                continue
            targets.append(
                DeployTarget(
                    app=app.app,
                    env=app.env,
                    manifest=data,
                    region=str(chosen),
                    source=_overlay_file(app, ws.root),
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return targets


def _overlay_file(app: RenderedApp, root: Path) -> str:
    path = app.overlay / "kustomization.yaml"
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def deploy_apps(
    ws: Workspace,
    request: DeployRequest,
    options: DeployOptions,
    *,
    observer: Observer | None = None,
    client_factory: ClientFactory | None = None,
    on_problems: Callable[[Sequence[Problem], frozenset[str]], None] | None = None,
    pacer: Pacer | None = None,
) -> DeployReport:
    """Render and check the apps, then deploy them. An error stops before any call
    (ValidationFailed); problems of lower levels go to ``on_problems`` (with the values the
    manifests mark secret) and the deploy goes on. The report's ``secrets`` are those values.
    ``pacer`` (default: a new one) paces the calls; pass it on to what follows the deploy
    (``deploy --prune``) so that it keeps to the same per-region pace."""
    from polyinfra.checks import Level
    from polyinfra.checks.check import check_before_deploy
    from polyinfra.deploy.release import head_commit
    from polyinfra.manifests import render_apps
    from polyinfra.redact import workspace_secrets

    result = render_apps(
        ws,
        list(request.apps),
        request.env,
        request.version,
        images=request.images,
        registry=request.registry,
    )
    problems = check_before_deploy(
        ws, request.env, result.apps, links=not request.skip_checks, version=request.version
    )
    secrets = workspace_secrets(obj for app in result.apps for obj in app.objects)
    if any(p.level >= Level.ERROR for p in problems):
        raise ValidationFailed(problems, secrets)
    if problems and on_problems is not None:
        on_problems(problems, secrets)
    targets = targets_from_render(ws, result, region=request.region)
    if not options.commit:
        options = dataclasses.replace(options, commit=head_commit(ws.root))
    report = deploy_manifests(
        targets,
        options,
        client_factory=client_factory
        or default_client_factory(request.endpoint, http_timeout=options.http_timeout),
        observer=observer,
        pacer=pacer,
    )
    return dataclasses.replace(report, secrets=secrets)
