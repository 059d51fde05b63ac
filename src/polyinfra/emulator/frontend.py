"""The emulator's front end, which every request goes through: from the method, raw path,
headers and body to the status, bytes and headers sent. A request is checked for auth, meets
the scripted faults, is routed to its resource operation, has its answer encoded the way
Google's front ends encode it (error bodies, gzip, ``prettyPrint``), and is recorded, as is
its arrival."""

from __future__ import annotations

import copy
import sys
import threading
import traceback
from urllib.parse import parse_qs, urlsplit

from polyinfra.emulator.auth import TokenCheck
from polyinfra.emulator.faults import Faults
from polyinfra.emulator.resources import Resources
from polyinfra.emulator.script import Arrival, Client, RecordedRequest
from polyinfra.emulator.state import Settings
from polyinfra.emulator.wire import (
    JsonObject,
    _ApiError,
    _Drop,
    _encode,
    _Endless,
    _error,
    _Hang,
    _parse_body,
    _route,
)


class Frontend:
    """Answers requests and keeps the log of what arrived and what was answered."""

    def __init__(
        self,
        settings: Settings,
        lock: threading.RLock,
        auth: TokenCheck,
        faults: Faults,
        resources: Resources,
    ) -> None:
        self._settings = settings
        self._lock = lock
        self._auth = auth
        self._faults = faults
        self._resources = resources
        self._requests: list[RecordedRequest] = []
        self._arrivals: list[Arrival] = []

    def requests(self) -> list[RecordedRequest]:
        """Every request answered (or dropped), in the order the answers were made."""
        with self._lock:
            return list(self._requests)

    def arrivals(self) -> list[Arrival]:
        """Every request received so far, in order of arrival."""
        with self._lock:
            return list(self._arrivals)

    def arrive(self, method: str, path: str, received: float) -> None:
        """Record that a request arrived (called by the HTTP handler)."""
        with self._lock:
            self._arrivals.append(Arrival(method, path, received))

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
                self._auth.check(headers, query, route, required=self._settings.require_auth)
                lost = self._faults.intercept(method, split.path)
                if route is None:
                    raise _ApiError(
                        404, f"The requested URL {split.path} was not found on this server."
                    )
                if bad_body is not None:
                    raise bad_body
                client = Client.from_user_agent(headers.get("user-agent", ""))
                with self._lock:
                    status, answer = self._resources.dispatch(route, query, parsed, client)
                if lost is not None:
                    raise _Drop
            except _ApiError as exc:
                status, answer, extra = exc.status, exc.body(), exc.headers
            except _Endless:
                status = 200
                raise
            except (_Drop, _Hang):
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
