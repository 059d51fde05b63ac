"""Waiting and trying again: the pacer every wait goes through (and that Ctrl-C stops), the
per-region request pace that keeps inside the Admin API's quotas, the backoff policy, and the
one loop that retries a Cloud Run call after a transient failure."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from polyinfra.deploy.errors import Cancelled, TransientError

T = TypeVar("T")

#: Waits ``seconds`` before another attempt after the error given; may raise instead (out of
#: time, interrupted), which ends the retries.
Pause = Callable[[float, BaseException], None]


#: Cloud Run Admin API requests per minute per region that a deploy keeps to by default: the
#: write and read quotas projects commonly get (``run.googleapis.com/write_regional`` and
#: ``read_regional``, shown per project and region in the console; docs/deploy.md).
DEFAULT_WRITES_PER_MINUTE = 60
DEFAULT_READS_PER_MINUTE = 600


@dataclass(frozen=True)
class Quota:
    """Requests per minute per region: writes (create, replace, delete, run) and reads."""

    writes_per_minute: int = DEFAULT_WRITES_PER_MINUTE
    reads_per_minute: int = DEFAULT_READS_PER_MINUTE

    def __post_init__(self) -> None:
        if self.writes_per_minute < 2 or self.reads_per_minute < 2:
            raise ValueError("a quota pace needs at least 2 requests per minute")


class TokenBucket:
    """At most ``per_minute`` requests in any 60 seconds, shared by every thread that takes
    from it: half of them may go at once (a burst), the rest come back at an even rate of half
    ``per_minute`` a minute. A burst of ``b`` plus a rate of ``r`` a second lets through at most
    ``b + 60 r`` in any 60 s, so the quota holds however the server counts its minute (fixed
    windows, a sliding window, its own bucket).

    :meth:`reserve` books a place in line and says how long to wait for it: threads are served
    in the order they asked, and no lock is held while they wait.
    """

    WINDOW = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        if per_minute < 2:
            raise ValueError("a token bucket needs at least 2 requests per minute")
        self.capacity = float(per_minute // 2)
        self.rate = (per_minute - self.capacity) / self.WINDOW
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._stamp: float | None = None

    def reserve(self, limit: float | None = None) -> float | None:
        """Seconds to wait before the next request may go (0: at once), with its place booked;
        None, and nothing booked, when that is more than ``limit`` seconds."""
        with self._lock:
            now = self._clock()
            if self._stamp is not None:
                elapsed = max(0.0, now - self._stamp)
                self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._stamp = now
            wait = 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate
            if limit is not None and wait > limit:
                return None
            self._tokens -= 1.0
            return wait


@dataclass
class Pacer:
    """Time for retries and polling; ``sleep`` raises :class:`Cancelled` once ``cancel`` is set.

    With a ``quota``, :meth:`take` paces the requests of every client that shares this pacer:
    one token bucket for the writes and one for the reads of each endpoint (each region has
    its own endpoint, and its own quota at Google)."""

    cancel: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    wait: Callable[[float], None] | None = None
    quota: Quota | None = None
    _buckets: dict[tuple[str, bool], TokenBucket] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _buckets_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def take(self, endpoint: str, *, write: bool, limit: float | None = None) -> bool:
        """Wait until ``endpoint``'s quota lets one more request (a write or a read) go;
        False, without waiting, when that would take more than ``limit`` seconds. Raises
        :class:`Cancelled` on Ctrl-C."""
        if self.quota is None:
            return True
        key = (endpoint, write)
        with self._buckets_lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                per_minute = self.quota.writes_per_minute if write else self.quota.reads_per_minute
                bucket = self._buckets[key] = TokenBucket(per_minute, self.clock)
        wait = bucket.reserve(limit)
        if wait is None:
            return False
        if wait > 0:
            self.sleep(wait)
        return True

    def sleep(self, seconds: float) -> None:
        if self.cancel.is_set():
            raise Cancelled
        if self.wait is not None:
            self.wait(seconds)
        elif self.cancel.wait(max(0.0, seconds)):
            raise Cancelled
        if self.cancel.is_set():
            raise Cancelled


def _always(_: TransientError) -> bool:
    return True


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and per-wait delay."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 16.0
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        chosen = ceiling * (0.5 + self.rand() / 2)
        if retry_after is not None:
            chosen = max(chosen, min(retry_after, self.cap))
        return chosen

    def run(
        self,
        call: Callable[[], T],
        pause: Pause,
        *,
        retryable: Callable[[TransientError], bool] = _always,
    ) -> T:
        """What ``call()`` returns, calling it again after each :class:`TransientError` it
        raises, :meth:`delay` seconds later (waited through ``pause``).

        Once ``attempts`` calls have failed, or a failure is not ``retryable``, the last error
        is raised again as an exhausted TransientError that says after how many attempts this
        gave up. An exhausted error raised by ``call`` (its retries were spent where it came
        from) and every other exception end the loop as they are.
        """
        attempt = 0
        while True:
            try:
                return call()
            except TransientError as exc:
                if exc.exhausted:
                    raise
                attempt += 1
                if not retryable(exc) or attempt >= self.attempts:
                    raise TransientError(
                        f"{exc} (gave up after {attempt} attempts)",
                        status=exc.status,
                        exhausted=True,
                    ) from exc
                pause(self.delay(attempt, exc.retry_after), exc)
