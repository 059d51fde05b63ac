"""Google's wire format as the emulator speaks it: URL routes and the discovery method each
is, error bodies with canonical status names and details, gzip, the HTTP server."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import sys
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any, NamedTuple

from polyinfra.cloudrun.vocabulary import (
    JOB_API,
    JOB_GROUP,
    SERVICE_API,
    SERVICE_GROUP,
)

JsonObject = dict[str, Any]


_PATH = re.compile(
    rf"^/apis/(?P<group>{re.escape(SERVICE_GROUP)}|{re.escape(JOB_GROUP)})/v1/namespaces/"
    r"(?P<namespace>[^/]+)/(?P<collection>services|revisions|jobs|executions)"
    r"(?:/(?P<name>[^/:]+)(?P<verb>:run|:cancel)?)?$"
)


_COLLECTIONS = {
    "services": (SERVICE_GROUP, SERVICE_API, "Service"),
    "revisions": (SERVICE_GROUP, SERVICE_API, "Revision"),
    "jobs": (JOB_GROUP, JOB_API, "Job"),
    "executions": (JOB_GROUP, JOB_API, "Execution"),
}


# (collection, HTTP method, names one object, verb) -> the method's id in the discovery document.
_METHODS = {
    ("services", "POST", False, ""): "run.namespaces.services.create",
    ("services", "GET", False, ""): "run.namespaces.services.list",
    ("services", "GET", True, ""): "run.namespaces.services.get",
    ("services", "PUT", True, ""): "run.namespaces.services.replaceService",
    ("services", "DELETE", True, ""): "run.namespaces.services.delete",
    ("revisions", "GET", False, ""): "run.namespaces.revisions.list",
    ("revisions", "GET", True, ""): "run.namespaces.revisions.get",
    ("revisions", "DELETE", True, ""): "run.namespaces.revisions.delete",
    ("jobs", "POST", False, ""): "run.namespaces.jobs.create",
    ("jobs", "GET", False, ""): "run.namespaces.jobs.list",
    ("jobs", "GET", True, ""): "run.namespaces.jobs.get",
    ("jobs", "PUT", True, ""): "run.namespaces.jobs.replaceJob",
    ("jobs", "DELETE", True, ""): "run.namespaces.jobs.delete",
    ("jobs", "POST", True, ":run"): "run.namespaces.jobs.run",
    ("executions", "GET", False, ""): "run.namespaces.executions.list",
    ("executions", "GET", True, ""): "run.namespaces.executions.get",
    ("executions", "DELETE", True, ""): "run.namespaces.executions.delete",
    ("executions", "POST", True, ":cancel"): "run.namespaces.executions.cancel",
}


# Fields a client may not set; the server owns them.
# The canonical status name (google.rpc.Code) an error body carries for each HTTP status. Where
# several codes share a status the answer names its own (a create of an existing object is
# ALREADY_EXISTS, a job that cannot run yet FAILED_PRECONDITION); these are the rest. No code
# maps to 502: a scripted 502 borrows UNAVAILABLE.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


_SEE_DEVCONSOLE = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


CREDENTIALS_MISSING_MESSAGE = (
    f"Request is missing required authentication credential. {_SEE_DEVCONSOLE}"
)


INVALID_CREDENTIALS_MESSAGE = f"Request had invalid authentication credentials. {_SEE_DEVCONSOLE}"


_REALM = 'Bearer realm="https://accounts.google.com/"'


_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


_JSON_HEADERS = {
    "Content-Type": "application/json; charset=UTF-8",
    "Vary": "Origin, X-Origin, Referer",
}


class _Route(NamedTuple):
    collection: str
    namespace: str
    name: str | None
    verb: str
    method_id: str


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        status_name: str = "",
        details: Iterable[JsonObject] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.status_name = status_name
        self.details = list(details)
        self.headers = dict(headers or {})

    def body(self) -> JsonObject:
        return _error(self.status, self.message, self.status_name, self.details)


class _Drop(Exception):
    """Close the connection without answering."""


class _Hang(Exception):
    """Keep the connection open and never answer."""


class _Endless(Exception):
    """Answer 200 with a body that never ends."""


def _bad_request(*violations: tuple[str, str]) -> JsonObject:
    return {
        "@type": _BAD_REQUEST,
        "fieldViolations": [
            {"field": where, "description": what} if where else {"description": what}
            for where, what in violations
        ],
    }


def _invalid(*violations: tuple[str, str]) -> _ApiError:
    message = " ".join(f"{where}: {what}" if where else what for where, what in violations)
    return _ApiError(400, message, details=[_bad_request(*violations)])


def _route(method: str, path: str) -> _Route | None:
    match = _PATH.match(path)
    if match is None:
        return None
    collection = match["collection"]
    if match["group"] != _COLLECTIONS[collection][0]:
        return None
    verb = match["verb"] or ""
    method_id = _METHODS.get((collection, method, match["name"] is not None, verb))
    if method_id is None:
        return None
    return _Route(collection, match["namespace"], match["name"], verb, method_id)


def _parse_body(body: bytes) -> tuple[JsonObject | None, _ApiError | None]:
    if not body:
        return None, None
    try:
        loaded = json.loads(body)
    except ValueError as exc:
        return None, _invalid(("", f"Invalid JSON payload received. {exc}."))
    if not isinstance(loaded, dict):
        return None, _invalid(("", "Invalid JSON payload received. Expected an object."))
    return loaded, None


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110 section 12.5.3)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if not coding:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                with contextlib.suppress(ValueError):
                    weight = float(value)
        weights[coding.lower()] = weight
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0.0) > 0


def _encode(
    answer: JsonObject | None, extra: Mapping[str, str], accept_encoding: str, pretty: str | None
) -> tuple[bytes, dict[str, str]]:
    headers = dict(_JSON_HEADERS)
    headers.update(extra)
    # prettyPrint defaults to true (a global parameter of the discovery document).
    indent = None if (pretty or "").lower() == "false" else 2
    payload = json.dumps(answer, indent=indent).encode()
    if _accepts_gzip(accept_encoding):
        payload = gzip.compress(payload)
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(payload))
    return payload, headers


def _default_message(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _error_info(reason: str, metadata: Mapping[str, str]) -> JsonObject:
    return {
        "@type": _ERROR_INFO,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": dict(metadata),
    }


def _error(
    status: int, message: str, status_name: str = "", details: Iterable[JsonObject] = ()
) -> JsonObject:
    error: JsonObject = {
        "code": status,
        "message": message,
        "status": status_name or _STATUS_NAMES.get(status, "UNKNOWN"),
    }
    listed = list(details)
    if listed:
        error["details"] = listed
    return {"error": error}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a deploy that opens a connection per app at
    # once would see the rest refused and retried by TCP a second later. Google's front ends
    # take them all; so does the fake.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hung up before their answer (a deploy interrupted or timed
        out mid-request); anything else is a bug in the fake and is printed."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
