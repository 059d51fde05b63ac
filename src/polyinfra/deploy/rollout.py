"""Deploy many rendered manifests concurrently: apply, wait, optionally execute, and report."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from polyinfra.deploy.apply import (
    DeployFailed,
    WaitTimeout,
    apply_object,
    describe_error,
    execute_job,
    wait_ready,
)
from polyinfra.deploy.client import CloudRunClient, Kind, ObjectRef
from polyinfra.deploy.diff import Change, diff_objects
from polyinfra.deploy.endpoint import DEFAULT_HTTP_TIMEOUT
from polyinfra.deploy.errors import Cancelled, CloudRunError, DeadlineExceeded, JsonObject
from polyinfra.deploy.release import stamp_release
from polyinfra.deploy.retry import Pacer, Quota
from polyinfra.deploy.rollback import record_previous
from polyinfra.deploy.traffic import TrafficPlan, TrafficReport, TrafficRequest

Outcome = Literal["ready", "failed", "timeout", "cancelled", "not started", "dry-run"]


@dataclass(frozen=True)
class DeployTarget:
    """One rendered app to deploy: the manifest and where it came from."""

    app: str
    env: str
    manifest: JsonObject
    region: str
    source: str = ""

    @property
    def kind(self) -> Kind:
        return "Service" if self.manifest.get("kind") == "Service" else "Job"

    @property
    def ref(self) -> ObjectRef:
        metadata = self.manifest.get("metadata", {})
        return ObjectRef(self.kind, str(metadata.get("namespace")), str(metadata.get("name")))


#: Apps deployed at the same time by default: every app of a deploy up to this many. An app
#: spends nearly all its time waiting for Cloud Run to make it ready, so as many as there are
#: (within reason: a thread and a connection each) finish in about the time of the slowest one;
#: the request pace (:class:`Quota`), not the thread count, keeps the calls inside the quotas.
DEFAULT_CONCURRENCY = 32


@dataclass(frozen=True)
class DeployOptions:
    """How to deploy. ``timeout`` bounds each app's whole apply and wait (reads, writes,
    retries, polling) from the moment it starts, and, with ``execute``, its job's execution
    afresh; ``http_timeout`` bounds each call's answer. After Ctrl-C, answers to the calls
    already on the wire are awaited ``interrupt_grace`` seconds at most (they say what was
    applied); nothing more is sent. ``quota`` paces the Admin API calls of all apps together,
    per region (writes and reads per minute)."""

    version: str
    concurrency: int = DEFAULT_CONCURRENCY
    fail_fast: bool = False
    timeout: float = 600.0
    execute: bool = False
    dry_run: bool = False
    poll: float = 1.0
    first_poll: float = 0.2
    http_timeout: float = DEFAULT_HTTP_TIMEOUT
    interrupt_grace: float = 0.5
    #: the commit the workspace is at, recorded on each object (``release.COMMIT_ANNOTATION``)
    commit: str = ""
    #: what to do with each service's traffic (``--traffic``, ``--no-traffic``, ``--tag``);
    #: None: the manifest's traffic
    traffic: TrafficRequest | None = None
    quota: Quota = field(default_factory=Quota)


@dataclass(frozen=True)
class AppResult:
    """What happened to one app. ``applied`` is True once a write was acknowledged;
    ``unconfirmed`` names a write that was sent but whose outcome is not known (the deploy was
    interrupted before its answer came)."""

    target: DeployTarget
    outcome: Outcome
    seconds: float
    applied: bool = False
    action: str = ""
    revision: str = ""
    execution: str = ""
    message: str = ""
    url: str = ""
    changes: tuple[Change, ...] = ()
    unconfirmed: str = ""
    #: what a service's deploy did to its traffic (None for a job, or when nothing was written)
    traffic: TrafficReport | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("ready", "dry-run")


@dataclass
class DeployReport:
    results: list[AppResult] = field(default_factory=list)
    interrupted: bool = False
    #: values the manifests mark secret: never shown in what the report prints
    secrets: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.ok for r in self.results)


class Observer(Protocol):
    """Receives progress for the live display; called from worker threads."""

    def started(self, target: DeployTarget) -> None: ...

    def progress(self, target: DeployTarget, message: str) -> None: ...

    def finished(self, result: AppResult) -> None: ...


class _Silent:
    def started(self, target: DeployTarget) -> None:
        pass

    def progress(self, target: DeployTarget, message: str) -> None:
        pass

    def finished(self, result: AppResult) -> None:
        pass


ClientFactory = Callable[[str, Pacer], CloudRunClient]


def default_client_factory(
    endpoint: str | None, *, http_timeout: float = DEFAULT_HTTP_TIMEOUT
) -> ClientFactory:
    """Clients for Google's regional endpoints, or for the emulator at ``endpoint``."""

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient.connect(region, endpoint=endpoint, pacer=pacer, timeout=http_timeout)

    return factory


class _Clients:
    """One client per region, made on first use."""

    def __init__(self, factory: ClientFactory, pacer: Pacer) -> None:
        self._factory = factory
        self._pacer = pacer
        self._lock = threading.Lock()
        self._clients: dict[str, CloudRunClient] = {}

    def get(self, region: str) -> CloudRunClient:
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._factory(region, self._pacer)
            return self._clients[region]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


@dataclass
class _Slot:
    """One app's place in the rollout, shared by its worker and the thread that reports."""

    target: DeployTarget
    started: float | None = None
    client: CloudRunClient | None = None
    applied: bool = False
    action: str = ""
    result: AppResult | None = None
    #: an error that is no deploy outcome (bad input, a bug), raised again by the caller
    error: Exception | None = None


class _Gate:
    """Passes a worker's events on to the observer until the report is taken; after an
    interruption, late answers change neither the display nor the report."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.lock = threading.Lock()
        self.closed = False

    def started(self, target: DeployTarget) -> None:
        with self.lock:
            if not self.closed:
                self.observer.started(target)

    def progress(self, target: DeployTarget, message: str) -> None:
        with self.lock:
            if not self.closed:
                self.observer.progress(target, message)

    def finish(self, slot: _Slot, result: AppResult) -> None:
        with self.lock:
            if not self.closed:
                slot.result = result
                self.observer.finished(result)


def deploy_manifests(
    targets: Sequence[DeployTarget],
    options: DeployOptions,
    *,
    client_factory: ClientFactory,
    observer: Observer | None = None,
    pacer: Pacer | None = None,
) -> DeployReport:
    """Deploy ``targets`` with at most ``options.concurrency`` in flight, their Admin API
    calls paced per region by ``options.quota`` (unless ``pacer`` brings a quota of its own).

    Ctrl-C (KeyboardInterrupt in the calling thread) stops at once: no request is sent after
    it and none is retried. The answers to calls already on the wire are awaited
    ``options.interrupt_grace`` seconds at most, then the report says which apps were applied,
    which had a write whose outcome is unknown, and which were not applied. The workers are
    daemon threads: one still waiting for an answer does not hold the process. With
    ``fail_fast`` no app starts after a failure. Traffic options with a job among the targets
    are a UserError, raised before anything is sent.
    """
    _check_traffic_targets(targets, options.traffic)
    pacer = pacer or Pacer()
    if pacer.quota is None:
        pacer.quota = options.quota
    gate = _Gate(observer or _Silent())
    clients = _Clients(client_factory, pacer)
    stop_starting = threading.Event()
    slots = [_Slot(target) for target in targets]
    queue = deque(slots)
    queue_lock = threading.Lock()
    finished = threading.Semaphore(0)

    def work() -> None:
        while True:
            with queue_lock:
                if not queue:
                    return
                slot = queue.popleft()
            try:
                if stop_starting.is_set() or pacer.cancel.is_set():
                    reason = "interrupted" if pacer.cancel.is_set() else "stopped after a failure"
                    gate.finish(slot, AppResult(slot.target, "not started", 0.0, message=reason))
                    continue
                slot.started = pacer.clock()
                gate.started(slot.target)
                result = _deploy_one(slot, options, clients, pacer, gate)
                if not result.ok and options.fail_fast:
                    stop_starting.set()
                gate.finish(slot, result)
            except Exception as exc:
                slot.error = exc
                stop_starting.set()
            finally:
                finished.release()

    workers = [
        threading.Thread(target=work, name=f"deploy-{index}", daemon=True)
        for index in range(min(max(1, options.concurrency), max(1, len(slots))))
    ]
    for worker in workers:
        worker.start()
    report = DeployReport()
    try:
        for _ in slots:
            while not finished.acquire(timeout=0.1):
                pass
    except KeyboardInterrupt:
        report.interrupted = True
        pacer.cancel.set()
        stop_starting.set()
        _await_answers(workers, options.interrupt_grace, pacer)
    with gate.lock:
        gate.closed = True
        report.results = [slot.result or _interrupted(slot, pacer) for slot in slots]
    if not any(worker.is_alive() for worker in workers):
        clients.close()
    errors = [slot.error for slot in slots if slot.error is not None]
    if errors and not report.interrupted:
        raise errors[0]
    return report


def _check_traffic_targets(targets: Sequence[DeployTarget], request: TrafficRequest | None) -> None:
    """Traffic options split a service's traffic between its revisions: a job has none."""
    from polyinfra.errors import UserError

    jobs = [t.app for t in targets if t.kind == "Job"]
    if request is not None and jobs:
        what = "is a job" if len(jobs) == 1 else "are jobs"
        raise UserError(
            f"{request.flags()} applies to services only: {', '.join(jobs)} {what}",
            hint="deploy jobs without traffic options, or name only services",
        )


def _await_answers(workers: Sequence[threading.Thread], grace: float, pacer: Pacer) -> None:
    """Give the calls on the wire ``grace`` seconds to answer; a second Ctrl-C stops at once."""
    deadline = pacer.clock() + grace
    try:
        for worker in workers:
            worker.join(max(0.0, deadline - pacer.clock()))
    except KeyboardInterrupt:
        pass


def _interrupted(slot: _Slot, pacer: Pacer) -> AppResult:
    """What an app that was still deploying when Ctrl-C came got done."""
    if slot.started is None:
        return AppResult(slot.target, "not started", 0.0, message="interrupted")
    seconds = round(pacer.clock() - slot.started, 1)
    unconfirmed = slot.client.unconfirmed_write if slot.client is not None else ""
    if slot.applied:
        message = "applied; readiness not confirmed"
    elif unconfirmed:
        message = f"{unconfirmed} was sent; whether it was applied is not known"
    else:
        message = "not applied"
    return AppResult(
        slot.target,
        "cancelled",
        seconds,
        slot.applied,
        slot.action,
        message=message,
        unconfirmed="" if slot.applied else unconfirmed,
    )


def _deploy_one(
    slot: _Slot,
    options: DeployOptions,
    clients: _Clients,
    pacer: Pacer,
    gate: _Gate,
) -> AppResult:
    target = slot.target
    start = slot.started if slot.started is not None else pacer.clock()
    ref = target.ref
    desired = stamp_release(
        target.manifest,
        app=target.app,
        env=target.env,
        version=options.version,
        commit=options.commit,
    )

    def elapsed() -> float:
        return round(pacer.clock() - start, 1)

    def progress(message: str) -> None:
        gate.progress(target, message)

    # What the write keeps of the live object: a service's traffic (what the options ask, and
    # a pinned split a deploy replaces), a job's record of the template it replaces.
    plan = TrafficPlan(ref.name, options.traffic) if target.kind == "Service" else None
    adjust = plan.adjust if plan is not None else record_previous

    def traffic(routed: tuple[JsonObject, ...] = ()) -> TrafficReport | None:
        return plan.report(routed) if plan is not None and slot.applied else None

    def result(outcome: Outcome, message: str) -> AppResult:
        return AppResult(
            target,
            outcome,
            elapsed(),
            slot.applied,
            slot.action,
            message=message,
            traffic=traffic(),
        )

    try:
        client = clients.get(target.region).bounded(start + options.timeout, options.timeout)
        slot.client = client
        if options.dry_run:
            live = client.get(ref)
            changes = tuple(diff_objects(live, adjust(desired, live)))
            if client.authenticated:
                # Google validates the request without applying it. An emulator gets no write
                # at all: one that ignored dryRun would apply it.
                apply_object(client, ref, desired, dry_run=True, adjust=adjust)
            return AppResult(
                target,
                "dry-run",
                elapsed(),
                action="create" if live is None else ("replace" if changes else "no change"),
                changes=changes,
            )
        progress("applying")
        applied = apply_object(client, ref, desired, adjust=adjust)
        slot.applied, slot.action = True, applied.action
        progress(f"{applied.action}; waiting for Ready")
        state = wait_ready(
            client,
            ref,
            applied.generation,
            timeout=max(0.0, start + options.timeout - pacer.clock()),
            poll=options.poll,
            first_poll=options.first_poll,
            progress=progress,
            budget=options.timeout,
        )
        execution = ""
        if options.execute and target.kind == "Job":
            progress("executing")
            run_client = client.bounded(pacer.clock() + options.timeout, options.timeout)
            slot.client = run_client
            run = execute_job(
                run_client,
                ref,
                timeout=options.timeout,
                poll=options.poll,
                first_poll=options.first_poll,
                progress=progress,
            )
            execution = run.name
        return AppResult(
            target,
            "ready",
            elapsed(),
            applied=True,
            action=slot.action,
            revision=state.revision,
            execution=execution,
            url=state.url,
            traffic=traffic(state.traffic),
        )
    except Cancelled:
        if slot.applied:
            return result("cancelled", "applied; readiness not confirmed")
        return _interrupted(slot, pacer)
    except WaitTimeout as exc:
        return result("timeout", str(exc))
    except DeadlineExceeded as exc:
        return result("timeout", f"{exc}; raise --timeout if Cloud Run is only slow")
    except (CloudRunError, DeployFailed) as exc:
        return result("failed", describe_error(exc))
