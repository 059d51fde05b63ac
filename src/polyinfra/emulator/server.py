"""An in-process fake of the Cloud Run Admin API v1 (services, jobs, executions) on 127.0.0.1;
``python -m polyinfra.emulator`` runs it as a standalone local emulator."""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import random
import re
import signal
import socket
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

JsonObject = dict[str, Any]

SERVICES_API = "serving.knative.dev/v1"
JOBS_API = "run.googleapis.com/v1"

_PATH = re.compile(
    r"^/apis/(?P<group>serving\.knative\.dev|run\.googleapis\.com)/v1/namespaces/"
    r"(?P<namespace>[^/]+)/(?P<collection>services|jobs|executions)"
    r"(?:/(?P<name>[^/:]+)(?P<verb>:run)?)?$"
)
_COLLECTIONS = {
    "services": ("serving.knative.dev", SERVICES_API, "Service"),
    "jobs": ("run.googleapis.com", JOBS_API, "Job"),
    "executions": ("run.googleapis.com", JOBS_API, "Execution"),
}
# Fields a client may not set; the server owns them.
_SERVER_METADATA = ("generation", "resourceVersion", "uid", "creationTimestamp", "selfLink")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass
class Fault:
    """A scripted failure for the next ``times`` requests that match ``method`` and ``path``.

    ``status`` 0 drops the connection without an answer. ``apply_first`` carries the request out
    before failing, which is how a lost response to a successful create looks to a client.
    """

    status: int
    method: str | None = None
    path: str = ""
    times: int = 1
    apply_first: bool = False
    message: str = ""
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.path in path


@dataclass(frozen=True)
class Outcome:
    """How an object's rollout (or a job execution) ends once it has been polled enough."""

    polls: int
    ready: bool = True
    message: str = ""
    reason: str = ""
    failed_tasks: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for assertions in tests."""

    method: str
    path: str
    query: dict[str, str]
    body: JsonObject | None
    headers: dict[str, str]
    status: int

    @property
    def dry_run(self) -> bool:
        return self.query.get("dryRun") == "all"

    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PUT", "DELETE"} and not self.dry_run


@dataclass
class _Entry:
    """A stored object and where its rollout stands."""

    obj: JsonObject
    polls_left: int = 0
    ready_at: float = 0.0
    outcome: Outcome = field(default_factory=lambda: Outcome(polls=0))
    settled: bool = True


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Drop(Exception):
    """Close the connection without answering."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _suffix(length: int) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=length))


class FakeCloudRun:
    """Fake Cloud Run Admin API v1 server with scriptable rollouts, latency and faults.

    ``ready_after`` is how many GETs an object needs after a change before it settles;
    ``ready_latency`` is the minimum seconds before it settles; ``latency`` delays every answer.
    Executions settle after ``ready_after`` GETs too.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        ready_after: int = 1,
        ready_latency: float = 0.0,
        latency: float = 0.0,
    ) -> None:
        self.ready_after = ready_after
        self.ready_latency = ready_latency
        self.latency = latency
        self._port = port
        self._lock = threading.RLock()
        self._objects: dict[tuple[str, str, str], _Entry] = {}
        self._revisions: dict[tuple[str, str], list[str]] = {}
        self._faults: list[Fault] = []
        self._outcomes: dict[str, list[Outcome]] = {}
        self._requests: list[RecordedRequest] = []
        self._versions = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeCloudRun:
        """Start serving on 127.0.0.1 in a background thread."""
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-cloud-run", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeCloudRun:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, the value for ``CLOUD_RUN_EMULATOR_HOST``."""
        if self._server is None:
            raise RuntimeError("the fake is not running; call start() first")
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``, the value for ``--endpoint``."""
        return f"http://{self.host}"

    # ---- scripting -------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Queue a fault; faults are tried in the order they were added."""
        with self._lock:
            self._faults.append(fault)

    def fail(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str = "",
        times: int = 1,
        message: str = "",
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``."""
        self.inject(Fault(status, method, path, times, False, message, retry_after))

    def drop(self, *, method: str | None = None, path: str = "", times: int = 1) -> None:
        """Close the connection of the next ``times`` matching requests without answering."""
        self.inject(Fault(0, method, path, times))

    def lose_response(self, *, method: str = "POST", path: str = "", times: int = 1) -> None:
        """Carry out the next matching request, then drop the connection before answering."""
        self.inject(Fault(0, method, path, times, apply_first=True))

    def script(
        self,
        name: str,
        *,
        polls: int | None = None,
        ready: bool = True,
        message: str = "",
        reason: str = "",
        failed_tasks: int = 0,
    ) -> None:
        """Script the next rollout of object ``name`` (or the next execution of job ``name``).

        ``ready=False`` ends it with ``Ready=False`` and ``message``/``reason``; for executions
        ``failed_tasks`` tasks fail. Scripts are used in order, one per change or execution.
        """
        outcome = Outcome(
            polls=self.ready_after if polls is None else polls,
            ready=ready,
            message=message,
            reason=reason,
            failed_tasks=failed_tasks,
        )
        with self._lock:
            self._outcomes.setdefault(name, []).append(outcome)

    def put_object(self, obj: JsonObject) -> JsonObject:
        """Store ``obj`` as if it had been deployed earlier (settled and Ready)."""
        collection = "services" if obj.get("kind") == "Service" else "jobs"
        namespace = str(obj["metadata"]["namespace"])
        with self._lock:
            entry = self._store(collection, namespace, copy.deepcopy(obj), None)
            self._settle(collection, entry, Outcome(polls=0))
            return copy.deepcopy(entry.obj)

    def touch(self, collection: str, namespace: str, name: str) -> None:
        """Simulate someone else changing an object: its resourceVersion moves on."""
        with self._lock:
            entry = self._objects[(collection, namespace, name)]
            entry.obj["metadata"]["resourceVersion"] = self._next_version()

    # ---- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def writes(self) -> list[RecordedRequest]:
        """Requests that changed (or tried to change) state: POST, PUT, DELETE without dryRun."""
        return [r for r in self.requests if r.is_write]

    def get_object(self, collection: str, namespace: str, name: str) -> JsonObject | None:
        with self._lock:
            entry = self._objects.get((collection, namespace, name))
            return copy.deepcopy(entry.obj) if entry else None

    def objects(self, collection: str) -> list[JsonObject]:
        with self._lock:
            return [
                copy.deepcopy(e.obj) for (c, _, _), e in self._objects.items() if c == collection
            ]

    def revisions(self, namespace: str, name: str) -> list[str]:
        """Revision names created for service ``name``, oldest first."""
        with self._lock:
            return list(self._revisions.get((namespace, name), []))

    # ---- request handling (called from server threads) -------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, JsonObject, dict[str, str]]:
        split = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        parsed: JsonObject | None = None
        status = 0
        try:
            if body:
                try:
                    loaded = json.loads(body)
                except ValueError as exc:
                    raise _ApiError(400, f"Invalid JSON payload received. {exc}") from exc
                if not isinstance(loaded, dict):
                    raise _ApiError(400, "Invalid JSON payload: expected an object.")
                parsed = loaded
            fault = self._take_fault(method, split.path)
            if fault is not None and not fault.apply_first:
                if fault.status == 0:
                    raise _Drop
                extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                status = fault.status
                return status, _error(status, fault.message or HTTPStatus(status).phrase), extra
            with self._lock:
                status, answer = self._dispatch(method, split.path, query, parsed)
            if fault is not None:
                raise _Drop
            return status, answer, {}
        except _ApiError as exc:
            status = exc.status
            return status, _error(exc.status, exc.message), {}
        finally:
            with self._lock:
                self._requests.append(
                    RecordedRequest(method, split.path, query, parsed, headers, status)
                )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return copy.copy(fault)
        return None

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: JsonObject | None
    ) -> tuple[int, JsonObject]:
        match = _PATH.match(path)
        if match is None:
            raise _ApiError(404, f"The requested URL {path} was not found on this server.")
        collection = match["collection"]
        group, _, _ = _COLLECTIONS[collection]
        if match["group"] != group:
            raise _ApiError(404, f"The requested URL {path} was not found on this server.")
        namespace, name, verb = match["namespace"], match["name"], match["verb"]
        dry_run = query.get("dryRun") == "all"
        if collection == "executions":
            if method != "GET":
                raise _ApiError(405, "method not allowed")
            if name is None:
                return 200, self._list_executions(namespace, query.get("labelSelector", ""))
            return 200, self._poll(collection, namespace, name)
        if name is None:
            if method != "POST":
                raise _ApiError(405, "method not allowed")
            return 200, self._create(collection, namespace, body, dry_run)
        if verb == ":run":
            if method != "POST":
                raise _ApiError(405, "method not allowed")
            return 200, self._run_job(namespace, name)
        if method == "GET":
            return 200, self._poll(collection, namespace, name)
        if method == "PUT":
            return 200, self._replace(collection, namespace, name, body, dry_run)
        if method == "DELETE":
            return 200, self._delete(collection, namespace, name, dry_run)
        raise _ApiError(405, "method not allowed")

    # ---- objects ---------------------------------------------------------------------------

    def _validate(self, collection: str, namespace: str, body: JsonObject | None) -> JsonObject:
        _, api_version, kind = _COLLECTIONS[collection]
        if body is None:
            raise _ApiError(400, "Request body is required.")
        if body.get("apiVersion") != api_version or body.get("kind") != kind:
            raise _ApiError(
                400,
                f"Invalid {collection} object: expected apiVersion {api_version!r} and kind "
                f"{kind!r}, got {body.get('apiVersion')!r} and {body.get('kind')!r}.",
            )
        metadata = body.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise _ApiError(400, "metadata.name: field is required.")
        if metadata.get("namespace", namespace) != namespace:
            raise _ApiError(
                400,
                f"metadata.namespace: {metadata.get('namespace')!r} does not match the "
                f"namespace {namespace!r} in the request URL.",
            )
        spec = body.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("template"), dict):
            raise _ApiError(400, "spec.template: field is required.")
        return copy.deepcopy(body)

    def _create(
        self, collection: str, namespace: str, body: JsonObject | None, dry_run: bool
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        name = obj["metadata"]["name"]
        if (collection, namespace, name) in self._objects:
            raise _ApiError(409, f"Resource '{name}' already exists.")
        if dry_run:
            return self._stamp(obj, namespace, generation=1)
        entry = self._store(collection, namespace, obj, None)
        return copy.deepcopy(entry.obj)

    def _replace(
        self,
        collection: str,
        namespace: str,
        name: str,
        body: JsonObject | None,
        dry_run: bool,
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        if obj["metadata"]["name"] != name:
            raise _ApiError(400, "metadata.name does not match the name in the request URL.")
        entry = self._objects.get((collection, namespace, name))
        if entry is None:
            raise _ApiError(404, f"Resource '{name}' of kind '{collection}' does not exist.")
        sent_version = obj["metadata"].get("resourceVersion")
        current_version = entry.obj["metadata"]["resourceVersion"]
        if sent_version and sent_version != current_version:
            raise _ApiError(
                409,
                "The object has been modified; please apply your changes to the latest "
                f"version and try again (sent resourceVersion {sent_version}, current "
                f"{current_version}).",
            )
        if dry_run:
            generation = entry.obj["metadata"]["generation"]
            if obj["spec"] != entry.obj["spec"]:
                generation += 1
            return self._stamp(obj, namespace, generation=generation)
        entry = self._store(collection, namespace, obj, entry)
        return copy.deepcopy(entry.obj)

    def _delete(self, collection: str, namespace: str, name: str, dry_run: bool) -> JsonObject:
        if (collection, namespace, name) not in self._objects:
            raise _ApiError(404, f"Resource '{name}' of kind '{collection}' does not exist.")
        if not dry_run:
            del self._objects[(collection, namespace, name)]
        return {"kind": "Status", "apiVersion": "v1", "status": "Success"}

    def _next_version(self) -> str:
        return str(next(self._versions))

    def _stamp(self, obj: JsonObject, namespace: str, *, generation: int) -> JsonObject:
        metadata = obj["metadata"]
        metadata["namespace"] = namespace
        metadata["generation"] = generation
        metadata.setdefault("uid", str(uuid.uuid4()))
        metadata.setdefault("creationTimestamp", _now())
        metadata["resourceVersion"] = self._next_version()
        obj.pop("status", None)
        return obj

    def _store(
        self, collection: str, namespace: str, obj: JsonObject, previous: _Entry | None
    ) -> _Entry:
        name = obj["metadata"]["name"]
        for key in _SERVER_METADATA:
            obj["metadata"].pop(key, None)
        if previous is None:
            generation = 1
            spec_changed = True
        else:
            spec_changed = obj["spec"] != previous.obj["spec"]
            generation = previous.obj["metadata"]["generation"] + (1 if spec_changed else 0)
            obj["metadata"]["uid"] = previous.obj["metadata"]["uid"]
            obj["metadata"]["creationTimestamp"] = previous.obj["metadata"]["creationTimestamp"]
        self._stamp(obj, namespace, generation=generation)
        labels = obj["metadata"].setdefault("labels", {})
        labels.setdefault("cloud.googleapis.com/location", "fake-region")
        # The status keeps describing the previous generation until the rollout settles.
        obj["status"] = copy.deepcopy(previous.obj.get("status", {})) if previous else {}
        if previous is None:
            obj["status"] = {
                "observedGeneration": 0,
                "conditions": [_condition("Ready", "Unknown", "Deploying", "")],
            }
        entry = _Entry(obj=obj)
        if previous is not None and not spec_changed:
            entry.settled = previous.settled
            entry.outcome = previous.outcome
            entry.polls_left = previous.polls_left
            entry.ready_at = previous.ready_at
        else:
            entry.outcome = self._next_outcome(name)
            entry.polls_left = entry.outcome.polls
            entry.ready_at = time.monotonic() + self.ready_latency
            entry.settled = False
            if collection == "services":
                revisions = self._revisions.setdefault((namespace, name), [])
                revision = f"{name}-{len(revisions) + 1:05d}-{_suffix(3)}"
                revisions.append(revision)
                obj["status"]["latestCreatedRevisionName"] = revision
        self._objects[(collection, namespace, name)] = entry
        if entry.settled is False and entry.polls_left <= 0 and self.ready_latency <= 0:
            self._settle(collection, entry, entry.outcome)
        return entry

    def _next_outcome(self, name: str) -> Outcome:
        queue = self._outcomes.get(name)
        if queue:
            return queue.pop(0)
        return Outcome(polls=self.ready_after)

    def _poll(self, collection: str, namespace: str, name: str) -> JsonObject:
        entry = self._objects.get((collection, namespace, name))
        if entry is None:
            kind = _COLLECTIONS[collection][2].lower()
            raise _ApiError(404, f"Resource '{name}' of kind '{kind}' does not exist.")
        if not entry.settled:
            entry.polls_left -= 1
            if entry.polls_left <= 0 and time.monotonic() >= entry.ready_at:
                self._settle(collection, entry, entry.outcome)
        return copy.deepcopy(entry.obj)

    def _settle(self, collection: str, entry: _Entry, outcome: Outcome) -> None:
        entry.settled = True
        obj = entry.obj
        if collection == "executions":
            self._settle_execution(obj, outcome)
            return
        status = obj.setdefault("status", {})
        status["observedGeneration"] = obj["metadata"]["generation"]
        if outcome.ready:
            ready = _condition("Ready", "True", "", "")
        else:
            ready = _condition(
                "Ready", "False", outcome.reason or "RevisionFailed", outcome.message
            )
        if collection == "services":
            name = obj["metadata"]["name"]
            namespace = obj["metadata"]["namespace"]
            latest = (
                status.get("latestCreatedRevisionName")
                or (
                    self._revisions.setdefault((namespace, name), [f"{name}-00001-{_suffix(3)}"])[
                        -1
                    ]
                )
            )
            status["latestCreatedRevisionName"] = latest
            if outcome.ready:
                status["latestReadyRevisionName"] = latest
                status["traffic"] = [
                    {"revisionName": latest, "percent": 100, "latestRevision": True}
                ]
                status["url"] = f"https://{name}-fake.a.run.app"
            status["conditions"] = [
                ready,
                _condition(
                    "ConfigurationsReady",
                    ready["status"],
                    ready.get("reason", ""),
                    ready.get("message", ""),
                ),
                _condition("RoutesReady", "True" if outcome.ready else "False", "", ""),
            ]
        else:
            status["conditions"] = [ready]
            status.setdefault("executionCount", 0)

    # ---- executions ------------------------------------------------------------------------

    def _run_job(self, namespace: str, name: str) -> JsonObject:
        entry = self._objects.get(("jobs", namespace, name))
        if entry is None:
            raise _ApiError(404, f"Resource '{name}' of kind 'job' does not exist.")
        if not entry.settled or _ready_status(entry.obj) != "True":
            raise _ApiError(400, f"Job '{name}' is not ready to be executed.")
        job = entry.obj
        execution_name = f"{name}-{_suffix(5)}"
        template = copy.deepcopy(job["spec"]["template"])
        execution = {
            "apiVersion": JOBS_API,
            "kind": "Execution",
            "metadata": {
                "name": execution_name,
                "namespace": namespace,
                "labels": {"run.googleapis.com/job": name},
                "generation": 1,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": _now(),
                "resourceVersion": self._next_version(),
            },
            "spec": template.get("spec", {}),
            "status": {
                "observedGeneration": 1,
                "startTime": _now(),
                "conditions": [_condition("Completed", "Unknown", "Running", "")],
            },
        }
        outcome = self._next_outcome(name)
        exec_entry = _Entry(
            obj=execution,
            polls_left=outcome.polls,
            ready_at=time.monotonic() + self.ready_latency,
            outcome=outcome,
            settled=False,
        )
        self._objects[("executions", namespace, execution_name)] = exec_entry
        job_status = job.setdefault("status", {})
        job_status["executionCount"] = int(job_status.get("executionCount", 0)) + 1
        job_status["latestCreatedExecution"] = {
            "name": execution_name,
            "createTime": execution["metadata"]["creationTimestamp"],
        }
        return copy.deepcopy(execution)

    def _settle_execution(self, execution: JsonObject, outcome: Outcome) -> None:
        task_count = int(execution["spec"].get("taskCount", 1))
        failed = min(outcome.failed_tasks, task_count) if not outcome.ready else 0
        if not outcome.ready and failed == 0:
            failed = task_count
        status = execution["status"]
        status["completionTime"] = _now()
        status["succeededCount"] = task_count - failed
        if failed:
            status["failedCount"] = failed
            message = outcome.message or f"Task {execution['metadata']['name']}-task0 failed."
            status["conditions"] = [
                _condition("Completed", "False", outcome.reason or "NonZeroExitCode", message)
            ]
        else:
            status["conditions"] = [_condition("Completed", "True", "", "")]

    def _list_executions(self, namespace: str, selector: str) -> JsonObject:
        wanted = dict(part.split("=", 1) for part in selector.split(",") if "=" in part)
        items = []
        for (collection, ns, _), entry in self._objects.items():
            if collection != "executions" or ns != namespace:
                continue
            labels = entry.obj["metadata"].get("labels", {})
            if all(labels.get(k) == v for k, v in wanted.items()):
                items.append(copy.deepcopy(entry.obj))
        return {"apiVersion": JOBS_API, "kind": "ExecutionsList", "items": items}


def _condition(kind: str, status: str, reason: str, message: str) -> JsonObject:
    condition: JsonObject = {
        "type": kind,
        "status": status,
        "lastTransitionTime": _now(),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _ready_status(obj: JsonObject) -> str:
    for condition in obj.get("status", {}).get("conditions", []):
        if condition.get("type") == "Ready":
            return str(condition.get("status"))
    return "Unknown"


def _error(status: int, message: str) -> JsonObject:
    return {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


def _make_handler(fake: FakeCloudRun) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeCloudRun/1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if fake.latency:
                time.sleep(fake.latency)
            try:
                status, answer, extra = fake.handle(self.command, self.path, headers, body)
            except _Drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the fake keeps its own request log."""

    return Handler


def main(argv: list[str] | None = None, *, wait: Callable[[], None] | None = None) -> int:
    """Run the fake as a standalone local emulator until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m polyinfra.emulator",
        description="Local Cloud Run Admin API v1 emulator (a fake: nothing is deployed).",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--ready-after", type=int, default=1, help="GETs before a change becomes Ready"
    )
    parser.add_argument(
        "--ready-latency", type=float, default=0.0, help="seconds before a change becomes Ready"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to answers")
    args = parser.parse_args(argv)
    fake = FakeCloudRun(
        port=args.port,
        ready_after=args.ready_after,
        ready_latency=args.ready_latency,
        latency=args.latency,
    )
    with fake:
        # stderr: what it is and how to use it; stdout: just host:port, for scripts (last, so
        # a script that has read the address has the banner too).
        print(
            f"Local Cloud Run emulator (a fake Admin API v1: nothing is deployed anywhere) "
            f"listening on {fake.endpoint}\n  export CLOUD_RUN_EMULATOR_HOST={fake.host}",
            file=sys.stderr,
            flush=True,
        )
        print(fake.host, flush=True)
        if wait is not None:
            wait()
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    return 0
