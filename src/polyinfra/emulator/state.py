"""What the emulator keeps between requests: the settings its parts read when a request comes
in, a stored object with where its rollout stands, the table of stored objects, the clock that
hands out ``resourceVersion``s, and the answer for an object that is not there."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Protocol

from polyinfra.emulator.script import Client, Outcome
from polyinfra.emulator.wire import _COLLECTIONS, JsonObject, _ApiError


class Settings(Protocol):
    """The emulator's settings. They are read each time they are used, so a change between two
    requests applies to the second."""

    ready_after: int
    ready_latency: float
    latency: float
    require_auth: bool
    region: str
    principal: str

    def project_number(self, project: str) -> str:
        """The number answered for ``project`` (an id or already a number)."""
        ...


@dataclass
class Entry:
    """A stored object and where its rollout stands.

    ``obj`` is the object as the client sent it plus the server's bookkeeping (generation,
    resourceVersion, uid, creationTimestamp, location label, status); what a GET answers is
    derived from it (see :func:`polyinfra.emulator.served.served`).
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


#: Every stored object by (collection, project number, name).
Objects = dict[tuple[str, str, str], Entry]


class Versions:
    """The ``resourceVersion`` clock. A version is opaque to clients (the discovery document
    says so): 8 bytes of a strictly increasing microsecond clock, base64url-encoded."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        """A version later than every one handed out before."""
        micros = max(time.time_ns() // 1000, self._last + 1)
        self._last = micros
        return base64.urlsafe_b64encode(micros.to_bytes(8, "big")).decode().rstrip("=")


def not_found(collection: str, namespace: str, name: str, region: str) -> _ApiError:
    """The 404 for object ``name`` of ``collection`` that ``namespace`` does not hold."""
    kind = _COLLECTIONS[collection][2].upper()
    return _ApiError(
        404,
        f"Resource '{name}' of kind '{kind}' in region '{region}' in project "
        f"'{namespace}' does not exist.",
    )
