"""What rolling an app back changes, decided before anything is written, and the write: a
service's traffic to the revision of an earlier version (no render, no new revision), a job's
template to the one recorded on it or re-rendered from git."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.deploy.apply import (
    Adjust,
    DeployFailed,
    Progress,
    WaitTimeout,
    apply_object,
    stamped_version,
    wait_ready,
)
from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.deploy.diff import Change, diff_objects
from polyinfra.deploy.errors import CloudRunError, ConflictError, JsonObject
from polyinfra.deploy.locate import locate
from polyinfra.deploy.release import (
    COMMIT_ANNOTATION,
    resolve_commit,
    revision_version,
    stamp_release,
)
from polyinfra.deploy.rollback.git import render_at
from polyinfra.deploy.rollback.record import (
    PreviousTemplate,
    previous_template,
    record_previous,
)
from polyinfra.deploy.rollout import DeployTarget
from polyinfra.errors import UserError

if TYPE_CHECKING:
    from polyinfra.workspace import Workspace


@dataclass(frozen=True)
class Share:
    """One revision's part of a service's traffic."""

    revision: str
    percent: int
    version: str | None


@dataclass(frozen=True)
class Rollback:
    """What rolling back one object changes, decided before anything is written.

    ``desired`` is the object to write, None when there is nothing to roll back (``note``
    says why). For a service, ``before`` is the live traffic split and ``revision`` the
    revision that gets all of it; ``tags`` are the tags kept where they pointed. For a job,
    ``source`` says where the template comes from."""

    target: DeployTarget
    before_version: str | None
    after_version: str
    desired: JsonObject | None
    adjust: Adjust | None = None
    changes: tuple[Change, ...] = ()
    before: tuple[Share, ...] = ()
    revision: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    source: str = ""
    note: str = ""
    #: True when the job's template was re-rendered from git (with --image/--registry)
    rendered: bool = False


@dataclass(frozen=True)
class RolledBack:
    """A rollback that was written and settled; ``after`` is the service's traffic as read
    then."""

    rollback: Rollback
    action: str
    after: tuple[Share, ...] = ()
    #: why the object is not Ready although the rollback did what it was for, if it is not
    warning: str = ""


@dataclass(frozen=True)
class _Revision:
    name: str
    version: str | None
    created: str
    ready: str
    why: str

    @property
    def order(self) -> tuple[str, str]:
        return (self.created, self.name)


def _revision(obj: JsonObject) -> _Revision:
    metadata = obj.get("metadata") or {}
    ready = _condition(obj, "Ready")
    state = str(ready.get("status") or "Unknown")
    message = str(ready.get("message") or "")
    reason = f" (reason: {ready['reason']})" if ready.get("reason") else ""
    if state == "True":
        why = ""
    elif state == "False":
        why = f"Ready=False: {message or 'no message'}{reason}"
    else:
        why = f"Ready={state}: {message or 'it is still being deployed'}{reason}"
    return _Revision(
        name=str(metadata.get("name") or ""),
        version=revision_version(obj),
        created=str(metadata.get("creationTimestamp") or ""),
        ready=state,
        why=why,
    )


def _label(target: DeployTarget) -> str:
    return f"{target.app} ({target.env})"


def _not_deployed(target: DeployTarget) -> UserError:
    return UserError(
        f"{_label(target)}: {target.ref} in region {target.region} does not exist, so there "
        "is nothing to roll back",
        hint="check --env and --region, or deploy it with `polyinfra deploy`",
    )


def traffic_split(
    service: JsonObject, versions: Mapping[str, str | None] | None = None
) -> tuple[Share, ...]:
    """The revisions that serve a service's traffic (``status.traffic``, revision names
    resolved by Cloud Run), largest part first, with the version each carries when known."""
    parts: dict[str, int] = {}
    for entry in (service.get("status") or {}).get("traffic") or []:
        if not isinstance(entry, dict) or not entry.get("revisionName"):
            continue
        percent = int(entry.get("percent") or 0)
        if percent > 0:
            name = str(entry["revisionName"])
            parts[name] = parts.get(name, 0) + percent
    known = versions or {}
    return tuple(
        Share(name, percent, known.get(name))
        for name, percent in sorted(parts.items(), key=lambda item: (-item[1], item[0]))
    )


def _tags(service: JsonObject) -> list[tuple[str, JsonObject]]:
    """Each tag of the service and the traffic target that keeps it where it points: on the
    revision Cloud Run resolved it to, with 0%."""
    found: dict[str, JsonObject] = {}
    for entry in (service.get("status") or {}).get("traffic") or []:
        if isinstance(entry, dict) and entry.get("tag") and entry.get("revisionName"):
            found.setdefault(
                str(entry["tag"]),
                {"revisionName": str(entry["revisionName"]), "percent": 0, "tag": entry["tag"]},
            )
    for entry in (service.get("spec") or {}).get("traffic") or []:
        if isinstance(entry, dict) and entry.get("tag") and str(entry["tag"]) not in found:
            kept = {k: v for k, v in entry.items() if k not in ("percent", "url")}
            found[str(entry["tag"])] = {**kept, "percent": 0}
    return list(found.items())


def _pinned(live: JsonObject, traffic: list[JsonObject]) -> JsonObject:
    body = copy.deepcopy(live)
    body.pop("status", None)
    body.setdefault("spec", {})["traffic"] = copy.deepcopy(traffic)
    return body


def _template_changed(before: JsonObject, now: JsonObject) -> bool:
    def wrap(template: JsonObject) -> JsonObject:
        return {"spec": {"template": template}}

    return bool(diff_objects(wrap(now), wrap(before)) or diff_objects(wrap(before), wrap(now)))


def _pin(ref: ObjectRef, template: JsonObject, traffic: list[JsonObject]) -> Adjust:
    """The object to write: the live service with ``traffic``, as long as its revision
    template is still ``template`` (a deploy landed in between is a conflict, not overwritten).
    Against a live object that already holds the write, the same body."""

    def adjust(desired: JsonObject, live: JsonObject | None) -> JsonObject:
        if live is None:
            raise CloudRunError(f"{ref} was deleted while it was being rolled back")
        if _template_changed(template, (live.get("spec") or {}).get("template") or {}):
            raise ConflictError(
                f"{ref} was deployed by someone else while it was being rolled back (its "
                "revision template changed); nothing was written. Run the rollback again",
                status=409,
            )
        return _pinned(live, traffic)

    return adjust


def plan_service(client: CloudRunClient, target: DeployTarget, to: str | None) -> Rollback:
    """Where a service's traffic goes back to: the revision named ``to``, the newest Ready one
    carrying version ``to``, or (without ``to``) the newest Ready revision older than the live
    one that carries another version. The live version is the one of the revision serving the
    largest part of the traffic. UserError when there is none or it is not Ready."""
    ref = target.ref
    live = client.get(ref)
    if live is None:
        raise _not_deployed(target)
    revisions = {r.name: r for r in (_revision(obj) for obj in client.list_revisions(ref))}
    before = traffic_split(live, {name: r.version for name, r in revisions.items()})
    if not before:
        raise UserError(
            f"{_label(target)}: service {ref.name} serves no traffic yet, so there is nothing "
            "to roll back",
            hint="deploy it and wait until it is Ready",
        )
    serving = max(
        (s for s in before if s.percent == before[0].percent),
        key=lambda s: revisions[s.revision].order if s.revision in revisions else ("", ""),
    )
    if to is not None:
        chosen = _named(target, revisions, to)
    else:
        chosen = _previous(target, revisions, serving)
    if [(s.revision, s.percent) for s in before] == [(chosen.name, 100)]:
        return Rollback(
            target,
            serving.version,
            chosen.version or "",
            None,
            before=before,
            revision=chosen.name,
            note=f"{_label(target)}: {chosen.name} ({_shown(chosen.version)}) already serves "
            "100% of the traffic; nothing to roll back",
        )
    tags = _tags(live)
    traffic = [{"revisionName": chosen.name, "percent": 100}, *(entry for _, entry in tags)]
    desired = _pinned(live, traffic)
    return Rollback(
        target,
        serving.version,
        chosen.version or "",
        desired,
        adjust=_pin(ref, (live.get("spec") or {}).get("template") or {}, traffic),
        changes=tuple(diff_objects(live, desired)),
        before=before,
        revision=chosen.name,
        tags=tuple((tag, str(entry.get("revisionName") or "latest")) for tag, entry in tags),
    )


def _shown(version: str | None) -> str:
    return version if version is not None else "no version"


def _versions(revisions: Mapping[str, _Revision]) -> str:
    by_version: dict[str, list[str]] = {}
    for revision in sorted(revisions.values(), key=lambda r: r.order):
        by_version.setdefault(_shown(revision.version), []).append(revision.name)
    return "; ".join(f"{version}: {', '.join(names)}" for version, names in by_version.items())


def _refused(target: DeployTarget, revision: _Revision) -> UserError:
    return UserError(
        f"{_label(target)}: revision {revision.name} ({_shown(revision.version)}) is not "
        f"Ready, so Cloud Run cannot send traffic to it ({revision.why})",
        hint="name another version or revision with --to; `gcloud run revisions describe "
        f"{revision.name}` shows why it failed",
    )


def _named(target: DeployTarget, revisions: Mapping[str, _Revision], to: str) -> _Revision:
    if to in revisions:
        if revisions[to].ready != "True":
            raise _refused(target, revisions[to])
        return revisions[to]
    carrying = [r for r in revisions.values() if r.version == to]
    if not carrying:
        raise UserError(
            f"{_label(target)}: service {target.ref.name} has no revision named {to!r} and "
            f"none that carries version {to!r}",
            hint=f"its revisions by version: {_versions(revisions) or 'none'}",
        )
    ready = [r for r in carrying if r.ready == "True"]
    if not ready:
        raise _refused(target, max(carrying, key=lambda r: r.order))
    return max(ready, key=lambda r: r.order)


def _previous(
    target: DeployTarget, revisions: Mapping[str, _Revision], serving: Share
) -> _Revision:
    live = revisions.get(serving.revision)
    earlier = [
        r
        for r in revisions.values()
        if r.ready == "True"
        and r.version is not None
        and r.version != serving.version
        and (live is None or r.order < live.order)
    ]
    if not earlier:
        raise UserError(
            f"{_label(target)}: no earlier version to roll back to: service "
            f"{target.ref.name} has no Ready revision older than {serving.revision} "
            f"({_shown(serving.version)}) that carries another version",
            hint=f"its revisions by version: {_versions(revisions)}; name one with --to",
        )
    return max(earlier, key=lambda r: r.order)


#: Renders the job ``ref`` of an app at a commit with a version: (commit, version) -> manifest.
Rerender = Callable[[str, str], JsonObject]


def plan_job(
    client: CloudRunClient,
    target: DeployTarget,
    to: str | None,
    *,
    root: Path,
    rerender: Rerender,
) -> Rollback:
    """The template a job goes back to: the one recorded on it (its previous version, or
    version ``to`` when the record carries it), else the app re-rendered at the commit ``to``
    (or the record's commit) names in the repository of ``root``. UserError when there is
    neither."""
    ref = target.ref
    live = client.get(ref)
    if live is None:
        raise _not_deployed(target)
    before = stamped_version(live)
    record = previous_template(live)
    wanted = to if to is not None else (record.version if record is not None else None)
    if wanted is None:
        raise UserError(
            f"{_label(target)}: job {ref.name} has no record of a previous template (a "
            "deploy records one when it replaces the job's version)",
            hint="name the version to go back to with --to VERSION: a commit or tag of this "
            "repository is re-rendered from git",
        )
    if wanted == before:
        return Rollback(
            target,
            before,
            wanted,
            None,
            note=f"{_label(target)}: job {ref.name} already runs version {wanted}; nothing to "
            "roll back",
        )
    recorded = record if record is not None and record.version == wanted else None
    if recorded is not None and recorded.template is not None:
        desired = _restored(live, recorded)
        commit = f" (commit {recorded.commit[:12]})" if recorded.commit else ""
        source = f"the template of {wanted} recorded on the job{commit}"
    else:
        commit_sha = resolve_commit(root, wanted)
        if commit_sha is None and recorded is not None and recorded.commit:
            commit_sha = resolve_commit(root, recorded.commit)
        if commit_sha is None:
            known = f" (the job records {record.version} only)" if record is not None else ""
            raise UserError(
                f"{_label(target)}: version {wanted!r} of job {ref.name} is neither recorded "
                f"on the job{known} nor a commit of the repository at {root}",
                hint="name a recorded version, or a commit or tag that is in this clone (a "
                "shallow clone may need `git fetch --unshallow`)",
            )
        manifest = rerender(commit_sha, wanted)
        desired = stamp_release(
            manifest, app=target.app, env=target.env, version=wanted, commit=commit_sha
        )
        source = f"{wanted} re-rendered from git at commit {commit_sha[:12]}"
    return Rollback(
        target,
        before,
        wanted,
        desired,
        adjust=record_previous,
        changes=tuple(diff_objects(live, record_previous(desired, live))),
        source=source,
        rendered=recorded is None or recorded.template is None,
    )


def _restored(live: JsonObject, record: PreviousTemplate) -> JsonObject:
    """The live job with the recorded template and the commit it came from."""
    body = copy.deepcopy(live)
    body.pop("status", None)
    body.setdefault("spec", {})["template"] = copy.deepcopy(record.template)
    metadata = body.setdefault("metadata", {})
    annotations = dict(metadata.get("annotations") or {})
    annotations.pop(COMMIT_ANNOTATION, None)
    if record.commit:
        annotations[COMMIT_ANNOTATION] = record.commit
    metadata["annotations"] = annotations
    return body


@dataclass(frozen=True)
class RollbackRequest:
    """What ``polyinfra rollback`` was asked to do; ``images`` and ``registry`` are used when a
    job is re-rendered from git, as ``deploy`` uses them."""

    app: str
    env: str
    to: str | None = None
    region: str | None = None
    images: Mapping[str, str] | None = None
    registry: str | None = None


def plan_rollbacks(
    ws: Workspace, request: RollbackRequest, client_for: Callable[[str], CloudRunClient]
) -> list[Rollback]:
    """One rollback per object the app deploys in the environment (nothing is written)."""
    plans = []
    for target in locate(ws, [request.app], request.env, region=request.region):
        client = client_for(target.region)
        if target.kind == "Service":
            plans.append(plan_service(client, target, request.to))
            continue

        def rerender(commit: str, version: str, target: DeployTarget = target) -> JsonObject:
            return render_at(
                ws.root,
                commit,
                target,
                version,
                images=request.images or {},
                registry=request.registry,
                region=request.region,
            )

        plans.append(plan_job(client, target, request.to, root=ws.root, rerender=rerender))
    return plans


def roll_back(
    client: CloudRunClient,
    plan: Rollback,
    *,
    timeout: float,
    poll: float = 1.0,
    first_poll: float = 0.2,
    progress: Progress | None = None,
) -> RolledBack:
    """Write ``plan`` and wait until the object is Ready; for a service, check that the
    traffic went where it was sent (a service whose routes are ready but whose latest
    revision failed is not Ready, which ``warning`` says). DeployFailed or a CloudRunError
    when it did not work."""
    if plan.desired is None:
        raise ValueError("nothing to roll back")
    ref = plan.target.ref
    applied = apply_object(client, ref, plan.desired, adjust=plan.adjust)
    if progress is not None:
        progress(f"{applied.action}; waiting for Ready")
    warning = ""
    try:
        wait_ready(
            client,
            ref,
            applied.generation,
            timeout=timeout,
            poll=poll,
            first_poll=first_poll,
            progress=progress,
        )
    except WaitTimeout:
        raise
    except DeployFailed as exc:
        # A service is Ready when its routes and its latest revision are: one whose latest
        # revision failed stays Ready=False however its traffic is routed, which is what a
        # rollback is for. Its traffic, served by Ready revisions, tells whether it worked.
        live = client.get(ref) if ref.kind == "Service" else None
        if live is None or _condition(live, "RoutesReady").get("status") != "True":
            raise
        warning = f"{ref} is not Ready ({exc}), but its traffic is routed"
    if ref.kind != "Service":
        return RolledBack(plan, applied.action)
    live = client.get(ref)
    versions = {s.revision: s.version for s in plan.before}
    versions[plan.revision] = plan.after_version or None
    after = traffic_split(live or {}, versions)
    if [(s.revision, s.percent) for s in after] != [(plan.revision, 100)]:
        split = ", ".join(f"{s.percent}% {s.revision}" for s in after) or "none"
        raise DeployFailed(f"the traffic of {ref} is not on {plan.revision} (it is: {split})")
    return RolledBack(plan, applied.action, after, warning)


def _condition(obj: JsonObject, kind: str) -> JsonObject:
    """``obj``'s condition ``kind`` ({} when it has none)."""
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return {}
