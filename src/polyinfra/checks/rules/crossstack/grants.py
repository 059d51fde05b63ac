"""``iam`` grants on Cloud Run services and jobs against the apps of the environment."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import Workload, workloads
from polyinfra.checks.stacks import ScopedGrant, StackFile
from polyinfra.foundation.grants import CLOUD_RUN_KINDS, KINDS
from polyinfra.suggest import did_you_mean


def _deployed(ctx: CheckContext, env: str, kind: str) -> tuple[dict[str, Workload], set[str]]:
    """The services (function apps too) or jobs of ``env``: rendered ones by Cloud Run name,
    and the names of apps of that kind that did not render (reported by the workspace rules).
    Looked up for every grant, worked out once per check."""
    return ctx.shared(_deployed_by_env).get((env, kind == "job"), ({}, set()))


def _deployed_by_env(
    ctx: CheckContext,
) -> dict[tuple[str, bool], tuple[dict[str, Workload], set[str]]]:
    found: dict[tuple[str, bool], tuple[dict[str, Workload], set[str]]] = {}
    for w in workloads(ctx):
        rendered, _ = found.setdefault((w.env, w.manifest.is_job), ({}, set()))
        rendered[w.manifest.name] = w
    done = {(key, w.app.name) for key, (rendered, _) in found.items() for w in rendered.values()}
    ws = ctx.workspace
    for app in ws.apps.values() if ws else []:
        for env in app.overlays:
            key = (env, app.kind == "job")
            if (key, app.name) not in done:
                found.setdefault(key, ({}, set()))[1].add(app.name)
    return found


class GrantTarget:
    """Every ``iam`` grant on a Cloud Run service or job named by its short name names an app
    of that environment (a service or function app for ``service``, a job app for ``job``), in
    the grant's region.

    Google refuses a grant on a service or job that does not exist, so ``pulumi up`` fails at
    it; one in another region than the app's is on a service or job that is not there. A
    service or job deployed outside the workspace is named by its full name
    (``projects/<project>/locations/<location>/jobs/<name>``), which is not compared.

    Bad::

        iam:
          - role: roles/run.invoker
            resource: {job: dmd-inv-mov-api2b}

    Good::

        iam:
          - role: roles/run.invoker
            resource: {job: dmd-inv-mov-api2bq}
    """

    ID = "crossstack/grant-target"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack in ctx.stacks:
            if not stack.valid:
                continue
            for grant in stack.grants():
                target = grant.target
                if target.kind in CLOUD_RUN_KINDS and not target.full:
                    yield from self._compare(ctx, stack, grant)

    def _compare(
        self, ctx: CheckContext, stack: StackFile, grant: ScopedGrant
    ) -> Iterator[Problem]:
        kind, name = grant.target.kind, grant.target.name
        rendered, apps = _deployed(ctx, stack.env, kind)
        at = stack.position((*grant.path, "resource", kind), value=True)
        if name not in rendered and name not in apps:
            names = sorted(set(rendered) | apps)
            what = "service or function" if kind == "service" else "job"
            yield Problem(
                at,
                self.ID,
                f"input:projects.{grant.project} grants {grant.grant.role} on {kind} {name!r}, "
                f"which is not a Cloud Run {what} of environment {stack.env!r}"
                + (did_you_mean(name, names) or f" (its {kind}s: {', '.join(names) or 'none'})"),
                hint=f"name a {what} app deployed to this environment, or give the full name of "
                f"one deployed elsewhere: {KINDS[kind].full}",
            )
            return
        workload = rendered.get(name)
        region, location = workload.region if workload else None, grant.location
        if region is None or location is None or region.lower() == location.lower():
            return
        has_location = grant.grant.location is not None
        yield Problem(
            stack.position((*grant.path, "location"), value=True) if has_location else at,
            self.ID,
            f"input:projects.{grant.project} grants {grant.grant.role} on {kind} {name!r} in "
            f"{location}, but it deploys to {region}",
            hint=f"set `location: {region}` on the grant",
        )
