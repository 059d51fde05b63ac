"""What is deployed where: per app and environment, the live object's version, revision,
readiness, traffic, URL and deploy time, and whether it drifted from what the tree renders at
that version; objects polyinfra deployed for apps the tree no longer has.

Reads only. The calls run concurrently (a few at a time); the renders run here, one per
environment and live version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from polyinfra.cloudrun.vocabulary import LOCATION_LABEL
from polyinfra.deploy.apply import stamped_version
from polyinfra.deploy.client import CloudRunClient, Kind, ObjectRef
from polyinfra.deploy.diff import Change, diff_objects
from polyinfra.deploy.errors import Cancelled, CloudRunError, JsonObject
from polyinfra.deploy.locate import locate
from polyinfra.deploy.release import (
    deployed_commit,
    managed_app,
    managed_selector,
    revision_version,
    stamp_release,
)
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.rollback.record import PREVIOUS_TEMPLATE_ANNOTATION
from polyinfra.deploy.rollout import ClientFactory, DeployTarget
from polyinfra.errors import UserError

if TYPE_CHECKING:
    from polyinfra.manifests import RenderResult
    from polyinfra.workspace import Workspace

T = TypeVar("T")

State = Literal["deployed", "not deployed", "not in tree", "error"]
Drift = Literal["yes", "no", "unknown"]

#: Calls in flight at once.
WORKERS = 8

_KINDS: tuple[Kind, ...] = ("Service", "Job")


@dataclass(frozen=True)
class TrafficShare:
    """One entry of a service's ``status.traffic``: the revision it resolves to, its share,
    the version that revision carries (None when it carries none or is gone), its tag and
    tagged URL, and whether it follows the latest ready revision."""

    revision: str
    percent: int
    version: str | None
    tag: str = ""
    latest: bool = False
    url: str = ""


@dataclass(frozen=True)
class AppStatus:
    """One Cloud Run object of an app in one environment, or the lack of it.

    ``version`` is the version on the object's template (what its newest revision or next
    execution runs: the one drift is rendered at); ``versions`` are the versions that serve:
    a service's revisions with a share of the traffic, in traffic order, or a job's
    ``version``. ``deployed_at`` is the creation time of a service's newest revision (the
    last deploy that cut one; Cloud Run v1 records no time of a job's last change, so it is
    empty for jobs); ``created_at`` is when the object was first created.
    """

    app: str
    env: str
    kind: str
    name: str
    project: str
    region: str
    state: State
    version: str | None = None
    versions: tuple[str, ...] = ()
    revision: str = ""
    latest_created_revision: str = ""
    ready: str = ""
    ready_reason: str = ""
    ready_message: str = ""
    traffic: tuple[TrafficShare, ...] = ()
    url: str = ""
    deployed_at: str = ""
    created_at: str = ""
    drift: Drift | None = None
    drift_reason: str = ""
    changes: tuple[Change, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        """Deployed, Ready and as the tree renders it."""
        return self.state == "deployed" and self.ready == "True" and self.drift == "no"


@dataclass
class StatusReport:
    rows: list[AppStatus] = field(default_factory=list)
    #: calls that failed outside any one app's row (listing a project's objects)
    errors: list[str] = field(default_factory=list)
    #: values the manifests and live objects mark secret: never shown
    secrets: frozenset[str] = frozenset()

    @property
    def failed(self) -> bool:
        """A call failed: the status is incomplete."""
        return bool(self.errors) or any(row.state == "error" for row in self.rows)

    @property
    def ok(self) -> bool:
        """Every row deployed, Ready and without drift, and nothing failed."""
        return not self.failed and all(row.ok for row in self.rows)


@dataclass(frozen=True)
class StatusRequest:
    """What ``polyinfra status`` was asked: the apps (every app of each environment when
    empty), the environments, and deploy's ``--image``/``--registry``/``--region``, which the
    renders need to match what deploy rendered. Objects not in the tree are looked for only
    when no app is named."""

    apps: tuple[str, ...]
    envs: tuple[str, ...]
    images: Mapping[str, str] = field(default_factory=dict)
    registry: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class _Live:
    """A live object and, for a service, its revisions."""

    obj: JsonObject
    revisions: tuple[JsonObject, ...] = ()


def collect_status(
    ws: Workspace,
    request: StatusRequest,
    *,
    client_factory: ClientFactory,
    workers: int = WORKERS,
    pacer: Pacer | None = None,
) -> StatusReport:
    """Where each requested app stands in each environment, environments in the order asked,
    apps by name, then the objects not in the tree. Bad input (an unknown app or environment,
    a tree that does not render) is a UserError before any call; a failed call is an
    ``error`` row (or a report error for a listing), never an exception."""
    from polyinfra.redact import workspace_secrets

    pacer = pacer or Pacer()
    targets = _located(ws, request)
    # Objects not in the tree are looked for where the environment's apps live.
    places = (
        sorted({(t.env, t.ref.namespace, t.region) for t in targets}) if not request.apps else []
    )
    lists = [(place, kind) for place in places for kind in _KINDS]
    clients = {region: client_factory(region, pacer) for region in {t.region for t in targets}}

    def in_tree(env: str, kind: Kind, project: str) -> frozenset[str]:
        return frozenset(
            t.ref.name for t in targets if (t.env, t.kind, t.ref.namespace) == (env, kind, project)
        )

    results = run_concurrently(
        [
            *(_task(_read_live, clients[t.region], t.ref) for t in targets),
            *(
                _task(
                    _list_managed, clients[region], kind, project, env, in_tree(env, kind, project)
                )
                for (env, project, region), kind in lists
            ),
        ],
        workers,
        pacer,
    )
    # after Ctrl-C a worker may still be waiting for an answer: its connection stays open
    for client in clients.values():
        client.close()
    lives = cast("list[_Live | Exception | None]", results[: len(targets)])
    listed = cast("list[list[_Live] | Exception]", results[len(targets) :])
    report = StatusReport()
    drifts = _drifts(ws, request, targets, lives)
    rows = [_row(t, live, drift) for t, live, drift in zip(targets, lives, drifts, strict=True)]
    # by environment, app, kind, name, project and region, like the apps of the tree
    orphans: dict[tuple[str, str, Kind, str, str, str], _Live] = {}
    for ((env, project, region), kind), found in zip(lists, listed, strict=True):
        if isinstance(found, Exception):
            report.errors.append(_message(found))
            continue
        for live in found:
            # an emulator answers for every region: each object once, where it says it is
            where = _region(live.obj) or region
            app, name = managed_app(live.obj) or "", str(live.obj["metadata"]["name"])
            orphans.setdefault((env, app, kind, name, project, where), live)
    for (env, app, kind, name, project, region), live in sorted(orphans.items()):
        rows.append(
            _live_row(app, env, ObjectRef(kind, project, name), region, live, "not in tree")
        )
    order = {env: index for index, env in enumerate(request.envs)}
    report.rows = sorted(rows, key=lambda row: (order[row.env], row.state == "not in tree"))
    report.secrets = workspace_secrets(
        [
            *(t.manifest for t in targets),
            *(live.obj for live in lives if isinstance(live, _Live)),
            *(live.obj for live in orphans.values()),
        ]
    )
    return report


def _located(ws: Workspace, request: StatusRequest) -> list[DeployTarget]:
    """Every object of the requested apps in each environment, by app, kind and name."""
    targets: list[DeployTarget] = []
    for env in request.envs:
        names = list(request.apps)
        if names and len(request.envs) > 1:
            # every environment: each app where it has an overlay
            names = [name for name in names if env in ws.app(name).overlays]
            if not names:
                continue
        found = locate(
            ws, names, env, region=request.region, images=request.images, registry=request.registry
        )
        targets.extend(sorted(found, key=lambda t: (t.app, t.kind, t.ref.name)))
    return targets


# ---- calls ---------------------------------------------------------------------------------


def _task(function: Callable[..., T], *args: object) -> Callable[[], T]:
    return lambda: function(*args)


def run_concurrently(
    tasks: Sequence[Callable[[], T]], workers: int, pacer: Pacer
) -> list[T | Exception]:
    """Each task's result (or the CloudRunError it raised), in the order of ``tasks``, with at
    most ``workers`` running at once. Ctrl-C (KeyboardInterrupt in the calling thread) cancels
    the pacer, so no further call is sent, and is raised again at once; the workers are daemon
    threads, so one still waiting for an answer does not hold the process. Any other exception
    of a task is raised again here."""
    results: dict[int, T | Exception] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()
    pending = list(range(len(tasks)))
    done = threading.Semaphore(0)

    def work() -> None:
        while True:
            with lock:
                if not pending:
                    return
                index = pending.pop(0)
            try:
                results[index] = tasks[index]()
            except (CloudRunError, Cancelled) as exc:
                results[index] = exc
            except Exception as exc:  # a bug: raised in the calling thread
                failures.append(exc)
                results[index] = exc
            finally:
                done.release()

    threads = [
        threading.Thread(target=work, name=f"status-{index}", daemon=True)
        for index in range(min(max(1, workers), len(tasks)))
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in tasks:
            while not done.acquire(timeout=0.1):
                pass
    except KeyboardInterrupt:
        pacer.cancel.set()
        raise
    if failures:
        raise failures[0]
    return [results[index] for index in range(len(tasks))]


def _read_live(client: CloudRunClient, ref: ObjectRef) -> _Live | None:
    obj = client.get(ref)
    if obj is None:
        return None
    revisions = client.list_revisions(ref) if ref.kind == "Service" else []
    return _Live(obj, tuple(revisions))


def _list_managed(
    client: CloudRunClient, kind: Kind, project: str, env: str, known: frozenset[str]
) -> list[_Live]:
    """The services or jobs of ``project`` (this client's region) that polyinfra deployed to
    ``env``, but for those called one of ``known``, with their revisions."""
    found = []
    for obj in client.list_objects(kind, project, managed_selector(env)):
        ref = ObjectRef(kind, project, str(obj["metadata"]["name"]))
        if ref.name in known:
            continue
        revisions = client.list_revisions(ref) if kind == "Service" else []
        found.append(_Live(obj, tuple(revisions)))
    return found


def _message(exc: Exception) -> str:
    if isinstance(exc, Cancelled):
        return "interrupted"
    return str(exc)


# ---- drift ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Drift:
    drift: Drift
    reason: str = ""
    changes: tuple[Change, ...] = ()


def _drifts(
    ws: Workspace,
    request: StatusRequest,
    targets: Sequence[DeployTarget],
    lives: Sequence[_Live | Exception | None],
) -> list[_Drift | None]:
    """Per target: how its live object differs from the tree rendered at the live version
    (None when nothing is live). One render per environment and version."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for target, live in zip(targets, lives, strict=True):
        version = stamped_version(live.obj) if isinstance(live, _Live) else None
        if version is not None and target.app not in wanted.setdefault((target.env, version), []):
            wanted[(target.env, version)].append(target.app)
    renders = {
        key: _render(ws, request, key[0], key[1], apps) for key, apps in sorted(wanted.items())
    }
    drifts: list[_Drift | None] = []
    for target, live in zip(targets, lives, strict=True):
        if not isinstance(live, _Live):
            drifts.append(None)
            continue
        version = stamped_version(live.obj)
        if version is None:
            drifts.append(
                _Drift("unknown", "the live object carries no polyinfra version to render")
            )
            continue
        rendered = renders[(target.env, version)][target.app]
        if isinstance(rendered, str):
            drifts.append(_Drift("unknown", rendered))
            continue
        drifts.append(_compare(target, live.obj, version, rendered))
    return drifts


def _render(
    ws: Workspace, request: StatusRequest, env: str, version: str, apps: list[str]
) -> dict[str, RenderResult | str]:
    """Each app rendered for ``env`` at ``version`` with deploy's images, or why not."""
    from polyinfra.errors import UserErrors
    from polyinfra.manifests import PartialRender, render_apps

    def render(names: list[str]) -> RenderResult:
        return render_apps(
            ws, names, env, version, images=request.images, registry=request.registry
        )

    try:
        result = render(apps)
    except PartialRender as exc:
        found: dict[str, RenderResult | str] = dict.fromkeys(
            (app.app for app in exc.result.apps), exc.result
        )
        for app in exc.failed:  # each again on its own, for its own message
            try:
                found[app] = render([app])
            except UserError as error:
                found[app] = _render_failed(version, error)
        return found
    except UserErrors as exc:
        return dict.fromkeys(apps, _render_failed(version, exc.errors[0]))
    except UserError as exc:
        return dict.fromkeys(apps, _render_failed(version, exc))
    return dict.fromkeys(apps, result)


def _render_failed(version: str, error: UserError) -> str:
    from polyinfra.errors import UserErrors

    first = error.errors[0] if isinstance(error, UserErrors) else error
    return f"version {version} does not render: {first.message}"


def _compare(
    target: DeployTarget, live: JsonObject, version: str, rendered: RenderResult
) -> _Drift:
    """``live`` against the tree's object at ``version``, stamped as deploy stamps it (the
    commit the live object records, so that a later commit alone is no drift). The traffic
    split is not compared: it is the release's state (``deploy --traffic``, ``promote``,
    ``rollback`` move it), shown on its own; nor is a job's record of the template it
    replaced, which deploy writes and the tree never holds."""
    for app in rendered.apps:
        for obj in app.objects if app.app == target.app else ():
            if obj.kind == target.kind and obj.name == target.ref.name:
                desired = stamp_release(
                    obj.data,
                    app=target.app,
                    env=target.env,
                    version=version,
                    commit=deployed_commit(live) or "",
                )
                changes = tuple(
                    change
                    for change in diff_objects(live, desired)
                    if not _traffic(change) and change.path != _RECORD_PATH
                )
                return _Drift("yes" if changes else "no", changes=changes)
    return _Drift(
        "unknown", f"version {version} renders no {target.kind.lower()} {target.ref.name}"
    )


#: The change a job's record of its previous template reads as (``deploy.rollback.record``).
_RECORD_PATH = f"metadata.annotations[{PREVIOUS_TEMPLATE_ANNOTATION}]"


def _traffic(change: Change) -> bool:
    return change.path == "spec.traffic" or change.path.startswith(
        ("spec.traffic[", "spec.traffic.")
    )


# ---- rows ----------------------------------------------------------------------------------


def _row(target: DeployTarget, live: _Live | Exception | None, drift: _Drift | None) -> AppStatus:
    ref, where = target.ref, (target.app, target.env)
    if isinstance(live, Exception):
        return AppStatus(
            *where,
            ref.kind.lower(),
            ref.name,
            ref.namespace,
            target.region,
            "error",
            error=_message(live),
        )
    if live is None:
        return AppStatus(
            *where, ref.kind.lower(), ref.name, ref.namespace, target.region, "not deployed"
        )
    row = _live_row(target.app, target.env, ref, target.region, live, "deployed")
    if drift is None:
        return row
    return replace(row, drift=drift.drift, drift_reason=drift.reason, changes=drift.changes)


def _live_row(
    app: str, env: str, ref: ObjectRef, region: str, live: _Live, state: State
) -> AppStatus:
    """What the live object says: version, readiness, and for a service its revision,
    traffic, URL and the time its newest revision was created."""
    obj = live.obj
    status = obj.get("status") or {}
    ready = _condition(obj, "Ready")
    version = stamped_version(obj)
    row = AppStatus(
        app,
        env,
        ref.kind.lower(),
        ref.name,
        ref.namespace,
        region,
        state,
        version=version,
        versions=(version,) if version is not None else (),
        ready=str(ready.get("status") or "Unknown"),
        ready_reason=str(ready.get("reason") or ""),
        ready_message=str(ready.get("message") or ""),
        created_at=str((obj.get("metadata") or {}).get("creationTimestamp") or ""),
    )
    if ref.kind == "Job":
        return row
    revisions = {str((r.get("metadata") or {}).get("name")): r for r in live.revisions}
    traffic = tuple(_share(entry, revisions) for entry in status.get("traffic") or ())
    serving: list[str] = []
    for share in traffic:
        shown = share.version if share.version is not None else "?"
        if share.percent > 0 and shown not in serving:
            serving.append(shown)
    created = str(status.get("latestCreatedRevisionName") or "")
    newest = (revisions.get(created) or {}).get("metadata") or {}
    return replace(
        row,
        versions=tuple(serving),
        revision=str(status.get("latestReadyRevisionName") or ""),
        latest_created_revision=created,
        traffic=traffic,
        url=str(status.get("url") or (status.get("address") or {}).get("url") or ""),
        deployed_at=str(newest.get("creationTimestamp") or ""),
    )


def _share(entry: JsonObject, revisions: Mapping[str, JsonObject]) -> TrafficShare:
    name = str(entry.get("revisionName") or "")
    revision = revisions.get(name)
    return TrafficShare(
        revision=name,
        percent=int(entry.get("percent") or 0),
        version=revision_version(revision) if revision is not None else None,
        tag=str(entry.get("tag") or ""),
        latest=bool(entry.get("latestRevision")),
        url=str(entry.get("url") or ""),
    )


def _condition(obj: JsonObject, kind: str) -> JsonObject:
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return {}


def _region(obj: JsonObject) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get(LOCATION_LABEL) or "")
