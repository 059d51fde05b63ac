"""Waiting and trying again: the pacer every wait goes through (and that Ctrl-C stops), the
backoff policy, and the one loop that retries a Cloud Run call after a transient failure."""

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


@dataclass
class Pacer:
    """Time for retries and polling; ``sleep`` raises :class:`Cancelled` once ``cancel`` is set."""

    cancel: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    wait: Callable[[float], None] | None = None

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
