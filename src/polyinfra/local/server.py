"""A prepared function run: its process started, its output handed on with secrets masked,
its startup probe waited for as Cloud Run waits for it; then served until SIGINT or SIGTERM,
or sent one event. The process is stopped whatever happens."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from polyinfra import proc
from polyinfra.errors import FailedError
from polyinfra.local.event import CloudEvent, Response, post
from polyinfra.local.function import HOST, LocalFunction
from polyinfra.local.probe import StartupProbe, Waited, wait_until_started

#: Seconds between SIGTERM and SIGKILL when the function is stopped (Cloud Run's grace).
STOP_GRACE = 10.0
#: Lines of the function's stderr quoted when it fails.
TAIL_LINES = 20
#: A closed terminal (SIGHUP) stops the function too: it runs in a process group of its own.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_requests() -> Iterator[threading.Event]:
    """An event that SIGINT (Ctrl-C) and SIGTERM set while the block runs, instead of ending
    polyinfra before it has stopped the function. (Off the main thread, where signals cannot
    be caught, the event is only set by the caller.)"""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def note(number: int, frame: FrameType | None) -> None:
        requested.set()

    previous = {number: signal.signal(number, note) for number in _STOP_SIGNALS}
    try:
        yield requested
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def started(
    local: LocalFunction, stop: threading.Event, show: Callable[[str], None]
) -> Iterator[proc.Background]:
    """The function's process, once it passes its startup probe; stopped when the block ends.

    ``show`` gets each line of its output, secrets masked. FailedError when it exits or does
    not pass the probe in time (with the end of its stderr); KeyboardInterrupt when ``stop``
    is set first.
    """
    process = proc.start(
        local.command(),
        on_line=lambda line, _: show(local.redactor(line)),
        cwd=local.root,
        env=local.environment,
        tail_lines=TAIL_LINES,
    )
    try:
        probe = local.service.probe
        waited = wait_until_started(probe, HOST, local.port, exit_code=process.exit_code, stop=stop)
        if waited.outcome == "stopped":
            raise KeyboardInterrupt
        if waited.outcome != "started":
            raise FailedError(_failure(local, probe, waited, process))
        yield process
    finally:
        process.stop(STOP_GRACE)


def serve(local: LocalFunction, process: proc.Background, stop: threading.Event) -> None:
    """Wait until ``stop`` is set; FailedError when the function's process exits first."""
    while not stop.wait(0.2):
        code = process.exit_code()
        if code is not None:
            raise FailedError(
                f"{local.app} ({local.env}): the function's process exited with code {code}"
                + _tail(local, process)
            )


def send(local: LocalFunction, event: CloudEvent, stop: threading.Event) -> Response:
    """POST ``event`` to the function and return its answer (waiting as long as the Service's
    request timeout); KeyboardInterrupt when ``stop`` is set first."""
    answer: list[Response | OSError] = []

    def call() -> None:
        try:
            answer.append(post(event, HOST, local.port, local.service.request_timeout + 5))
        except OSError as exc:
            answer.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    while worker.is_alive():
        if stop.wait(0.1):
            raise KeyboardInterrupt
    result = answer[0]
    if isinstance(result, OSError):
        raise FailedError(
            f"{local.app} ({local.env}): sending {event.path} to {local.url} failed: "
            f"{result.strerror or result}"
        )
    return result


def _failure(
    local: LocalFunction, probe: StartupProbe, waited: Waited, process: proc.Background
) -> str:
    who = f"{local.app} ({local.env})"
    port = f"PORT {local.port}"
    if waited.outcome == "exited":
        text = f"{who}: the container exited with code {waited.code} before it listened on {port}"
    elif probe.kind == "http":
        text = (
            f"{who}: the container did not pass its startup probe ({probe.describe()}) on "
            f"{port} within {probe.window} s (last try: {waited.last or 'none'})"
        )
    else:
        text = (
            f"{who}: the container did not listen on {port} within {probe.window} s "
            f"(startup probe: {probe.describe()})"
        )
    return text + _tail(local, process)


def _tail(local: LocalFunction, process: proc.Background) -> str:
    lines = [local.redactor(line) for line in process.stderr_tail()]
    if not lines:
        return "; it wrote nothing to stderr"
    return "; the end of its stderr:\n" + "\n".join("  | " + line for line in lines)
