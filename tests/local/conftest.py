"""A copy of the example workspace with a Pub/Sub event function beside its HTTP one, and
helpers to run `polyinfra run` in a process of its own."""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_example, edit, write_tree

SRC = REPO / "src"
APPS = Path("infrastructure/cloudrun_function")
EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"

#: An event function: a stock movement published on Pub/Sub, applied to the stock levels.
EVENT_FUNCTION = '''\
"""Event function: stock movements published on Pub/Sub."""

import base64
import hashlib
import json
import os
import sys

import functions_framework
from cloudevents.http import CloudEvent

from data_platform.inventory import StockMovement, apply_movements


@functions_framework.cloud_event
def handle_stock_update(event: CloudEvent) -> None:
    movement = json.loads(base64.b64decode(event.data["message"]["data"]))
    if movement["quantity"] == 0:
        raise ValueError("a movement of nothing")
    levels = apply_movements({}, [StockMovement(**movement)])
    token = os.environ.get("API_TOKEN", "")
    print(f"token: {token}", file=sys.stderr)
    print(json.dumps({"token_json": token}), file=sys.stderr)
    print(
        json.dumps(
            {
                "id": event["id"],
                "type": event["type"],
                "subject": event.get("subject"),
                "levels": {f"{sku}@{place}": n for (sku, place), n in levels.items()},
                "revision": os.environ["K_REVISION"],
                "environment": os.environ["ENVIRONMENT"],
                "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
            }
        ),
        file=sys.stderr,
    )
'''

#: A function whose module never finishes importing: the framework never listens.
SLOW_FUNCTION = """\
import os
import sys
import time
from pathlib import Path

print("warming up the stock cache", file=sys.stderr, flush=True)
Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
time.sleep(120)


def handle(request):
    return "never"
"""

#: The bricks of the stock_webhook project.
TDD_BRICKS = (
    ("bases", "stock_webhook"),
    ("components", "inventory"),
    ("components", "log"),
    ("components", "settings"),
)
SHORT_PROBE = """\
        startupProbe:
          timeoutSeconds: 1
          periodSeconds: 1
          failureThreshold: 2
          tcpSocket:
            port: 8080
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_function_app(
    root: Path,
    app: str,
    project: str,
    brick: str,
    code: str,
    target: str,
    *,
    event_type: str | None = None,
    probe: str = SHORT_PROBE,
) -> Path:
    """A function app ``app`` (the stock-webhook app copied, with ``target``, a short probe
    and, for an event function, its trigger type and signature) serving ``code`` from base
    ``brick`` of a new project ``project``."""
    write_tree(
        root,
        {
            f"bases/data_platform/{brick}/__init__.py": "",
            f"bases/data_platform/{brick}/core.py": code,
            f"projects/{project}/pyproject.toml": (
                f'[project]\nname = "{project}"\nversion = "0.1.0"\n\n'
                "[tool.polylith.bricks]\n"
                f'"../../bases/data_platform/{brick}" = "data_platform/{brick}"\n'
                '"../../components/data_platform/inventory" = "data_platform/inventory"\n'
            ),
        },
    )
    folder = root / APPS / app
    for source in (root / APPS / "stock-webhook").rglob("*.yaml"):
        target_file = folder / source.relative_to(root / APPS / "stock-webhook")
        target_file.parent.mkdir(parents=True, exist_ok=True)
        target_file.write_text(source.read_text().replace("stock-webhook", app))
    service = folder / "base" / "service.yaml"
    text = service.read_text()
    text = text.replace("value: handle_stock_event", f"value: {target}")
    start = text.index("        startupProbe:")
    end = text.index("  traffic:")
    text = text[:start] + probe + text[end:]
    if event_type is not None:
        text = text.replace("trigger-type: HTTP_TRIGGER", f"trigger-type: {event_type}")
        text = text.replace(
            "run.googleapis.com/ingress: all", "run.googleapis.com/ingress: internal"
        )
        text = text.replace(
            "        - name: COMPONENT\n",
            "        - name: FUNCTION_SIGNATURE_TYPE\n          value: cloudevent\n"
            "        - name: COMPONENT\n",
        )
    service.write_text(text)
    return folder


def to_tdd_theme(root: Path) -> None:
    """``root`` in the tdd theme's layout, with the stock-webhook app and its project only."""
    edit(root, "workspace.toml", 'theme = "loose"', 'theme = "tdd"')
    for project in (root / "projects").iterdir():
        if project.name != "stock_webhook":
            shutil.rmtree(project)
    for app in (root / "infrastructure").glob("cloudrun_*/*"):
        if app.name != "stock-webhook":
            shutil.rmtree(app)
    pyproject = root / "projects/stock_webhook/pyproject.toml"
    text = pyproject.read_text()
    for kind, name in TDD_BRICKS:
        target = root / kind / name / "src" / "data_platform" / name
        target.parent.mkdir(parents=True)
        shutil.move(root / kind / "data_platform" / name, target)
        text = text.replace(
            f'"../../{kind}/data_platform/{name}"',
            f'"../../{kind}/{name}/src/data_platform/{name}"',
        )
    pyproject.write_text(text)
    for kind in ("bases", "components"):
        shutil.rmtree(root / kind / "data_platform")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The example copied, with the event function app ``stock-events`` added."""
    root = copy_example(tmp_path / "data-platform")
    add_function_app(
        root,
        "stock-events",
        "stock_events",
        "stock_events",
        EVENT_FUNCTION,
        "handle_stock_update",
        event_type=EVENT_TYPE,
    )
    return root


def polyinfra(*args: str) -> list[str]:
    return [sys.executable, "-m", "polyinfra", *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC)
    return env


def run_polyinfra(
    *args: str, cwd: Path, timeout: float = 60, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        polyinfra(*args),
        cwd=cwd,
        env={**environment(), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    """The next line of ``process``'s stdout, waiting until ``deadline`` (monotonic)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            raise AssertionError("no line in time")
    return process.stdout.readline()
