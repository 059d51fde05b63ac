"""HTTP transport for the discovery client that sends each request exactly once (httplib2
re-sends even a POST after a dropped connection; a deploy must decide that itself)."""

from __future__ import annotations

import http.client
import logging
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

import httplib2

log = logging.getLogger("polyinfra.deploy.http")

_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-goog-iam-authorization-token"}
)


class Credentials(Protocol):
    """What we need of ``google.auth.credentials.Credentials``."""

    def before_request(
        self, request: Any, method: str, url: str, headers: dict[str, str]
    ) -> None: ...


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers safe to log: credentials replaced by ``<redacted>``."""
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


class Transport:
    """An ``httplib2.Http`` look-alike (the ``request`` method) over ``http.client``.

    One kept-alive connection per thread and host. Credentials, when given, add their
    ``Authorization`` header; without them requests go out unauthenticated (emulators).
    """

    def __init__(self, credentials: Credentials | None = None, *, timeout: float = 60.0) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._local = threading.local()
        # Every connection made, whichever thread made it, so close() can close them all.
        self._opened: list[http.client.HTTPConnection] = []
        self._opened_lock = threading.Lock()
        self._auth_request: Any = None
        if credentials is not None:
            import google.auth.transport.requests

            self._auth_request = google.auth.transport.requests.Request()

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "pool", None
        )
        if pool is None:
            pool = {}
            self._local.pool = pool
        conn = pool.get((scheme, netloc))
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(netloc, timeout=self._timeout)
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self._timeout)
            pool[(scheme, netloc)] = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def _forget(self, scheme: str, netloc: str) -> None:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = getattr(self._local, "pool", {})
        conn = pool.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        """Send one request; connection errors propagate (never re-sent here)."""
        sent_headers = dict(headers or {})
        if self._credentials is not None:
            self._credentials.before_request(self._auth_request, method, uri, sent_headers)
        parts = urlsplit(uri)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if log.isEnabledFor(logging.DEBUG):
            log.debug("→ %s %s headers=%s", method, uri, redact_headers(sent_headers))
        conn = self._connection(parts.scheme, parts.netloc)
        try:
            conn.request(method, target, body=body, headers=sent_headers)
            answer = conn.getresponse()
            content = answer.read()
        except BaseException:
            self._forget(parts.scheme, parts.netloc)
            raise
        if answer.will_close:
            self._forget(parts.scheme, parts.netloc)
        response = httplib2.Response(answer)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("← %s %s %s", answer.status, method, uri)
        return response, content

    def close(self) -> None:
        """Close every connection this transport opened, in any thread."""
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
