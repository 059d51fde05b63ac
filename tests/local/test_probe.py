"""Startup probes: Kubernetes' defaults, Cloud Run's default, the window, and waiting for a
real socket."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from polyinfra.local.probe import (
    CLOUD_RUN_DEFAULT,
    StartupProbe,
    startup_probe,
    try_once,
    wait_until_started,
)
from tests.local.conftest import free_port


def test_cloud_run_default_when_none_is_declared() -> None:
    probe = startup_probe({"name": "worker"})
    assert probe is CLOUD_RUN_DEFAULT
    assert (probe.kind, probe.window, probe.describe()) == (
        "tcp",
        240,
        "TCP (Cloud Run's default)",
    )


def test_kubernetes_defaults_fill_what_a_probe_leaves_out() -> None:
    assert startup_probe({"startupProbe": {"tcpSocket": {"port": 8080}}}) == StartupProbe(
        "tcp", initial_delay=0, period=10, timeout=1, failure_threshold=3
    )
    # the example's: 5 + (3 - 1) × 120 + 60
    example = {
        "initialDelaySeconds": 5,
        "timeoutSeconds": 60,
        "periodSeconds": 120,
        "failureThreshold": 3,
        "tcpSocket": {"port": 8080},
    }
    assert startup_probe({"startupProbe": example}).window == 305


def test_an_http_probe() -> None:
    probe = startup_probe(
        {
            "startupProbe": {
                "httpGet": {"path": "/ready", "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                "periodSeconds": "2",
            }
        }
    )
    assert (probe.kind, probe.path, probe.headers, probe.period) == (
        "http",
        "/ready",
        (("X-Probe", "1"),),
        2,
    )
    assert probe.describe() == "HTTP GET /ready"


class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_one_try(server: int) -> None:
    tcp = StartupProbe("tcp", 0, 1, 1, 1)
    assert try_once(tcp, "127.0.0.1", server, 1) is None
    assert try_once(tcp, "127.0.0.1", free_port(), 1) == "Connection refused"
    http_probe = StartupProbe("http", 0, 1, 1, 1, path="/ready")
    assert try_once(http_probe, "127.0.0.1", server, 1) is None
    other = StartupProbe("http", 0, 1, 1, 1, path="/starting")
    assert try_once(other, "127.0.0.1", server, 1) == "HTTP 503"


def test_waiting_ends_when_it_passes_exits_times_out_or_is_stopped(server: int) -> None:
    probe = StartupProbe("http", 0, 1, 1, 2, path="/ready")
    stop = threading.Event()
    assert (
        wait_until_started(probe, "127.0.0.1", server, exit_code=lambda: None, stop=stop).outcome
        == "started"
    )
    exited = wait_until_started(probe, "127.0.0.1", server, exit_code=lambda: 3, stop=stop)
    assert (exited.outcome, exited.code) == ("exited", 3)
    failing = StartupProbe("http", 0, 1, 1, 1, path="/starting")
    timed_out = wait_until_started(failing, "127.0.0.1", server, exit_code=lambda: None, stop=stop)
    assert (timed_out.outcome, timed_out.last) == ("timed-out", "HTTP 503")
    stop.set()
    assert (
        wait_until_started(failing, "127.0.0.1", server, exit_code=lambda: None, stop=stop).outcome
        == "stopped"
    )


def test_nothing_is_tried_before_the_initial_delay() -> None:
    now = [0.0]

    class Stop(threading.Event):
        """Waiting moves the clock on instead of sleeping."""

        def wait(self, timeout: float | None = None) -> bool:
            now[0] += timeout or 0
            return False

    probe = StartupProbe("tcp", initial_delay=3, period=1, timeout=1, failure_threshold=1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        waited = wait_until_started(
            probe,
            "127.0.0.1",
            sock.getsockname()[1],
            exit_code=lambda: None,
            stop=Stop(),
            clock=lambda: now[0],
        )
    assert waited.outcome == "started"
    assert now[0] == pytest.approx(3.0)
