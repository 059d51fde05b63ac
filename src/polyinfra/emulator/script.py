"""How a test scripts the emulator (faults, outcomes) and what it records (requests,
arrivals, the client that wrote)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from polyinfra.emulator.wire import (
    JsonObject,
)


@dataclass
class Fault:
    """A scripted failure for the next ``times`` requests that match ``method`` and ``path``.

    ``status`` 0 drops the connection without an answer. ``apply_first`` carries the request out
    before failing, which is how a lost response to a successful create looks to a client.
    The answer has Google's error body: ``message`` (default: the HTTP reason phrase),
    ``status_name`` (default: the canonical name for ``status``) and ``details``.

    The stalls a client must bound are faults too: ``delay`` holds the answer back that many
    seconds and then answers normally; ``hang`` accepts the request and never answers (the
    connection stays open until the fake stops); ``endless`` answers 200 with a body that never
    ends.
    """

    status: int
    method: str | None = None
    path: str = ""
    times: int = 1
    apply_first: bool = False
    message: str = ""
    retry_after: float | None = None
    details: list[JsonObject] = field(default_factory=list)
    status_name: str = ""
    delay: float = 0.0
    hang: bool = False
    endless: bool = False

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
    """One request the fake received and what it answered, for assertions in tests.

    ``headers`` are the request's, with lower-case names. ``response`` is the decoded JSON answer
    (before compression) and ``response_headers`` the headers sent with it. When the connection
    was dropped, ``status`` is 0 and there is no response; when the request was carried out and
    its answer then lost (:meth:`FakeCloudRun.lose_response`), ``status`` and ``response`` are
    the answer that was lost and ``response_headers`` is empty. ``received`` is when the
    request arrived (``time.monotonic()``, before any latency or delay).
    """

    method: str
    path: str
    query: dict[str, str]
    body: JsonObject | None
    headers: dict[str, str]
    status: int
    response: JsonObject | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    received: float = 0.0

    @property
    def dry_run(self) -> bool:
        return self.query.get("dryRun") == "all"

    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PUT", "DELETE"} and not self.dry_run


class Arrival(NamedTuple):
    """A request as it arrived, before it was answered (or while it never is)."""

    method: str
    path: str
    received: float


class Client(NamedTuple):
    """The tool that made a write, as Cloud Run records it in ``run.googleapis.com/client-name``
    and ``client-version``."""

    name: str
    version: str

    @classmethod
    def from_user_agent(cls, user_agent: str) -> Client | None:
        """The first product of a ``User-Agent`` (``polyinfra/1.2 python-requests/2.32``)."""
        product = user_agent.split()[0] if user_agent.split() else ""
        name, _, version = product.partition("/")
        return cls(name, version) if name else None
