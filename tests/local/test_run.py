"""`polyinfra run` end to end: the example's HTTP function served and called over HTTP, a
Pub/Sub event function sent a CloudEvent, secrets, a function that never listens, and the
apps it refuses. Each run is a process of its own, as a user starts it."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.local.conftest import (
    APPS,
    EVENT_TYPE,
    SHORT_PROBE,
    SLOW_FUNCTION,
    add_function_app,
    environment,
    free_port,
    polyinfra,
    read_line,
    run_polyinfra,
    to_tdd_theme,
)

SECRET = "s3cr3t-Stock-Token-9f2a"
SECRET_PATCH = """
  - patch: |-
      - op: add
        path: /spec/template/metadata/annotations/run.googleapis.com~1secrets
        value: "API_TOKEN:projects/data-platform-sandbox/secrets/STOCK_API_TOKEN"
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value:
          name: API_TOKEN
          valueFrom:
            secretKeyRef:
              name: API_TOKEN
              key: latest
    target:
      kind: Service
      name: stock-events
"""


def stock_event(tmp_path: Path, quantity: int = 5) -> Path:
    """A Pub/Sub messagePublished CloudEvent in the structured JSON format, as Eventarc
    makes it."""
    movement = {"sku": "SKU-1", "location": "BKK-1", "quantity": quantity}
    event = {
        "specversion": "1.0",
        "type": EVENT_TYPE,
        "source": "//pubsub.googleapis.com/projects/data-platform-sandbox/topics/stock-updates",
        "id": "4242424242",
        "time": "2025-06-01T08:30:00Z",
        "subject": "stock/SKU-1",
        "datacontenttype": "application/json",
        "data": {
            "message": {
                "data": base64.b64encode(json.dumps(movement).encode()).decode(),
                "messageId": "4242424242",
                "publishTime": "2025-06-01T08:30:00Z",
            },
            "subscription": "projects/data-platform-sandbox/subscriptions/eventarc-stock",
        },
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event, indent=2))
    return path


def logged_event(stderr: str) -> dict[str, Any]:
    """What the event function logged about the event it got."""
    return next(json.loads(line) for line in stderr.splitlines() if line.startswith('{"id"'))


def test_the_example_http_function_is_served_until_terminated(
    workspace: Path, tmp_path: Path
) -> None:
    port = free_port()
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as errors:
        process = subprocess.Popen(
            polyinfra("run", "stock-webhook", "--env", "sandbox", "--port", str(port)),
            cwd=workspace,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            # the example's probe starts after initialDelaySeconds: 5
            line = read_line(process, time.monotonic() + 40)
            assert (
                line == f"Serving stock-webhook (handle_stock_event) on http://127.0.0.1:{port}\n"
            )
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            body = json.dumps({"sku": "SKU-1", "location": "BKK-1", "quantity": 7})
            connection.request("POST", "/", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b'{"changed":1}\n')
            connection.close()
        finally:
            process.terminate()
            code = process.wait(30)
    assert code == 0
    assert process.stdout is not None
    assert process.stdout.read() == ""
    log = stderr.read_text()
    assert log.startswith(
        "stock-webhook (sandbox): handle_stock_event from "
        "bases/data_platform/stock_webhook/core.py:14, signature type http, Python "
    )
    assert "environment: FUNCTION_TARGET, COMPONENT, EPIC, LOG_EXECUTION_ID, ENVIRONMENT, " in log
    assert (
        f"set as Cloud Run sets them: PORT={port}, K_SERVICE=stock-webhook, "
        "K_REVISION=stock-webhook-00001-loc, K_CONFIGURATION=stock-webhook\n"
    ) in log
    assert "PYTHONPATH: bases, components\n" in log
    assert f"startup probe: TCP on PORT {port}, up to 305 s\n" in log
    # the function's own log line, with the environment the overlay sets
    assert '"message": "stock event received"' in log
    assert '"environment": "sandbox"' in log
    assert log.endswith("Stopping stock-webhook.\n")
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()


def test_ctrl_c_stops_an_event_function_being_served(workspace: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        polyinfra("run", "stock-events", "-e", "sandbox", "--port", str(port)),
        cwd=workspace,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = read_line(process, time.monotonic() + 30)
        assert line == f"Serving stock-events (handle_stock_update) on http://127.0.0.1:{port}\n"
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
    assert code == 0
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()


def test_an_event_is_delivered_in_binary_mode(workspace: Path, tmp_path: Path) -> None:
    event = stock_event(tmp_path)
    port = free_port()
    done = run_polyinfra(
        "run",
        "stock-events",
        "--env",
        "sandbox",
        "--event",
        str(event),
        "--port",
        str(port),
        cwd=workspace,
    )
    assert (done.returncode, done.stdout) == (0, "HTTP 200 OK\nOK\n"), done.stderr
    assert "signature type cloudevent" in done.stderr
    assert (
        f"Sending {event} ({EVENT_TYPE}) to http://127.0.0.1:{port} in binary content mode\n"
        in done.stderr
    )
    logged = logged_event(done.stderr)
    # LOG_EXECUTION_ID: the framework labels each log line with the request's execution id
    assert logged.pop("logging.googleapis.com/labels").keys() == {"execution_id"}
    assert logged == {
        "id": "4242424242",
        "type": EVENT_TYPE,
        "subject": "stock/SKU-1",
        "levels": {"SKU-1@BKK-1": 5},
        "revision": "stock-events-00001-loc",
        "environment": "sandbox",
        "token_sha256": hashlib.sha256(b"").hexdigest(),
    }


def test_a_failing_event_exits_1_with_the_answer(workspace: Path, tmp_path: Path) -> None:
    done = run_polyinfra(
        "run",
        "stock-events",
        "--env",
        "sandbox",
        "--event",
        str(stock_event(tmp_path, 0)),
        "--port",
        str(free_port()),
        cwd=workspace,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("HTTP 500 INTERNAL SERVER ERROR\n")
    assert "ValueError: a movement of nothing" in done.stderr


def with_secret(workspace: Path) -> None:
    overlay = workspace / APPS / "stock-events" / "overlays" / "sandbox" / "kustomization.yaml"
    overlay.write_text(overlay.read_text() + SECRET_PATCH)


@pytest.mark.parametrize("secret", [SECRET, "pa'ss-w\u00f6rd-Stock-Token-9f2a"])
def test_a_secret_comes_from_the_env_file_and_is_never_printed(
    workspace: Path, tmp_path: Path, secret: str
) -> None:
    with_secret(workspace)
    env_file = tmp_path / ".env.local"
    env_file.write_text(f'# local secrets\nexport API_TOKEN="{secret}"\nUNUSED=1\n')
    done = run_polyinfra(
        "run",
        "stock-events",
        "--env",
        "sandbox",
        "--event",
        str(stock_event(tmp_path)),
        "--env-file",
        str(env_file),
        "--port",
        str(free_port()),
        cwd=workspace,
    )
    assert (done.returncode, done.stdout) == (0, "HTTP 200 OK\nOK\n"), done.stderr
    printed = done.stdout + done.stderr
    # neither as it is nor as a JSON log line escapes it
    for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
        assert form not in printed
    assert '"token_json": "<redacted>"' in done.stderr
    assert f"secrets from {env_file}: API_TOKEN\n" in done.stderr
    assert f"note: {env_file} also sets UNUSED, which the container reads" in done.stderr
    # the function printed it: what reached the terminal was masked
    assert "token: <redacted>" in done.stderr
    assert logged_event(done.stderr)["token_sha256"] == hashlib.sha256(secret.encode()).hexdigest()


def test_a_secret_missing_from_the_env_file_is_named(workspace: Path, tmp_path: Path) -> None:
    with_secret(workspace)
    env_file = tmp_path / ".env.local"
    env_file.write_text(f"OTHER_TOKEN={SECRET}\n")
    done = run_polyinfra(
        "run", "stock-events", "--env", "sandbox", "--env-file", str(env_file), cwd=workspace
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: {env_file}: no value for the secret variable API_TOKEN (secret "
        "projects/data-platform-sandbox/secrets/STOCK_API_TOKEN, version latest), which "
        "stock-events (sandbox) reads\n"
        f"  hint: add a line NAME=VALUE for each to {env_file}\n"
    )


def test_a_secret_without_an_env_file_is_named(workspace: Path) -> None:
    with_secret(workspace)
    done = run_polyinfra("run", "stock-events", "--env", "sandbox", cwd=workspace)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: stock-events (sandbox) reads 1 secret from Secret Manager: API_TOKEN "
        "(projects/data-platform-sandbox/secrets/STOCK_API_TOKEN)\n"
        "  hint: pass --env-file FILE"
    )


def test_a_function_that_never_listens_fails_in_its_probe_window(
    workspace: Path, tmp_path: Path
) -> None:
    add_function_app(workspace, "stock-slow", "stock_slow", "stock_slow", SLOW_FUNCTION, "handle")
    pid_file = tmp_path / "pid"
    port = free_port()
    started = time.monotonic()
    done = run_polyinfra(
        "run",
        "stock-slow",
        "--env",
        "sandbox",
        "--port",
        str(port),
        cwd=workspace,
        extra_env={"PID_FILE": str(pid_file)},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stdout == ""
    assert (
        f"error: stock-slow (sandbox): the container did not listen on PORT {port} within 2 s "
        "(startup probe: TCP); the end of its stderr:\n"
        "  | warming up the stock cache\n"
    ) in done.stderr
    assert elapsed < 15
    # the function was stopped: its process is gone
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_a_function_that_exits_early_shows_why(workspace: Path) -> None:
    core = workspace / "bases/data_platform/stock_events/core.py"
    core.write_text("import no_such_module\n" + core.read_text())
    done = run_polyinfra(
        "run", "stock-events", "--env", "sandbox", "--port", str(free_port()), cwd=workspace
    )
    assert done.returncode == 1
    assert "the container exited with code 1 before it listened on PORT" in done.stderr
    assert "  | ModuleNotFoundError: No module named 'no_such_module'" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["inventory-api", "--env", "sandbox"],
            "inventory-api is a Cloud Run service: `polyinfra run` serves functions\n"
            "  hint: services and jobs run their own containers",
        ),
        (
            ["dmd-inv-mov-api2bq", "--env", "sandbox"],
            "dmd-inv-mov-api2bq is a Cloud Run job: `polyinfra run` serves functions\n",
        ),
        (
            ["stock-webhok", "--env", "sandbox"],
            "error: no app named 'stock-webhok' (did you mean 'stock-webhook'?)",
        ),
        (
            ["stock-webhook", "--env", "sandbx"],
            "has no overlay for environment 'sandbx' (did you mean 'sandbox'?); it has: "
            "production, sandbox\n",
        ),
    ],
)
def test_what_it_refuses(workspace: Path, args: list[str], message: str) -> None:
    done = run_polyinfra("run", *args, cwd=workspace)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_an_http_function_of_a_tdd_workspace_gets_an_event(workspace: Path, tmp_path: Path) -> None:
    """The bricks' ``src`` folders are importable, and an HTTP function reads a CloudEvent's
    data as its JSON body, as Eventarc sends it in binary mode."""
    to_tdd_theme(workspace)
    service = workspace / APPS / "stock-webhook" / "base" / "service.yaml"
    text = service.read_text()
    start, end = text.index("        startupProbe:"), text.index("  traffic:")
    service.write_text(text[:start] + SHORT_PROBE + text[end:])
    event = tmp_path / "event.json"
    event.write_text(
        '{"specversion": "1.0", "type": "com.example.stock.moved", "source": "//warehouse", '
        '"id": "1", "data": {"sku": "SKU-1", "location": "BKK-1", "quantity": 2}}'
    )
    done = run_polyinfra(
        "run", "stock-webhook", "-e", "sandbox", "--event", str(event), "--port",
        str(free_port()), cwd=workspace,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, 'HTTP 200 OK\n{"changed":1}\n'), done.stderr
    assert "PYTHONPATH: bases/stock_webhook/src, components/inventory/src, " in done.stderr
