"""Deleting what polyinfra deployed, and nothing else: one app's objects (``polyinfra
remove``) and the objects of apps that left the tree (``deploy --prune``).

An object is deleted only when its labels say polyinfra deployed it for that app and
environment (``managed-by: polyinfra``, ``polyinfra-app``, ``polyinfra-env``; see
:mod:`polyinfra.deploy.release`). The labels are read from the live object just before each
delete, whatever a list call's label selector already matched. Anything else is refused with
the ``gcloud`` command that deletes it by hand, should that be what is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from polyinfra.deploy.client import CloudRunClient, Kind, ObjectRef
from polyinfra.deploy.errors import CloudRunError, JsonObject, TransientError
from polyinfra.deploy.release import (
    APP_LABEL,
    ENV_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    managed_app,
    managed_selector,
)
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.rollout import ClientFactory, DeployReport

Removal = Literal["deleted", "absent", "would delete"]

KINDS: tuple[Kind, ...] = ("Service", "Job")


class NotOurs(CloudRunError):
    """The object is not one polyinfra deployed for this app and environment: refused."""


def _labels(obj: JsonObject) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


def ownership_problem(obj: JsonObject, app: str, env: str) -> str | None:
    """Why ``obj`` is not polyinfra's object of ``app`` in ``env`` (None when it is): the
    labels that should say so, as found."""
    labels = _labels(obj)
    wanted = {MANAGED_BY_LABEL: MANAGED_BY, APP_LABEL: app, ENV_LABEL: env}
    if all(labels.get(key) == value for key, value in wanted.items()):
        return None
    found = ", ".join(f"{key}={labels.get(key, '(none)')}" for key in wanted)
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
        return f"it does not carry the label {MANAGED_BY_LABEL}={MANAGED_BY} (labels: {found})"
    for key, other in ((APP_LABEL, "another app"), (ENV_LABEL, "another environment")):
        if key not in labels:
            # a name that is no valid label value is not stamped: whose it is cannot be told
            return f"it carries no {key} label (labels: {found})"
        if labels[key] != wanted[key]:
            return f"polyinfra deployed it for {other} (labels: {found})"
    return None


def gcloud_delete(ref: ObjectRef, region: str) -> str:
    """The gcloud command that deletes ``ref`` by hand."""
    return (
        f"gcloud run {ref.collection} delete {ref.name} --region {region} --project {ref.namespace}"
    )


def refusal(ref: ObjectRef, region: str, problem: str) -> NotOurs:
    return NotOurs(
        f"refusing to delete {ref.kind.lower()} {ref.name} (project {ref.namespace}, region "
        f"{region}): {problem}; polyinfra deletes only what it deployed\n"
        f"  hint: if it is meant to go, delete it by hand: {gcloud_delete(ref, region)}"
    )


def delete_managed(
    client: CloudRunClient,
    ref: ObjectRef,
    *,
    app: str,
    env: str,
    region: str,
    dry_run: bool = False,
) -> Removal:
    """Delete ``ref`` if polyinfra deployed it for ``app`` in ``env``; NotOurs otherwise.

    The object is read before each attempt: when a delete's answer is lost, the read tells
    whether it happened, and the delete is sent again only to an object still there and still
    ours. "absent" when there was nothing to delete. A dry run deletes nothing (against Google
    the delete is validated server-side; an emulator gets no write at all).
    """
    lost = False

    def attempt() -> Removal:
        nonlocal lost
        live = client.get(ref)
        if live is None:
            return "deleted" if lost else "absent"
        problem = ownership_problem(live, app, env)
        if problem is not None:
            raise refusal(ref, region, problem)
        if dry_run:
            if client.authenticated:
                client.delete(ref, dry_run=True)
            return "would delete"
        try:
            client.delete(ref)
        except TransientError:
            lost = True
            raise
        except CloudRunError as exc:
            if exc.status == 404:  # deleted meanwhile (by us, when an answer was lost)
                return "deleted" if lost else "absent"
            raise
        return "deleted"

    return client.retry.run(attempt, client.pause, retryable=lambda _: not dry_run)


@dataclass(frozen=True)
class Orphan:
    """A deployed object whose app is no longer in the tree."""

    app: str
    ref: ObjectRef
    region: str

    def describe(self) -> str:
        return (
            f"{self.ref.kind.lower()} {self.ref.name} (app {self.app}, project "
            f"{self.ref.namespace}, region {self.region})"
        )


def find_orphans(
    client_for: Callable[[str], CloudRunClient],
    places: Iterable[tuple[str, str]],
    env: str,
    apps: Iterable[str],
) -> list[Orphan]:
    """The objects polyinfra deployed to ``env`` in each (project, region) of ``places``
    whose app is not one of ``apps``, by project, region, kind and name. An object whose
    app label is missing is never one: it cannot be told whose it is."""
    keep = set(apps)
    found: list[Orphan] = []
    for project, region in sorted(set(places)):
        client = client_for(region)
        for kind in KINDS:
            for obj in client.list_objects(kind, project, managed_selector(env)):
                app = managed_app(obj)
                name = str((obj.get("metadata") or {}).get("name") or "")
                if app is None or app in keep or not name:
                    continue
                if ownership_problem(obj, app, env) is not None:
                    continue
                found.append(Orphan(app, ObjectRef(kind, project, name), region))
    return found


@dataclass(frozen=True)
class Pruned:
    """What became of one orphan: deleted, already gone, would be deleted, or the error."""

    orphan: Orphan
    outcome: Removal | Literal["failed"]
    message: str = ""


def prune(
    client_for: Callable[[str], CloudRunClient],
    orphans: Sequence[Orphan],
    env: str,
    *,
    dry_run: bool = False,
) -> list[Pruned]:
    """Delete each orphan (each checked again as it is deleted); one failure does not stop
    the others."""
    results = []
    for orphan in orphans:
        try:
            outcome = delete_managed(
                client_for(orphan.region),
                orphan.ref,
                app=orphan.app,
                env=env,
                region=orphan.region,
                dry_run=dry_run,
            )
        except CloudRunError as exc:
            results.append(Pruned(orphan, "failed", str(exc)))
            continue
        results.append(Pruned(orphan, outcome))
    return results


@dataclass(frozen=True)
class PruneReport:
    """What ``deploy --prune`` did after the deploy: skipped (the deploy did not succeed),
    failed to list (``error``), or the outcome for each orphan found."""

    results: tuple[Pruned, ...] = ()
    skipped: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(r.outcome != "failed" for r in self.results)


def prune_after_deploy(
    report: DeployReport,
    *,
    env: str,
    client_factory: ClientFactory,
    dry_run: bool = False,
    pacer: Pacer | None = None,
) -> PruneReport:
    """Prune ``env`` after a deploy of every app it has: in each (project, region) those
    apps were deployed to, the objects polyinfra deployed to ``env`` for an app that is not
    one of them. Nothing when the deploy did not succeed (an app that failed to render or
    deploy must not look like one that left the tree). Given the deploy's ``pacer``, its
    calls share the deploy's pace per region."""
    if not report.ok or not report.results:
        return PruneReport(skipped=True)
    pacer = pacer or Pacer()
    clients: dict[str, CloudRunClient] = {}

    def client_for(region: str) -> CloudRunClient:
        if region not in clients:
            clients[region] = client_factory(region, pacer)
        return clients[region]

    targets = [result.target for result in report.results]
    try:
        orphans = find_orphans(
            client_for,
            ((t.ref.namespace, t.region) for t in targets),
            env,
            (t.app for t in targets),
        )
        return PruneReport(tuple(prune(client_for, orphans, env, dry_run=dry_run)))
    except CloudRunError as exc:
        return PruneReport(error=str(exc))
    finally:
        for client in clients.values():
            client.close()


def prune_lines(pruned: PruneReport, env: str, *, dry_run: bool) -> list[tuple[bool, str]]:
    """What to print: (is an error, line) for each orphan, or why nothing was pruned."""
    if pruned.skipped:
        return [(True, "prune skipped: the deploy did not succeed, so nothing was pruned")]
    if pruned.error:
        return [(True, f"error: prune: {pruned.error}")]
    if not pruned.results:
        return [(False, f"prune: nothing to prune in {env}")]
    lines = []
    for result in pruned.results:
        what = result.orphan.describe()
        if result.outcome == "failed":
            lines.append((True, f"error: prune of {what}: {result.message}"))
        elif result.outcome == "would delete":
            lines.append((False, f"would prune {what}"))
        elif result.outcome == "absent":
            lines.append((False, f"already gone: {what}"))
        else:
            lines.append((False, f"pruned {what}"))
    if dry_run:
        lines.append((False, "dry run: nothing was pruned"))
    return lines
