"""A CloudEvent read from a JSON file (the CloudEvents 1.0 JSON format) and sent to a local
function the way Eventarc delivers one to Cloud Run: an HTTP POST in binary content mode.

Binary mode puts each context attribute in a ``ce-<name>`` header and the event's data, as it
is, in the body, with ``Content-Type`` from ``datacontenttype`` (``application/json`` when
unset); ``data_base64`` is sent as the bytes it encodes. It is what an event function sees on
Cloud Run, and what an HTTP function handling events reads (``request.headers``,
``request.get_json()``). Header values are sent as written, but for the characters a header
cannot carry (outside printable ASCII), which are percent-encoded in UTF-8 as the CloudEvents
HTTP binding says.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio import YamlDocument, load_text, read_text

SPEC_VERSION = "1.0"
REQUIRED = ("specversion", "id", "source", "type")
DEFAULT_CONTENT_TYPE = "application/json"
_NAME = re.compile(r"[a-z0-9]+")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_JSON_TYPE = re.compile(r"^(?:application|text)/(?:[\w.-]+\+)?json(?:\s*;.*)?$", re.I)
_EXAMPLE = (
    'e.g. {"specversion": "1.0", "type": "google.cloud.pubsub.topic.v1.messagePublished", '
    '"source": "//pubsub.googleapis.com/projects/P/topics/T", "id": "1", "data": {...}}'
)


@dataclass(frozen=True)
class CloudEvent:
    """An event to send: its context attributes as header values (data attributes left out),
    the body and its content type."""

    path: Path
    attributes: dict[str, str]
    body: bytes
    content_type: str

    @property
    def type(self) -> str:
        return self.attributes["type"]

    def headers(self) -> dict[str, str]:
        """The request headers of binary content mode."""
        headers = {f"ce-{name}": _header_value(value) for name, value in self.attributes.items()}
        headers["Content-Type"] = self.content_type
        return headers


def load_event(path: Path) -> CloudEvent:
    """The CloudEvent in ``path``; UserError at the attribute that is missing or wrong."""
    text = read_text(path, stream=True)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"not JSON: {exc.msg}", position=Position(path, exc.lineno, exc.colno), hint=_EXAMPLE
        ) from None
    where = _Positions(text, path)
    if not isinstance(data, dict):
        raise UserError(
            "a CloudEvent is a JSON object of attributes", position=where(()), hint=_EXAMPLE
        )
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise UserError(
            f"the CloudEvent lacks the required attribute{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            position=where(()),
            hint=_EXAMPLE,
        )
    if data["specversion"] != SPEC_VERSION:
        raise UserError(
            f"specversion {data['specversion']!r} is not one this command sends",
            position=where(("specversion",), value=True),
            hint=f'write "specversion": "{SPEC_VERSION}"',
        )
    if "data" in data and "data_base64" in data:
        raise UserError(
            "the CloudEvent has both data and data_base64",
            position=where(("data_base64",)),
            hint="keep one of them",
        )
    attributes: dict[str, str] = {}
    for name, value in data.items():
        if name in ("data", "data_base64"):
            continue
        attributes[name] = _attribute(name, value, where)
    content_type = attributes.pop("datacontenttype", DEFAULT_CONTENT_TYPE)
    return CloudEvent(path, attributes, _body(data, content_type, where), content_type)


class _Positions:
    """Where a key of the event file is, read only when an error needs it."""

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self._document: YamlDocument | None = None

    def __call__(self, key: tuple[str, ...], *, value: bool = False) -> Position:
        if self._document is None:
            try:
                self._document = load_text(self.text, self.path)
            except UserError:
                return Position(self.path)
        return self._document.position(key, value=value)


def _attribute(name: str, value: Any, where: _Positions) -> str:
    if not _NAME.fullmatch(name):
        raise UserError(
            f"attribute name {name!r}: CloudEvents attribute names are lower-case letters and "
            "digits",
            position=where((name,)),
            hint="move event content into data",
        )
    if name in REQUIRED:
        if not isinstance(value, str) or not value:
            raise UserError(
                f"{name} must be a non-empty string",
                position=where((name,), value=True),
                hint=_EXAMPLE,
            )
        return value
    if name == "time" and not (isinstance(value, str) and _TIME.fullmatch(value)):
        raise UserError(
            "time must be an RFC 3339 timestamp",
            position=where((name,), value=True),
            hint='e.g. "time": "2025-01-31T12:00:00Z"',
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise UserError(
        f"attribute {name} is a {type(value).__name__} where CloudEvents allow a string, an "
        "integer or a boolean",
        position=where((name,), value=True),
        hint="move structured content into data",
    )


def _body(data: dict[str, Any], content_type: str, where: _Positions) -> bytes:
    if "data_base64" in data:
        encoded = data["data_base64"]
        try:
            if not isinstance(encoded, str):
                raise binascii.Error
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise UserError(
                "data_base64 is not base64 text",
                position=where(("data_base64",), value=True),
                hint="write the bytes base64-encoded, or the content itself as data",
            ) from None
    if "data" not in data:
        return b""
    value = data["data"]
    if isinstance(value, str) and not _JSON_TYPE.match(content_type):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _header_value(value: str) -> str:
    """``value`` with every character outside printable ASCII percent-encoded."""
    return "".join(
        char if " " <= char <= "~" else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in value
    )


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post(event: CloudEvent, host: str, port: int, timeout: float) -> Response:
    """POST ``event`` to ``http://host:port/`` and return the answer."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", "/", body=event.body, headers=event.headers())
        answer = connection.getresponse()
        return Response(answer.status, answer.reason, answer.read())
    finally:
        connection.close()
