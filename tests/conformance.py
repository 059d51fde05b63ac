"""Schema conformance of the emulator's exchanges, judged by the Cloud Run Admin API v1 discovery
document (``polyinfra.cloudrun.discovery.document()``).

:func:`check_exchange` takes one :class:`~polyinfra.emulator.RecordedRequest` and returns
readable problems (none when the exchange conforms): the discovery method the HTTP method and
path name, the query parameters it declares, the request body against ``request.$ref``, a 2xx
answer against ``response.$ref`` and an error answer against Google's error body.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.discovery import document
from polyinfra.emulator import RecordedRequest

#: google.rpc.Code names and the HTTP status each is answered with (google/rpc/code.proto).
CANONICAL_STATUSES = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}

#: Fields of the google.rpc error details checked here (google/rpc/error_details.proto).
_DETAIL_FIELDS = {
    "google.rpc.ErrorInfo": {"reason", "domain", "metadata"},
    "google.rpc.BadRequest": {"fieldViolations"},
    "google.rpc.Help": {"links"},
    "google.rpc.RetryInfo": {"retryDelay"},
    "google.rpc.LocalizedMessage": {"locale", "message"},
}
_FIELD_VIOLATION_FIELDS = {"field", "description", "reason", "localizedMessage"}
_TYPE_URL = "type.googleapis.com/"
_INTEGER_TEXT = re.compile(r"^-?\d+$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)


@dataclass(frozen=True)
class Method:
    """One method of the discovery document, as far as an exchange is checked against it."""

    id: str
    http_method: str
    flat_path: str
    pattern: re.Pattern[str]
    query: Mapping[str, Mapping[str, Any]]
    request: str | None
    response: str | None


def _path_pattern(flat_path: str) -> re.Pattern[str]:
    """``apis/x/v1/namespaces/{namespacesId}/jobs/{jobsId}:run`` as a regular expression; a
    path parameter is one segment and never holds the ``:verb``."""
    parts = re.split(r"\{[^}]+\}", flat_path)
    return re.compile("[^/:]+".join(re.escape(part) for part in parts))


def _walk(resources: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _walk(resource.get("resources", {}))


@functools.cache
def methods() -> tuple[Method, ...]:
    """Every method of the discovery document."""
    found = []
    for raw in _walk(document().get("resources", {})):
        parameters = raw.get("parameters", {})
        found.append(
            Method(
                id=str(raw["id"]),
                http_method=str(raw["httpMethod"]),
                flat_path=str(raw["flatPath"]),
                pattern=_path_pattern(str(raw["flatPath"])),
                query={k: v for k, v in parameters.items() if v.get("location") == "query"},
                request=raw.get("request", {}).get("$ref"),
                response=raw.get("response", {}).get("$ref"),
            )
        )
    return tuple(found)


def find_method(http_method: str, path: str) -> Method | None:
    """The method whose ``httpMethod`` and ``flatPath`` match, or None."""
    for method in methods():
        if method.http_method == http_method and method.pattern.fullmatch(path.lstrip("/")):
            return method
    return None


def global_parameters() -> Mapping[str, Mapping[str, Any]]:
    """The query parameters every method takes (``alt``, ``fields``, ``prettyPrint``, ...)."""
    parameters: Mapping[str, Mapping[str, Any]] = document().get("parameters", {})
    return parameters


def check_query(method: Method, query: Mapping[str, str]) -> list[str]:
    """Every parameter is declared for ``method`` (or globally) and its value fits its type."""
    declared = {**global_parameters(), **method.query}
    problems = []
    for name, value in query.items():
        spec = declared.get(name)
        if spec is None:
            problems.append(f"query parameter {name!r} is not declared for {method.id}")
            continue
        kind = spec.get("type")
        if kind == "boolean" and value not in ("true", "false"):
            problems.append(f"query parameter {name!r}: {value!r} is not a boolean")
        elif kind == "integer" and not _INTEGER_TEXT.match(value):
            problems.append(f"query parameter {name!r}: {value!r} is not an integer")
        elif "enum" in spec and value not in spec["enum"]:
            problems.append(f"query parameter {name!r}: {value!r} is not one of {spec['enum']}")
    for name, spec in method.query.items():
        if spec.get("required") and name not in query:
            problems.append(f"query parameter {name!r} is required by {method.id}")
    return problems


def check_value(
    value: Any, spec: Mapping[str, Any], where: str, *, parsing: bool = False
) -> list[str]:
    """Problems of ``value`` against a discovery type (a schema, a property or ``$ref``).

    Answers must use the JSON form of each type: an int64 is a string, an int32 a number.
    With ``parsing`` (a request body) an integer may also come in the other form, which the
    proto3 JSON mapping accepts on input.
    """
    ref = spec.get("$ref")
    if ref is not None:
        schema = document()["schemas"].get(ref)
        if schema is None:
            return [f"{where}: the discovery document has no schema {ref!r}"]
        return _check_object(value, schema, where, ref, parsing)
    kind = spec.get("type")
    if kind in (None, "any"):
        return []
    if kind == "object":
        return _check_object(value, spec, where, "", parsing)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {_json_type(value)}"]
        items = spec.get("items", {})
        return [
            p
            for i, item in enumerate(value)
            for p in check_value(item, items, f"{where}[{i}]", parsing=parsing)
        ]
    if kind == "string":
        if parsing and spec.get("format") in ("int64", "uint64") and _is_int(value):
            return []
        return _check_string(value, spec, where)
    if kind == "integer":
        if parsing and isinstance(value, str) and _INTEGER_TEXT.match(value):
            value = int(value)
        if not _is_int(value):
            return [f"{where}: expected an integer ({spec.get('format', 'int')}), got {value!r}"]
        low, high = _UINT32 if spec.get("format") == "uint32" else _INT32
        if not low <= value <= high:
            return [f"{where}: {value} is out of range for {spec.get('format', 'int32')}"]
        return []
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{where}: expected a number, got {value!r}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    return [f"{where}: the discovery document's type {kind!r} is not understood"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_string(value: Any, spec: Mapping[str, Any], where: str) -> list[str]:
    fmt = spec.get("format")
    if not isinstance(value, str):
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return [f"{where}: {fmt} is a JSON string in discovery, got the number {value}"]
        return [f"{where}: expected a string, got {_json_type(value)} {value!r}"]
    if fmt in ("int64", "uint64") and not _INTEGER_TEXT.match(value):
        return [f"{where}: {value!r} is not an {fmt} (a string of digits)"]
    if fmt == "google-datetime" and not _RFC3339.match(value):
        return [f"{where}: {value!r} is not an RFC 3339 timestamp"]
    if "enum" in spec and value not in spec["enum"]:
        return [f"{where}: {value!r} is not one of {list(spec['enum'])}"]
    return []


def _check_object(
    value: Any, spec: Mapping[str, Any], where: str, schema: str, parsing: bool
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: expected an object{f' ({schema})' if schema else ''}, got {value!r}"]
    properties: Mapping[str, Any] | None = spec.get("properties")
    values: Mapping[str, Any] | None = spec.get("additionalProperties")
    if properties is None and values is None:
        return []
    problems = []
    for key, item in value.items():
        here = f"{where}.{key}"
        if properties is not None and key in properties:
            problems.extend(check_value(item, properties[key], here, parsing=parsing))
        elif values is not None:
            problems.extend(check_value(item, values, f"{where}[{key!r}]", parsing=parsing))
        else:
            problems.append(f"{here}: unknown field ({schema or 'the object'} has no {key!r})")
    return problems


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def check_error_body(status: int, body: Any) -> list[str]:
    """Google's error body: ``{"error": {"code", "message", "status", "details"?}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return [f'error answer: expected {{"error": {{...}}}}, got {body!r}']
    problems = [f"error answer: unexpected key {key!r}" for key in body if key != "error"]
    error: Mapping[str, Any] = body["error"]
    for key in error:
        if key not in ("code", "message", "status", "details"):
            problems.append(f"error.{key}: unknown field")
    code = error.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        problems.append(f"error.code: expected an integer, got {code!r}")
    elif code != status:
        problems.append(f"error.code: {code} differs from the HTTP status {status}")
    if not isinstance(error.get("message"), str) or not error.get("message"):
        problems.append(f"error.message: expected a non-empty string, got {error.get('message')!r}")
    name = error.get("status")
    if name not in CANONICAL_STATUSES:
        problems.append(f"error.status: {name!r} is not a canonical status name")
    elif CANONICAL_STATUSES[str(name)] != status:
        problems.append(
            f"error.status: {name} is answered with HTTP {CANONICAL_STATUSES[str(name)]}, "
            f"not {status}"
        )
    if "details" in error:
        problems.extend(_check_details(error["details"]))
    return problems


def _check_details(details: Any) -> list[str]:
    if not isinstance(details, list):
        return [f"error.details: expected an array, got {details!r}"]
    problems = []
    for index, detail in enumerate(details):
        where = f"error.details[{index}]"
        if not isinstance(detail, dict):
            problems.append(f"{where}: expected an object, got {detail!r}")
            continue
        type_url = detail.get("@type")
        if not isinstance(type_url, str) or not type_url.startswith(_TYPE_URL):
            problems.append(f"{where}.@type: expected 'type.googleapis.com/...', got {type_url!r}")
            continue
        kind = type_url.removeprefix(_TYPE_URL)
        fields = _DETAIL_FIELDS.get(kind)
        if fields is None:
            continue
        problems.extend(
            f"{where}.{key}: not a field of {kind}"
            for key in detail
            if key != "@type" and key not in fields
        )
        if kind == "google.rpc.ErrorInfo":
            for key in ("reason", "domain"):
                if not isinstance(detail.get(key), str) or not detail.get(key):
                    problems.append(f"{where}.{key}: expected a non-empty string")
            metadata = detail.get("metadata", {})
            if not isinstance(metadata, dict) or not all(
                isinstance(v, str) for v in metadata.values()
            ):
                problems.append(f"{where}.metadata: expected a map of strings, got {metadata!r}")
        elif kind == "google.rpc.BadRequest":
            problems.extend(_check_violations(detail.get("fieldViolations"), where))
    return problems


def _check_violations(violations: Any, where: str) -> list[str]:
    if not isinstance(violations, list) or not violations:
        return [f"{where}.fieldViolations: expected a non-empty array, got {violations!r}"]
    problems = []
    for index, violation in enumerate(violations):
        here = f"{where}.fieldViolations[{index}]"
        if not isinstance(violation, dict):
            problems.append(f"{here}: expected an object, got {violation!r}")
            continue
        problems.extend(
            f"{here}.{key}: not a field of a FieldViolation"
            for key in violation
            if key not in _FIELD_VIOLATION_FIELDS
        )
        problems.extend(
            f"{here}.{key}: expected a string"
            for key in ("field", "description")
            if not isinstance(violation.get(key, ""), str)
        )
        if not violation.get("description"):
            problems.append(f"{here}.description: expected a non-empty string")
    return problems


def _accepts_gzip(accept_encoding: str) -> bool:
    codings = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        weight = params.strip().removeprefix("q=").strip() if params.strip() else "1"
        codings[coding.strip().lower()] = weight not in ("0", "0.0", "0.00", "0.000")
    return codings.get("gzip", codings.get("x-gzip", codings.get("*", False)))


def check_headers(recorded: RecordedRequest) -> list[str]:
    """The answer's headers: JSON, gzip exactly when accepted, a bearer challenge with a 401."""
    sent = {k.lower(): v for k, v in recorded.response_headers.items()}
    if not sent:
        return ["the answer's headers were not recorded"]
    problems = []
    if not sent.get("content-type", "").startswith("application/json"):
        problems.append(
            f"Content-Type: expected application/json, got {sent.get('content-type')!r}"
        )
    accepted = _accepts_gzip(recorded.headers.get("accept-encoding", ""))
    encoding = sent.get("content-encoding", "identity")
    if accepted and encoding != "gzip":
        problems.append("Content-Encoding: the request accepted gzip, the answer is not gzip")
    if not accepted and encoding != "identity":
        problems.append(f"Content-Encoding: {encoding} although the request did not accept it")
    if recorded.status == 401 and not sent.get("www-authenticate", "").startswith("Bearer "):
        problems.append("WWW-Authenticate: a 401 answer carries a Bearer challenge")
    return problems


def check_exchange(recorded: RecordedRequest) -> list[str]:
    """Problems of one exchange against the discovery document (empty when it conforms)."""
    method = find_method(recorded.method, recorded.path)
    if method is None:
        return [f"no method of the discovery document answers {recorded.method} {recorded.path}"]
    problems = check_query(method, recorded.query)
    if method.request is not None:
        if recorded.body is None:
            problems.append(f"request: {method.id} takes a {method.request} body, none was sent")
        else:
            problems.extend(
                check_value(recorded.body, {"$ref": method.request}, "request", parsing=True)
            )
    elif recorded.body is not None:
        problems.append(f"request: {method.id} takes no body, one was sent")
    if recorded.status == 0:
        return problems
    problems.extend(check_headers(recorded))
    if 200 <= recorded.status < 300:
        if recorded.response is None:
            problems.append("response: a 2xx answer without a JSON body")
        elif method.response is not None:
            problems.extend(check_value(recorded.response, {"$ref": method.response}, "response"))
    elif recorded.status >= 400:
        problems.extend(check_error_body(recorded.status, recorded.response))
    else:
        problems.append(f"response: unexpected HTTP status {recorded.status}")
    return problems


def check_exchanges(records: Iterable[RecordedRequest]) -> list[str]:
    """:func:`check_exchange` for each record, each problem prefixed by the exchange."""
    return [
        f"{r.method} {r.path} -> {r.status}: {problem}"
        for r in records
        for problem in check_exchange(r)
    ]
