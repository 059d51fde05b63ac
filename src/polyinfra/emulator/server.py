"""An in-process fake of the Cloud Run Admin API v1 (services, revisions, jobs, executions) on
127.0.0.1; ``python -m polyinfra.emulator`` runs it as a standalone local emulator.

It answers the way Google's front ends do where a client can tell the difference: bodies are
gzip-compressed when the request accepts it, every error has Google's body (``{"error": {"code",
"message", "status", "details"}}``) with a canonical status name, a bearer token can be required
and individual tokens rejected, and objects come back with the fields the server owns (uid,
generation, an opaque ``resourceVersion``, ``selfLink``, ``metadata.namespace`` as the project
number, the defaults the server fills in, annotations, status with URLs) and their revisions.

This module holds :class:`FakeCloudRun`, which starts and stops the server, takes a test's
script (faults, outcomes, rejected tokens) and answers what it holds and what it was asked, and
the standalone command. The work is done by its parts: :mod:`.frontend` and :mod:`.handler`
(requests), :mod:`.auth`, :mod:`.faults`, :mod:`.resources`, :mod:`.revisions`,
:mod:`.executions`, :mod:`.rollout`, :mod:`.served` and :mod:`.state`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from http.server import ThreadingHTTPServer
from types import TracebackType

from polyinfra.emulator.auth import TokenCheck
from polyinfra.emulator.executions import Executions
from polyinfra.emulator.faults import Faults
from polyinfra.emulator.frontend import Frontend
from polyinfra.emulator.handler import make_handler
from polyinfra.emulator.objects import derived_project_number
from polyinfra.emulator.resources import Resources
from polyinfra.emulator.revisions import Revisions
from polyinfra.emulator.rollout import Rollouts
from polyinfra.emulator.script import Arrival, Fault, Outcome, RecordedRequest
from polyinfra.emulator.served import served
from polyinfra.emulator.state import Objects, Versions
from polyinfra.emulator.wire import JsonObject, _Server

DEFAULT_REGION = "europe-west1"


DEFAULT_PRINCIPAL = "deployer@example.com"


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

    These settings may be changed while the fake runs; its parts read them as each request is
    answered.
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
        # One lock for everything the fake holds: a request is carried out as a whole.
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._objects: Objects = {}
        self._versions = Versions()
        self._revisions = Revisions(self._versions)
        self._rollouts = Rollouts(self, self._objects, self._revisions)
        executions = Executions(self, self._objects, self._versions, self._rollouts)
        resources = Resources(
            self, self._objects, self._versions, self._revisions, self._rollouts, executions
        )
        self._faults = Faults(self._lock, self._stopping)
        self._auth = TokenCheck(self._lock)
        self._frontend = Frontend(self, self._lock, self._auth, self._faults, resources)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeCloudRun:
        """Start serving on 127.0.0.1 in a background thread."""
        handler = make_handler(self._frontend, self, self._stopping)
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
        self._faults.add(fault)

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
        self._auth.reject(token)

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
            self._rollouts.script(name, outcome)

    def touch(self, collection: str, namespace: str, name: str) -> None:
        """Simulate someone else changing an object: its resourceVersion moves on."""
        with self._lock:
            entry = self._objects[(collection, self.project_number(namespace), name)]
            entry.obj["metadata"]["resourceVersion"] = self._versions.next()
            entry.operation = str(uuid.uuid4())

    # ---- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered (or dropped), in the order the answers were made."""
        return self._frontend.requests()

    def arrivals(self) -> list[Arrival]:
        """Every request received so far, in order of arrival, including the ones still being
        answered (delayed, hanging, endless) that :attr:`requests` does not list yet."""
        return self._frontend.arrivals()

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
            return served(entry) if entry else None

    def objects(self, collection: str) -> list[JsonObject]:
        """Every stored object of ``collection``, as :meth:`get_object` returns them."""
        with self._lock:
            return [
                copy.deepcopy(e.obj) for (c, _, _), e in self._objects.items() if c == collection
            ]

    def revisions(self, namespace: str, name: str) -> list[str]:
        """Revision names created for service ``name``, oldest first."""
        with self._lock:
            return self._revisions.names(self.project_number(namespace), name)

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
        """Answer one request: see :meth:`polyinfra.emulator.frontend.Frontend.handle`."""
        return self._frontend.handle(method, raw_path, headers, body, received=received)


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
