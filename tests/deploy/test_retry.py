"""The one retry loop: what it retries, how long it waits, and how it gives up."""

from __future__ import annotations

import pytest

from polyinfra.deploy.errors import ConflictError, TransientError
from polyinfra.deploy.retry import RetryPolicy

POLICY = RetryPolicy(attempts=4, base=1.0, cap=8.0, rand=lambda: 1.0)


class Calls:
    """A call that fails with the given errors, in order, then answers ``"ok"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_transient_failures_are_retried_after_growing_pauses() -> None:
    paused: list[tuple[float, str]] = []
    call = Calls(TransientError("a"), TransientError("b", retry_after=5.0))
    assert POLICY.run(call, lambda seconds, after: paused.append((seconds, str(after)))) == "ok"
    assert call.count == 3
    assert paused == [(1.0, "a"), (5.0, "b")]


def test_it_gives_up_after_the_attempts_allowed() -> None:
    paused: list[float] = []
    call = Calls(*(TransientError("down", status=503) for _ in range(10)))
    with pytest.raises(TransientError) as caught:
        POLICY.run(call, lambda seconds, _: paused.append(seconds))
    assert str(caught.value) == "down (gave up after 4 attempts)"
    assert caught.value.status == 503
    assert caught.value.exhausted
    assert isinstance(caught.value.__cause__, TransientError)
    assert call.count == 4
    assert paused == [1.0, 2.0, 4.0]


def test_a_failure_that_is_not_retryable_gives_up_at_once() -> None:
    call = Calls(TransientError("down"))
    with pytest.raises(TransientError, match=r"^down \(gave up after 1 attempts\)$"):
        POLICY.run(call, lambda *_: pytest.fail("no pause"), retryable=lambda _: False)
    assert call.count == 1


def test_exhausted_and_other_errors_end_the_loop_as_they_are() -> None:
    spent = TransientError("read failed (gave up after 6 attempts)", exhausted=True)
    for error in (spent, ConflictError("409"), KeyError("x")):
        call = Calls(error)
        with pytest.raises(type(error)) as caught:
            POLICY.run(call, lambda *_: pytest.fail("no pause"))
        assert caught.value is error
        assert call.count == 1


def test_a_pause_that_raises_ends_the_retries() -> None:
    class OutOfTime(Exception):
        pass

    def pause(seconds: float, after: BaseException) -> None:
        raise OutOfTime

    call = Calls(TransientError("slow"))
    with pytest.raises(OutOfTime):
        POLICY.run(call, pause)
    assert call.count == 1
