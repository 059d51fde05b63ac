"""Deploy many rendered manifests concurrently: apply, wait, optionally execute, and report."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal, Protocol

from polyinfra.deploy.apply import (
    DeployFailed,
    WaitTimeout,
    apply_object,
    describe_error,
    execute_job,
    stamp_version,
    wait_ready,
)
from polyinfra.deploy.client import (
    Cancelled,
    CloudRunClient,
    CloudRunError,
    JsonObject,
    Kind,
    ObjectRef,
    Pacer,
)
from polyinfra.deploy.diff import Change, diff_objects

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


@dataclass(frozen=True)
class DeployOptions:
    version: str
    concurrency: int = 4
    fail_fast: bool = False
    timeout: float = 600.0
    execute: bool = False
    dry_run: bool = False
    poll: float = 1.0
    first_poll: float = 0.2


@dataclass(frozen=True)
class AppResult:
    """What happened to one app. ``applied`` is True once a write was acknowledged."""

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

    @property
    def ok(self) -> bool:
        return self.outcome in ("ready", "dry-run")


@dataclass
class DeployReport:
    results: list[AppResult] = field(default_factory=list)
    interrupted: bool = False

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


def default_client_factory(endpoint: str | None) -> ClientFactory:
    """Clients for Google's regional endpoints, or for the emulator at ``endpoint``."""

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient.connect(region, endpoint=endpoint, pacer=pacer)

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


def deploy_manifests(
    targets: Sequence[DeployTarget],
    options: DeployOptions,
    *,
    client_factory: ClientFactory,
    observer: Observer | None = None,
    pacer: Pacer | None = None,
) -> DeployReport:
    """Deploy ``targets`` with at most ``options.concurrency`` in flight.

    Ctrl-C (KeyboardInterrupt in the calling thread) cancels the waits; the report then says
    which apps were applied and which were not. With ``fail_fast`` no app starts after a failure.
    """
    pacer = pacer or Pacer()
    observer = observer or _Silent()
    clients = _Clients(client_factory, pacer)
    stop_starting = threading.Event()
    report = DeployReport()

    def one(target: DeployTarget) -> AppResult:
        start = pacer.clock()
        if stop_starting.is_set() or pacer.cancel.is_set():
            reason = "interrupted" if pacer.cancel.is_set() else "stopped after a failure"
            return AppResult(target, "not started", 0.0, message=reason)
        observer.started(target)
        result = _deploy_one(target, options, clients, pacer, observer, start)
        if not result.ok and options.fail_fast:
            stop_starting.set()
        observer.finished(result)
        return result

    executor = ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    futures: dict[Future[AppResult], DeployTarget] = {
        executor.submit(one, target): target for target in targets
    }
    pending = set(futures)
    try:
        while pending:
            _, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
    except KeyboardInterrupt:
        report.interrupted = True
        pacer.cancel.set()
        executor.shutdown(wait=True, cancel_futures=True)
    finally:
        executor.shutdown(wait=True)
        clients.close()
    for future, target in futures.items():
        if future.cancelled():
            report.results.append(AppResult(target, "not started", 0.0, message="interrupted"))
        else:
            report.results.append(future.result())
    return report


def _deploy_one(
    target: DeployTarget,
    options: DeployOptions,
    clients: _Clients,
    pacer: Pacer,
    observer: Observer,
    start: float,
) -> AppResult:
    ref = target.ref
    desired = stamp_version(target.manifest, options.version)
    applied = False
    action = ""

    def elapsed() -> float:
        return round(pacer.clock() - start, 1)

    def progress(message: str) -> None:
        observer.progress(target, message)

    try:
        client = clients.get(target.region)
        if options.dry_run:
            live = client.get(ref)
            changes = tuple(diff_objects(live, desired))
            if client.authenticated:
                # Google validates the request without applying it. An emulator gets no write
                # at all: one that ignored dryRun would apply it.
                apply_object(client, ref, desired, dry_run=True)
            return AppResult(
                target,
                "dry-run",
                elapsed(),
                action="create" if live is None else ("replace" if changes else "no change"),
                changes=changes,
            )
        progress("applying")
        result = apply_object(client, ref, desired)
        applied, action = True, result.action
        progress(f"{result.action}; waiting for Ready")
        state = wait_ready(
            client,
            ref,
            result.generation,
            timeout=options.timeout,
            poll=options.poll,
            first_poll=options.first_poll,
            progress=progress,
        )
        execution = ""
        if options.execute and target.kind == "Job":
            progress("executing")
            run = execute_job(
                client,
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
            action=action,
            revision=state.revision,
            execution=execution,
            url=state.url,
        )
    except Cancelled:
        message = "applied; readiness not confirmed" if applied else "not applied"
        return AppResult(target, "cancelled", elapsed(), applied, action, message=message)
    except WaitTimeout as exc:
        return AppResult(target, "timeout", elapsed(), applied, action, message=str(exc))
    except (CloudRunError, DeployFailed) as exc:
        return AppResult(target, "failed", elapsed(), applied, action, message=describe_error(exc))
