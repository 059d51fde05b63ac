"""An in-process fake of the Cloud Run Admin API v1 (services, revisions, jobs, executions) on
127.0.0.1; ``python -m polyinfra.emulator`` runs it as a standalone local emulator.

It answers the way Google's front ends do where a client can tell the difference: bodies are
gzip-compressed when the request accepts it, every error has Google's body (``{"error": {"code",
"message", "status", "details"}}``) with a canonical status name, a bearer token can be required
and individual tokens rejected, and objects come back with the fields the server owns (uid,
generation, an opaque ``resourceVersion``, ``selfLink``, ``metadata.namespace`` as the project
number, the defaults the server fills in, annotations, status with URLs) and their revisions.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from polyinfra.cloudrun.vocabulary import (
    INGRESS_ANNOTATION,
    INGRESS_STATUS_ANNOTATION,
    JOB_API,
    JOB_LABEL,
    LOCATION_LABEL,
    MAX_SCALE_ANNOTATION,
    OPERATION_ID_ANNOTATION,
    SERVER_METADATA,
    SERVICE_API,
    STARTUP_PROBE_TYPE_LABEL,
)
from polyinfra.emulator.objects import (
    _canonical,
    _child,
    _container_defaults,
    _image_digest,
    _now,
    _ready_status,
    _record_client,
    _selected,
    _selector,
    _self_link,
    _set_conditions,
    _suffix,
    _traffic,
    derived_project_number,
)
from polyinfra.emulator.script import (
    Arrival,
    Client,
    Fault,
    Outcome,
    RecordedRequest,
)
from polyinfra.emulator.wire import (
    _COLLECTIONS,
    _JSON_HEADERS,
    _REALM,
    CREDENTIALS_MISSING_MESSAGE,
    INVALID_CREDENTIALS_MESSAGE,
    JsonObject,
    _ApiError,
    _default_message,
    _Drop,
    _encode,
    _Endless,
    _error,
    _error_info,
    _Hang,
    _invalid,
    _parse_body,
    _Route,
    _route,
    _Server,
)

DEFAULT_REGION = "europe-west1"


DEFAULT_PRINCIPAL = "deployer@example.com"


_DEFAULT_MAX_SCALE = "100"


@dataclass
class _Entry:
    """A stored object and where its rollout stands.

    ``obj`` is the object as the client sent it plus the server's bookkeeping (generation,
    resourceVersion, uid, creationTimestamp, location label, status); what a GET answers is
    derived from it (see ``FakeCloudRun._served``).
    """

    obj: JsonObject
    polls_left: int = 0
    ready_at: float = 0.0
    outcome: Outcome = field(default_factory=lambda: Outcome(polls=0))
    settled: bool = True
    collection: str = "services"
    project: str = ""
    creator: str = ""
    modifier: str = ""
    operation: str = ""
    client: Client | None = None


@dataclass
class _Revision:
    """One revision of a service: the template it was cut from, and how its rollout ended."""

    name: str
    service: str
    project: str
    region: str
    configuration_generation: int
    template: JsonObject
    uid: str
    created: str
    resource_version: str
    status: JsonObject


class FakeCloudRun:
    """Fake Cloud Run Admin API v1 server with scriptable rollouts, latency, faults and auth.

    ``ready_after`` is how many GETs an object needs after a change before it settles;
    ``ready_latency`` is the minimum seconds before it settles; ``latency`` delays every answer.
    Executions settle after ``ready_after`` GETs too.

    ``require_auth`` answers 401 to requests without ``Authorization: Bearer <token>``; any token
    is accepted unless :meth:`reject_token` named it. ``project_numbers`` maps project ids to
    numbers (unlisted ids get a stable 12-digit number derived from the id); requests may name a
    project by id or number, and answers name it by number. ``region`` is the location of
    objects whose ``cloud.googleapis.com/location`` label is not set, and ``principal`` the
    email the server records as creator and last modifier.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        ready_after: int = 1,
        ready_latency: float = 0.0,
        latency: float = 0.0,
        require_auth: bool = False,
        project_numbers: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        principal: str = DEFAULT_PRINCIPAL,
    ) -> None:
        self.ready_after = ready_after
        self.ready_latency = ready_latency
        self.latency = latency
        self.require_auth = require_auth
        self.project_numbers = dict(project_numbers or {})
        self.region = region
        self.principal = principal
        self._port = port
        self._lock = threading.RLock()
        self._objects: dict[tuple[str, str, str], _Entry] = {}
        self._revisions: dict[tuple[str, str], list[_Revision]] = {}
        self._faults: list[Fault] = []
        self._outcomes: dict[str, list[Outcome]] = {}
        self._requests: list[RecordedRequest] = []
        self._arrivals: list[Arrival] = []
        self._rejected_tokens: set[str] = set()
        self._last_version = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeCloudRun:
        """Start serving on 127.0.0.1 in a background thread."""
        handler = _make_handler(self)
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-cloud-run", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        # Wakes the requests held by ``hang`` and ends the bodies of ``endless``.
        self._stopping.set()
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

    def project_number(self, project: str) -> str:
        """The number the fake answers for ``project`` (an id or already a number)."""
        return self.project_numbers.get(project) or derived_project_number(project)

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
        details: Iterable[JsonObject] = (),
        status_name: str = "",
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and Google's error body,
        ``delay`` seconds after they arrive.

        ``details`` are added to the body as they are, e.g. a ``google.rpc.ErrorInfo`` naming
        the missing permission or a ``google.rpc.BadRequest`` with field violations.
        """
        self.inject(
            Fault(
                status,
                method,
                path,
                times,
                False,
                message,
                retry_after,
                [copy.deepcopy(d) for d in details],
                status_name,
                delay,
            )
        )

    def drop(self, *, method: str | None = None, path: str = "", times: int = 1) -> None:
        """Close the connection of the next ``times`` matching requests without answering."""
        self.inject(Fault(0, method, path, times))

    def lose_response(self, *, method: str = "POST", path: str = "", times: int = 1) -> None:
        """Carry out the next matching request, then drop the connection before answering."""
        self.inject(Fault(0, method, path, times, apply_first=True))

    def delay(
        self, seconds: float, *, method: str | None = None, path: str = "", times: int = 1
    ) -> None:
        """Hold back the answer to the next ``times`` matching requests by ``seconds``, then
        carry them out and answer as usual (unlike ``latency``, only for these requests)."""
        self.inject(Fault(200, method, path, times, delay=seconds))

    def hang(self, *, method: str | None = None, path: str = "", times: int = 1) -> None:
        """Accept the next ``times`` matching requests and never answer them: the connection
        stays open, silent, until the fake stops (a front end that accepted and stalled)."""
        self.inject(Fault(0, method, path, times, hang=True))

    def endless(self, *, method: str | None = None, path: str = "", times: int = 1) -> None:
        """Answer the next ``times`` matching requests with 200 and a JSON body that never
        ends: bytes keep coming until the client hangs up or the fake stops."""
        self.inject(Fault(200, method, path, times, endless=True))

    def reject_token(self, token: str) -> None:
        """Answer 401 (``ACCESS_TOKEN_EXPIRED``) to every request bearing ``token``, as for an
        expired or revoked access token, whether or not ``require_auth`` is set."""
        with self._lock:
            self._rejected_tokens.add(token)

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

    def touch(self, collection: str, namespace: str, name: str) -> None:
        """Simulate someone else changing an object: its resourceVersion moves on."""
        with self._lock:
            entry = self._objects[(collection, self.project_number(namespace), name)]
            entry.obj["metadata"]["resourceVersion"] = self._next_version()
            entry.operation = str(uuid.uuid4())

    # ---- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered (or dropped), in the order the answers were made."""
        with self._lock:
            return list(self._requests)

    def arrivals(self) -> list[Arrival]:
        """Every request received so far, in order of arrival, including the ones still being
        answered (delayed, hanging, endless) that :attr:`requests` does not list yet."""
        with self._lock:
            return list(self._arrivals)

    def _arrive(self, method: str, path: str, received: float) -> None:
        """Record that a request arrived (called by the HTTP handler)."""
        with self._lock:
            self._arrivals.append(Arrival(method, path, received))

    def writes(self) -> list[RecordedRequest]:
        """Requests that changed (or tried to change) state: POST, PUT, DELETE without dryRun."""
        return [r for r in self.requests if r.is_write]

    def get_object(self, collection: str, namespace: str, name: str) -> JsonObject | None:
        """The stored object as the client sent it (``metadata.namespace`` as in the request
        URL), with the server's bookkeeping (generation, resourceVersion, uid,
        creationTimestamp, location label, status) but without the defaults, annotations and
        ``selfLink`` a GET adds (:meth:`served_object`). ``namespace`` may be the project id or
        number."""
        with self._lock:
            entry = self._objects.get((collection, self.project_number(namespace), name))
            return copy.deepcopy(entry.obj) if entry else None

    def served_object(self, collection: str, namespace: str, name: str) -> JsonObject | None:
        """The object exactly as a GET answers it (without counting as a poll)."""
        with self._lock:
            entry = self._objects.get((collection, self.project_number(namespace), name))
            return self._served(entry) if entry else None

    def objects(self, collection: str) -> list[JsonObject]:
        """Every stored object of ``collection``, as :meth:`get_object` returns them."""
        with self._lock:
            return [
                copy.deepcopy(e.obj) for (c, _, _), e in self._objects.items() if c == collection
            ]

    def revisions(self, namespace: str, name: str) -> list[str]:
        """Revision names created for service ``name``, oldest first."""
        with self._lock:
            found = self._revisions.get((self.project_number(namespace), name), [])
            return [revision.name for revision in found]

    # ---- request handling (called from server threads) -------------------------------------

    def handle(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        *,
        received: float = 0.0,
    ) -> tuple[int, bytes, dict[str, str]]:
        """Answer one request: status, the bytes of the body and the headers to send.

        ``headers`` are the request's with lower-case names; ``received`` is when it arrived.
        Raises ``_Drop`` when the connection is to be closed without an answer, ``_Hang`` when
        it is to stay open and silent, ``_Endless`` when the answer is a body that never ends.
        Every request is recorded.
        """
        split = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        parsed, bad_body = _parse_body(body)
        status = 0
        answer: JsonObject | None = None
        sent: dict[str, str] = {}
        try:
            extra: dict[str, str] = {}
            try:
                route = _route(method, split.path)
                self._authenticate(headers, query, route)
                fault = self._take_fault(method, split.path)
                if fault is not None and fault.delay:
                    if self._stopping.wait(fault.delay):
                        raise _Drop
                    if fault.status == 200:
                        fault = None  # only a delay: carry the request out as usual
                if fault is not None and fault.hang:
                    raise _Hang
                if fault is not None and fault.endless:
                    status = 200
                    raise _Endless
                if fault is not None and not fault.apply_first:
                    if fault.status == 0:
                        raise _Drop
                    raise _ApiError(
                        fault.status,
                        fault.message or _default_message(fault.status),
                        status_name=fault.status_name,
                        details=copy.deepcopy(fault.details),
                        headers={"Retry-After": f"{fault.retry_after:g}"}
                        if fault.retry_after
                        else None,
                    )
                if route is None:
                    raise _ApiError(
                        404, f"The requested URL {split.path} was not found on this server."
                    )
                if bad_body is not None:
                    raise bad_body
                client = Client.from_user_agent(headers.get("user-agent", ""))
                with self._lock:
                    status, answer = self._dispatch(route, query, parsed, client)
                if fault is not None:
                    raise _Drop
            except _ApiError as exc:
                status, answer, extra = exc.status, exc.body(), exc.headers
            except (_Drop, _Hang, _Endless):
                raise
            except Exception:
                traceback.print_exc(file=sys.stderr)
                status, answer = 500, _error(500, "Internal error encountered.")
            payload, sent = _encode(
                answer, extra, headers.get("accept-encoding", ""), query.get("prettyPrint")
            )
            return status, payload, sent
        finally:
            with self._lock:
                self._requests.append(
                    RecordedRequest(
                        method,
                        split.path,
                        query,
                        parsed,
                        headers,
                        status,
                        copy.deepcopy(answer),
                        sent,
                        received,
                    )
                )

    def _authenticate(
        self, headers: Mapping[str, str], query: Mapping[str, str], route: _Route | None
    ) -> None:
        scheme, _, value = headers.get("authorization", "").strip().partition(" ")
        token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
        if token is None:
            # The discovery document's global parameters carry a token in the query too.
            token = query.get("access_token") or query.get("oauth_token") or None
        metadata = {"service": "run.googleapis.com"}
        if route is not None:
            metadata["method"] = route.method_id
        with self._lock:
            rejected = token is not None and token in self._rejected_tokens
        if rejected:
            raise _ApiError(
                401,
                INVALID_CREDENTIALS_MESSAGE,
                details=[_error_info("ACCESS_TOKEN_EXPIRED", metadata)],
                # RFC 6750 section 3.1: an expired or revoked token is "invalid_token".
                headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'},
            )
        if token is None and self.require_auth:
            raise _ApiError(
                401,
                CREDENTIALS_MISSING_MESSAGE,
                details=[_error_info("CREDENTIALS_MISSING", metadata)],
                headers={"WWW-Authenticate": _REALM},
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
        self,
        route: _Route,
        query: dict[str, str],
        body: JsonObject | None,
        client: Client | None = None,
    ) -> tuple[int, JsonObject]:
        collection, namespace, name = route.collection, route.namespace, route.name
        action = route.method_id.rsplit(".", 1)[-1]
        dry_run = query.get("dryRun") == "all"
        selector = query.get("labelSelector", "")
        if name is None:
            if collection == "executions":
                return 200, self._list_executions(namespace, selector)
            if collection == "revisions":
                return 200, self._list_revisions(namespace, selector)
            return 200, self._create(collection, namespace, body, dry_run, client)
        if collection == "revisions":
            return 200, self._get_revision(namespace, name)
        if action == "get":
            return 200, self._served(self._poll(collection, namespace, name))
        if action == "run":
            return 200, self._run_job(namespace, name)
        if action == "delete":
            return 200, self._delete(collection, namespace, name, dry_run)
        return 200, self._replace(collection, namespace, name, body, dry_run, client)

    # ---- objects ---------------------------------------------------------------------------

    def _not_found(self, collection: str, namespace: str, name: str) -> _ApiError:
        kind = _COLLECTIONS[collection][2].upper()
        return _ApiError(
            404,
            f"Resource '{name}' of kind '{kind}' in region '{self.region}' in project "
            f"'{namespace}' does not exist.",
        )

    def _validate(self, collection: str, namespace: str, body: JsonObject | None) -> JsonObject:
        _, api_version, kind = _COLLECTIONS[collection]
        if body is None:
            raise _invalid((kind.lower(), "The request body is required."))
        violations: list[tuple[str, str]] = []
        for key, expected in (("apiVersion", api_version), ("kind", kind)):
            if body.get(key) != expected:
                violations.append(
                    (key, f"Expected {expected!r} for a {kind}, got {body.get(key)!r}.")
                )
        metadata = body.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            violations.append(("metadata.name", "Field is required."))
        elif metadata.get("namespace") and self.project_number(
            str(metadata["namespace"])
        ) != self.project_number(namespace):
            violations.append(
                (
                    "metadata.namespace",
                    f"{metadata.get('namespace')!r} does not match the namespace "
                    f"{namespace!r} in the request URL.",
                )
            )
        spec = body.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(template, dict):
            violations.append(("spec.template", "Field is required."))
        else:
            where = "spec.template.spec"
            pod = template.get("spec")
            if collection == "jobs":
                where += ".template.spec"
                task = pod.get("template") if isinstance(pod, dict) else None
                pod = task.get("spec") if isinstance(task, dict) else None
            containers = pod.get("containers") if isinstance(pod, dict) else None
            if not isinstance(containers, list) or not containers:
                violations.append((f"{where}.containers", "At least one container is required."))
            else:
                for index, container in enumerate(containers):
                    if not isinstance(container, dict) or not container.get("image"):
                        violations.append(
                            (f"{where}.containers[{index}].image", "Field is required.")
                        )
        if violations:
            raise _invalid(*violations)
        return copy.deepcopy(body)

    def _create(
        self,
        collection: str,
        namespace: str,
        body: JsonObject | None,
        dry_run: bool,
        client: Client | None = None,
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        name = obj["metadata"]["name"]
        if (collection, self.project_number(namespace), name) in self._objects:
            raise _ApiError(409, f"Resource '{name}' already exists.", status_name="ALREADY_EXISTS")
        entry = self._store(collection, namespace, obj, None, dry_run=dry_run, client=client)
        return self._served(entry)

    def _replace(
        self,
        collection: str,
        namespace: str,
        name: str,
        body: JsonObject | None,
        dry_run: bool,
        client: Client | None = None,
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        if obj["metadata"]["name"] != name:
            raise _invalid(
                (
                    "metadata.name",
                    f"{obj['metadata']['name']!r} does not match {name!r} in the URL.",
                )
            )
        entry = self._objects.get((collection, self.project_number(namespace), name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        sent_version = obj["metadata"].get("resourceVersion")
        current_version = entry.obj["metadata"]["resourceVersion"]
        if sent_version and sent_version != current_version:
            raise _ApiError(
                409,
                "The object has been modified; please apply your changes to the latest "
                f"version and try again (sent resourceVersion {sent_version}, current "
                f"{current_version}).",
                status_name="ABORTED",
            )
        entry = self._store(collection, namespace, obj, entry, dry_run=dry_run, client=client)
        return self._served(entry)

    def _delete(self, collection: str, namespace: str, name: str, dry_run: bool) -> JsonObject:
        number = self.project_number(namespace)
        entry = self._objects.get((collection, number, name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        if not dry_run:
            del self._objects[(collection, number, name)]
            if collection == "services":
                self._revisions.pop((number, name), None)
            else:
                for key, other in list(self._objects.items()):
                    labels = other.obj["metadata"].get("labels") or {}
                    if key[:2] == ("executions", number) and labels.get(JOB_LABEL) == name:
                        del self._objects[key]
        return {
            "status": "Success",
            "details": {
                "name": name,
                "group": _COLLECTIONS[collection][0],
                "kind": collection,
                "uid": entry.obj["metadata"]["uid"],
            },
        }

    def _next_version(self) -> str:
        # Opaque to clients (the discovery document says so): 8 bytes of a strictly increasing
        # microsecond clock, base64url-encoded.
        micros = max(time.time_ns() // 1000, self._last_version + 1)
        self._last_version = micros
        return base64.urlsafe_b64encode(micros.to_bytes(8, "big")).decode().rstrip("=")

    def _defaults(self, collection: str, spec: Any, project: str) -> JsonObject:
        """``spec`` with the values the server fills in when they are absent (the discovery
        document names these defaults; the revision template's annotation and label are the
        ones Terraform's Google provider has to ignore as provided by the API, see
        ``_record_client``)."""
        filled: JsonObject = copy.deepcopy(spec) if isinstance(spec, dict) else {}
        account = f"{project}-compute@developer.gserviceaccount.com"
        template = _child(filled, "template")
        if collection == "services":
            template_meta = _child(template, "metadata")
            _child(template_meta, "annotations").setdefault(
                MAX_SCALE_ANNOTATION, _DEFAULT_MAX_SCALE
            )
            pod = _child(template, "spec")
            if not any(
                isinstance(c, dict) and c.get("startupProbe") for c in pod.get("containers") or []
            ):
                _child(template_meta, "labels").setdefault(STARTUP_PROBE_TYPE_LABEL, "Default")
            pod.setdefault("containerConcurrency", 80)
            pod.setdefault("timeoutSeconds", 300)
            pod.setdefault("serviceAccountName", account)
            containers = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
            for container in containers:
                _container_defaults(container)
            if len(containers) == 1 and not containers[0].get("ports"):
                containers[0]["ports"] = [{"name": "http1", "containerPort": 8080}]
            if not filled.get("traffic"):
                filled["traffic"] = [{"percent": 100, "latestRevision": True}]
        else:
            execution = _child(template, "spec")
            execution.setdefault("taskCount", 1)
            task = _child(_child(execution, "template"), "spec")
            task.setdefault("maxRetries", 3)
            task.setdefault("timeoutSeconds", "600")
            task.setdefault("serviceAccountName", account)
            for container in task.get("containers") or []:
                if isinstance(container, dict):
                    _container_defaults(container)
        canonical: JsonObject = _canonical(
            filled, "ServiceSpec" if collection == "services" else "JobSpec"
        )
        return canonical

    def _store(
        self,
        collection: str,
        namespace: str,
        obj: JsonObject,
        previous: _Entry | None,
        *,
        dry_run: bool = False,
        client: Client | None = None,
    ) -> _Entry:
        number = self.project_number(namespace)
        metadata = obj["metadata"]
        name = metadata["name"]
        for key in SERVER_METADATA:
            metadata.pop(key, None)
        labels = metadata.get("labels") or {}
        region = previous.obj["metadata"]["labels"][LOCATION_LABEL] if previous else self.region
        labels.setdefault(LOCATION_LABEL, region)
        desired = self._defaults(collection, obj.get("spec"), number)
        if previous is None:
            generation = 1
            spec_changed = template_changed = True
            uid, created = str(uuid.uuid4()), _now()
        else:
            live = self._defaults(collection, previous.obj.get("spec"), number)
            spec_changed = desired != live
            template_changed = desired.get("template") != live.get("template")
            generation = previous.obj["metadata"]["generation"] + (1 if spec_changed else 0)
            uid = previous.obj["metadata"]["uid"]
            created = previous.obj["metadata"]["creationTimestamp"]
        revision_name = ""
        if collection == "services" and template_changed:
            revision_name = self._revision_name(number, name, desired["template"])
        metadata["namespace"] = namespace
        metadata["generation"] = generation
        metadata["uid"] = uid
        metadata["creationTimestamp"] = created
        metadata["resourceVersion"] = self._next_version()
        metadata["labels"] = labels
        entry = _Entry(
            obj=obj,
            collection=collection,
            project=number,
            creator=previous.creator if previous else self.principal,
            modifier=self.principal,
            operation=str(uuid.uuid4()),
            client=client,
        )
        obj.pop("status", None)
        if dry_run:
            return entry
        # The status keeps describing the previous generation until the rollout settles.
        if previous is not None:
            obj["status"] = copy.deepcopy(previous.obj.get("status", {}))
        else:
            obj["status"] = {"observedGeneration": 0}
            kinds = ("Ready", "ConfigurationsReady", "RoutesReady")
            _set_conditions(
                obj["status"],
                [
                    (kind, "Unknown", "Deploying", f"Deploying {collection[:-1]} {name}.")
                    for kind in (kinds if collection == "services" else kinds[:1])
                ],
            )
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
            if revision_name:
                self._cut_revision(entry, revision_name, desired["template"])
        self._objects[(collection, number, name)] = entry
        if entry.settled is False and entry.polls_left <= 0 and self.ready_latency <= 0:
            self._settle(entry, entry.outcome)
        return entry

    def _revision_name(self, project: str, service: str, template: JsonObject) -> str:
        existing = {r.name for r in self._revisions.get((project, service), [])}
        wanted = (template.get("metadata") or {}).get("name")
        if wanted:
            wanted = str(wanted)
            if not wanted.startswith(f"{service}-"):
                raise _invalid(
                    (
                        "spec.template.metadata.name",
                        f"Revision name {wanted!r} must start with the service name and a "
                        f"hyphen ({service}-).",
                    )
                )
            if wanted in existing:
                raise _ApiError(
                    409,
                    f"Revision named '{wanted}' with different configuration already exists.",
                    status_name="ALREADY_EXISTS",
                )
            return wanted
        while True:
            candidate = f"{service}-{len(existing) + 1:05d}-{_suffix(3)}"
            if candidate not in existing:
                return candidate

    def _cut_revision(self, entry: _Entry, name: str, template: JsonObject) -> None:
        metadata = entry.obj["metadata"]
        template = copy.deepcopy(template)
        _record_client(_child(template, "metadata"), entry.client)
        revision = _Revision(
            name=name,
            service=metadata["name"],
            project=entry.project,
            region=metadata["labels"][LOCATION_LABEL],
            configuration_generation=metadata["generation"],
            template=copy.deepcopy(template),
            uid=str(uuid.uuid4()),
            created=_now(),
            resource_version=self._next_version(),
            status={"observedGeneration": 1},
        )
        _set_conditions(
            revision.status, [("Ready", "Unknown", "Deploying", f"Deploying revision {name}.")]
        )
        self._revisions.setdefault((entry.project, revision.service), []).append(revision)
        entry.obj["status"]["latestCreatedRevisionName"] = name

    def _next_outcome(self, name: str) -> Outcome:
        queue = self._outcomes.get(name)
        if queue:
            return queue.pop(0)
        return Outcome(polls=self.ready_after)

    def _poll(self, collection: str, namespace: str, name: str) -> _Entry:
        entry = self._objects.get((collection, self.project_number(namespace), name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        if not entry.settled:
            entry.polls_left -= 1
            if entry.polls_left <= 0 and time.monotonic() >= entry.ready_at:
                self._settle(entry, entry.outcome)
        return entry

    def _served(self, entry: _Entry) -> JsonObject:
        """What a GET answers: the stored object with the server's fields and defaults."""
        obj = copy.deepcopy(entry.obj)
        if entry.collection == "executions":
            return obj
        metadata = obj["metadata"]
        name = metadata["name"]
        metadata["namespace"] = entry.project
        metadata["selfLink"] = _self_link(entry.collection, entry.project, name)
        annotations = dict(metadata.get("annotations") or {})
        prefix = "serving.knative.dev" if entry.collection == "services" else "run.googleapis.com"
        annotations[f"{prefix}/creator"] = entry.creator
        annotations[f"{prefix}/lastModifier"] = entry.modifier
        annotations[OPERATION_ID_ANNOTATION] = entry.operation
        if entry.collection == "services":
            annotations[INGRESS_STATUS_ANNOTATION] = annotations.get(INGRESS_ANNOTATION, "all")
        metadata["annotations"] = annotations
        obj["spec"] = self._defaults(entry.collection, obj.get("spec"), entry.project)
        _record_client(metadata, entry.client)
        _record_client(_child(obj["spec"]["template"], "metadata"), entry.client)
        return obj

    def _settle(self, entry: _Entry, outcome: Outcome) -> None:
        entry.settled = True
        obj = entry.obj
        if entry.collection == "executions":
            self._settle_execution(entry, outcome)
            return
        status = obj.setdefault("status", {})
        status["observedGeneration"] = obj["metadata"]["generation"]
        name = obj["metadata"]["name"]
        if entry.collection == "jobs":
            if outcome.ready:
                _set_conditions(status, [("Ready", "True", "", "")])
            else:
                message = outcome.message or f"Job {name} is not ready."
                _set_conditions(
                    status, [("Ready", "False", outcome.reason or "ContainerMissing", message)]
                )
            status.setdefault("executionCount", 0)
            return
        latest = str(status.get("latestCreatedRevisionName", ""))
        revision = self._find_revision(entry.project, latest)
        if outcome.ready:
            ready = ("Ready", "True", "", "")
            status["latestReadyRevisionName"] = latest
            if revision is not None:
                _set_conditions(revision.status, [ready])
                revision.status["imageDigest"] = _image_digest(revision.template)
            spec = self._defaults("services", obj.get("spec"), entry.project)
            status["traffic"] = _traffic(spec.get("traffic") or [], latest)
            region = obj["metadata"]["labels"][LOCATION_LABEL]
            url = f"https://{name}-{entry.project}.{region}.run.app"
            status["url"] = url
            status["address"] = {"url": url}
        else:
            message = outcome.message or (
                f"Revision '{latest}' is not ready and cannot serve traffic."
            )
            ready = ("Ready", "False", outcome.reason or "RevisionFailed", message)
            if revision is not None:
                _set_conditions(revision.status, [ready])
        serving = status.get("latestReadyRevisionName")
        routes = (
            ("RoutesReady", "True", "", "")
            if serving
            else (
                "RoutesReady",
                "False",
                "RevisionMissing",
                f"Configuration '{name}' does not have any ready Revision.",
            )
        )
        _set_conditions(status, [ready, ("ConfigurationsReady", *ready[1:]), routes])

    # ---- revisions -------------------------------------------------------------------------

    def _find_revision(self, project: str, name: str) -> _Revision | None:
        for (number, _), found in self._revisions.items():
            if number != project:
                continue
            for revision in found:
                if revision.name == name:
                    return revision
        return None

    def _revision_object(self, revision: _Revision) -> JsonObject:
        template_meta = revision.template.get("metadata") or {}
        labels = dict(template_meta.get("labels") or {})
        labels.update(
            {
                "serving.knative.dev/service": revision.service,
                "serving.knative.dev/configuration": revision.service,
                "serving.knative.dev/configurationGeneration": str(
                    revision.configuration_generation
                ),
                LOCATION_LABEL: revision.region,
            }
        )
        metadata: JsonObject = {
            "name": revision.name,
            "namespace": revision.project,
            "selfLink": _self_link("revisions", revision.project, revision.name),
            "uid": revision.uid,
            "resourceVersion": revision.resource_version,
            "generation": 1,
            "creationTimestamp": revision.created,
            "labels": labels,
        }
        annotations = dict(template_meta.get("annotations") or {})
        if annotations:
            metadata["annotations"] = annotations
        return {
            "apiVersion": SERVICE_API,
            "kind": "Revision",
            "metadata": metadata,
            "spec": copy.deepcopy(revision.template.get("spec") or {}),
            "status": copy.deepcopy(revision.status),
        }

    def _get_revision(self, namespace: str, name: str) -> JsonObject:
        revision = self._find_revision(self.project_number(namespace), name)
        if revision is None:
            raise self._not_found("revisions", namespace, name)
        return self._revision_object(revision)

    def _list_revisions(self, namespace: str, selector: str) -> JsonObject:
        number = self.project_number(namespace)
        wanted = _selector(selector)
        items = []
        for (project, _), found in self._revisions.items():
            if project != number:
                continue
            for revision in found:
                item = self._revision_object(revision)
                if _selected(item, wanted):
                    items.append(item)
        items.sort(key=lambda item: str(item["metadata"]["name"]))
        return {
            "apiVersion": SERVICE_API,
            "kind": "RevisionList",
            "metadata": {"selfLink": _self_link("revisions", number, None)},
            "items": items,
        }

    # ---- executions ------------------------------------------------------------------------

    def _run_job(self, namespace: str, name: str) -> JsonObject:
        number = self.project_number(namespace)
        entry = self._objects.get(("jobs", number, name))
        if entry is None:
            raise self._not_found("jobs", namespace, name)
        if not entry.settled or _ready_status(entry.obj) != "True":
            raise _ApiError(
                400, f"Job '{name}' is not ready to be executed.", status_name="FAILED_PRECONDITION"
            )
        job = entry.obj
        execution_name = f"{name}-{_suffix(5)}"
        template = self._defaults("jobs", job.get("spec"), number)["template"]
        template_meta = template.get("metadata") or {}
        created = _now()
        labels = dict(template_meta.get("labels") or {})
        labels.update({JOB_LABEL: name, LOCATION_LABEL: job["metadata"]["labels"][LOCATION_LABEL]})
        metadata: JsonObject = {
            "name": execution_name,
            "namespace": number,
            "selfLink": _self_link("executions", number, execution_name),
            "uid": str(uuid.uuid4()),
            "resourceVersion": self._next_version(),
            "generation": 1,
            "creationTimestamp": created,
            "labels": labels,
            "ownerReferences": [
                {
                    "kind": "Job",
                    "name": name,
                    "uid": job["metadata"]["uid"],
                    "apiVersion": JOB_API,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        }
        if template_meta.get("annotations"):
            metadata["annotations"] = dict(template_meta["annotations"])
        status: JsonObject = {"observedGeneration": 1, "startTime": created}
        _set_conditions(
            status, [("Completed", "Unknown", "Running", f"Execution {execution_name} is running.")]
        )
        execution = {
            "apiVersion": JOB_API,
            "kind": "Execution",
            "metadata": metadata,
            "spec": template.get("spec", {}),
            "status": status,
        }
        outcome = self._next_outcome(name)
        exec_entry = _Entry(
            obj=execution,
            polls_left=outcome.polls,
            ready_at=time.monotonic() + self.ready_latency,
            outcome=outcome,
            settled=False,
            collection="executions",
            project=number,
        )
        self._objects[("executions", number, execution_name)] = exec_entry
        job_status = job.setdefault("status", {})
        job_status["executionCount"] = int(job_status.get("executionCount", 0)) + 1
        job_status["latestCreatedExecution"] = {
            "name": execution_name,
            "creationTimestamp": created,
            "completionStatus": "EXECUTION_RUNNING",
        }
        return copy.deepcopy(execution)

    def _settle_execution(self, entry: _Entry, outcome: Outcome) -> None:
        execution = entry.obj
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
            completed = ("Completed", "False", outcome.reason or "NonZeroExitCode", message)
        else:
            completed = ("Completed", "True", "", "")
        _set_conditions(status, [completed])
        job_name = execution["metadata"]["labels"].get(JOB_LABEL, "")
        job = self._objects.get(("jobs", entry.project, job_name))
        latest = job.obj.get("status", {}).get("latestCreatedExecution") if job else None
        if isinstance(latest, dict) and latest.get("name") == execution["metadata"]["name"]:
            latest["completionTimestamp"] = status["completionTime"]
            latest["completionStatus"] = "EXECUTION_FAILED" if failed else "EXECUTION_SUCCEEDED"

    def _list_executions(self, namespace: str, selector: str) -> JsonObject:
        number = self.project_number(namespace)
        wanted = _selector(selector)
        items = []
        for (collection, project, _), entry in self._objects.items():
            if collection != "executions" or project != number:
                continue
            if _selected(entry.obj, wanted):
                items.append(copy.deepcopy(entry.obj))
        return {
            "apiVersion": JOB_API,
            "kind": "ExecutionsList",
            "metadata": {"selfLink": _self_link("executions", number, None)},
            "items": items,
        }


# What an endless answer repeats: valid JSON so far, so a client only notices by its size.
_ENDLESS_CHUNK = b'"' + b"x" * 65_534 + b'",'


def _make_handler(fake: FakeCloudRun) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeCloudRun/1"

        def _serve(self) -> None:
            received = time.monotonic()
            fake._arrive(self.command, self.path, received)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if fake.latency:
                time.sleep(fake.latency)
            try:
                status, payload, sent = fake.handle(
                    self.command, self.path, headers, body, received=received
                )
            except _Drop:
                self._hang_up()
                return
            except _Hang:
                fake._stopping.wait()
                self._hang_up()
                return
            except _Endless:
                self._answer_forever()
                return
            self.send_response(status)
            for key, value in sent.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _answer_forever(self) -> None:
            self.send_response(200)
            for key, value in _JSON_HEADERS.items():
                self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.close_connection = True
            # A client that stops reading must not hold this thread past the fake's stop.
            self.connection.settimeout(0.2)
            with contextlib.suppress(ConnectionError):
                self._chunk(b'{"items": [')
                while not fake._stopping.is_set():
                    with contextlib.suppress(TimeoutError):
                        self._chunk(_ENDLESS_CHUNK)
            self._hang_up()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_PATCH = _serve
        do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the fake keeps its own request log."""

    return Handler


def _project_number_option(value: str) -> tuple[str, str]:
    project, sep, number = value.partition("=")
    if not sep or not project or not number.isdigit():
        raise argparse.ArgumentTypeError(f"expected PROJECT_ID=NUMBER, got {value!r}")
    return project, number


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
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"region of the objects (default {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--require-auth",
        action="store_true",
        help="answer 401 to requests without an Authorization: Bearer token",
    )
    parser.add_argument(
        "--project-number",
        action="append",
        type=_project_number_option,
        default=[],
        metavar="PROJECT_ID=NUMBER",
        help="the number answered for a project id (default: a stable number derived from it)",
    )
    args = parser.parse_args(argv)
    fake = FakeCloudRun(
        port=args.port,
        ready_after=args.ready_after,
        ready_latency=args.ready_latency,
        latency=args.latency,
        require_auth=args.require_auth,
        project_numbers=dict(args.project_number),
        region=args.region,
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
