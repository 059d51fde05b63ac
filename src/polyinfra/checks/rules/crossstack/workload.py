"""The parts of a rendered Cloud Run service or job the cross-stack rules compare with the
foundation stack: its service account, containers, secrets and region."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.stacks import StackFile
from polyinfra.cloudrun.vocabulary import LOCATION_LABEL, pod_path_of
from polyinfra.positions import Position
from polyinfra.workspace import App, Overlay
from polyinfra.yamlio import KeyPath


def containers(manifest: Manifest) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    path = (*pod_path_of(manifest.kind), "containers")
    items = manifest.get(path)
    for index, container in enumerate(items if isinstance(items, list) else []):
        if isinstance(container, dict):
            yield (*path, index), container


@dataclass(frozen=True)
class Workload:
    """A rendered service or job of one app in one environment, with its stack file."""

    app: App
    overlay: Overlay
    manifest: Manifest
    stack: StackFile

    @property
    def env(self) -> str:
        return self.overlay.env

    @property
    def service_account_path(self) -> KeyPath:
        return (*pod_path_of(self.manifest.kind), "serviceAccountName")

    @property
    def service_account(self) -> str | None:
        value = self.manifest.get(self.service_account_path)
        return value if isinstance(value, str) and value else None

    def at(self, path: KeyPath, *, value: bool = True) -> Position:
        return self.manifest.position(path, value=value)

    @property
    def region(self) -> str | None:
        """The region the app deploys to: its location label, else the stack's gcp:region."""
        label = self.manifest.get(("metadata", "labels", LOCATION_LABEL))
        return label if isinstance(label, str) else self.stack.region


def workloads(ctx: CheckContext) -> list[Workload]:
    """Every rendered Cloud Run object of every app, paired with its environment's stack file
    (objects whose environment has no readable stack file are left out: the config rules
    report the stack file)."""
    return ctx.shared(_workloads)


def _workloads(ctx: CheckContext) -> list[Workload]:
    ws = ctx.workspace
    if ws is None:
        return []
    found = []
    for manifest in ctx.cloud_run():
        if manifest.app is None or manifest.env is None or manifest.app not in ws.apps:
            continue
        app = ws.apps[manifest.app]
        overlay = app.overlays.get(manifest.env)
        stack = ctx.stack_for_env(manifest.env)
        if overlay is None or stack is None or not stack.valid:
            continue
        found.append(Workload(app, overlay, manifest, stack))
    return found


def project_key(stack: StackFile, app: App) -> str | None:
    """The ``input:projects`` entry of the app's Polylith project ('-' and '_' alike)."""
    from polyinfra.workspace import normalize_name

    wanted = {normalize_name(n) for n in (app.project, app.name) if n}
    for key in stack.project_keys():
        if normalize_name(key) in wanted:
            return key
    return None


#: IAM grants on the whole project, as the plan records them.
PROJECT_GRANTS = frozenset(
    {"gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"}
)


def granted_in_plan(
    ctx: CheckContext,
    stack: StackFile,
    email: str,
    roles: frozenset[str],
    resource_types: frozenset[str] = frozenset(),
    resource: tuple[str, str] | None = None,
) -> bool:
    """Whether the stack's foundation plan grants ``serviceAccount:<email>`` one of ``roles``
    on the project, or (``resource_types``) on the resource whose input ``resource[0]`` ends
    with ``resource[1]`` (grants the Pulumi program declares itself)."""
    plan = ctx.plan_of(stack)
    if plan is None:
        return False
    member = f"serviceAccount:{email}"
    for planned in plan.resources:
        inputs = planned.inputs
        if planned.type not in PROJECT_GRANTS | resource_types:
            continue
        if inputs.get("role") not in roles:
            continue
        if member not in (inputs.get("member"), *(inputs.get("members") or [])):
            continue
        if planned.type in PROJECT_GRANTS:
            return True
        if resource is not None:
            key, name = resource
            if str(inputs.get(key, "")).rsplit("/", 1)[-1] == name:
                return True
    return False
