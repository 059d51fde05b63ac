"""The startup probe of a Cloud Run container, and waiting until a local process passes it.

A declared ``startupProbe`` takes Kubernetes' defaults for what it leaves out
(``initialDelaySeconds`` 0, ``periodSeconds`` 10, ``timeoutSeconds`` 1, ``failureThreshold``
3); a container that declares none gets Cloud Run's default, one TCP try with a 240 s timeout.
Cloud Run's TCP probe keeps trying to connect for ``timeoutSeconds``; an HTTP probe passes on a
status from 200 to 399 within ``timeoutSeconds``.

Locally the port is tried every :data:`POLL` seconds from ``initialDelaySeconds`` on, rather
than once a period, so a function that is up is served at once; it is given up on when Cloud
Run would give up on it: at the end of the last try, ``initialDelaySeconds + (failureThreshold
- 1) × periodSeconds + timeoutSeconds`` after the start.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ProbeKind = Literal["tcp", "http", "grpc"]
#: Seconds between two local tries.
POLL = 0.1
_KUBERNETES_DEFAULTS = {
    "initialDelaySeconds": 0,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "failureThreshold": 3,
}


@dataclass(frozen=True)
class StartupProbe:
    """What says a container has started. ``declared`` is False for Cloud Run's default."""

    kind: ProbeKind
    initial_delay: int
    period: int
    timeout: int
    failure_threshold: int
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    declared: bool = True

    @property
    def window(self) -> int:
        """Seconds from the start until Cloud Run gives up on the container."""
        return self.initial_delay + (self.failure_threshold - 1) * self.period + self.timeout

    def describe(self) -> str:
        """The probe in a few words, e.g. ``HTTP GET /ready`` or ``TCP (Cloud Run's default)``."""
        what = f"HTTP GET {self.path}" if self.kind == "http" else self.kind.upper()
        return what if self.declared else f"{what} (Cloud Run's default)"


#: The probe Cloud Run gives a container that declares none.
CLOUD_RUN_DEFAULT = StartupProbe(
    "tcp", initial_delay=0, period=240, timeout=240, failure_threshold=1, declared=False
)


def startup_probe(container: Mapping[str, Any]) -> StartupProbe:
    """The startup probe of a container (plain data), or :data:`CLOUD_RUN_DEFAULT`."""
    probe = container.get("startupProbe")
    if not isinstance(probe, Mapping):
        return CLOUD_RUN_DEFAULT
    numbers = {key: _int(probe.get(key), default) for key, default in _KUBERNETES_DEFAULTS.items()}
    timing: dict[str, Any] = {
        "initial_delay": max(numbers["initialDelaySeconds"], 0),
        "period": max(numbers["periodSeconds"], 1),
        "timeout": max(numbers["timeoutSeconds"], 1),
        "failure_threshold": max(numbers["failureThreshold"], 1),
    }
    get = probe.get("httpGet")
    if isinstance(get, Mapping):
        path = get.get("path")
        headers = tuple(
            (str(item["name"]), str(item.get("value", "")))
            for item in get.get("httpHeaders") or ()
            if isinstance(item, Mapping) and "name" in item
        )
        return StartupProbe(
            "http", path=path if isinstance(path, str) and path else "/", headers=headers, **timing
        )
    return StartupProbe("grpc" if "grpc" in probe else "tcp", **timing)


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def try_once(probe: StartupProbe, host: str, port: int, timeout: float) -> str | None:
    """One try of ``probe`` against ``host:port``: None when it passes, else why not. (A gRPC
    probe is tried as TCP: the Functions Framework serves no gRPC health service.)"""
    if probe.kind != "http":
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return None
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", probe.path, headers=dict(probe.headers))
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    finally:
        connection.close()
    return None if 200 <= response.status < 400 else f"HTTP {response.status}"


@dataclass(frozen=True)
class Waited:
    """How waiting for a probe ended: ``started``, ``exited`` (with the exit ``code``),
    ``timed-out`` (with the ``last`` reason a try failed) or ``stopped`` (asked to stop)."""

    outcome: Literal["started", "exited", "timed-out", "stopped"]
    code: int | None = None
    last: str | None = None


def wait_until_started(
    probe: StartupProbe,
    host: str,
    port: int,
    *,
    exit_code: Callable[[], int | None],
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
) -> Waited:
    """Try ``probe`` from its initial delay on until it passes, the process exits
    (``exit_code`` is not None), ``stop`` is set or the probe's window has passed."""
    started = clock()
    first = started + probe.initial_delay
    deadline = started + probe.window
    last: str | None = None
    while True:
        code = exit_code()
        if code is not None:
            return Waited("exited", code=code)
        if stop.is_set():
            return Waited("stopped")
        now = clock()
        if now >= deadline:
            return Waited("timed-out", last=last)
        if now >= first:
            last = try_once(probe, host, port, max(min(probe.timeout, deadline - now), 0.05))
            if last is None:
                return Waited("started")
        stop.wait(max(min(POLL, deadline - clock()), 0))
