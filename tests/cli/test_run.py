"""`polyinfra run` in this process: what it refuses before anything starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import copy_example


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "data-platform")


def test_a_port_in_use(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(
            ["run", "stock-webhook", "-e", "sandbox", "--port", str(port), "-w", str(workspace)]
        )
    assert code == 2
    assert f"error: port {port} on 127.0.0.1 is not free" in capsys.readouterr().err


def test_a_bad_event_file_is_refused_before_anything_runs(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"specversion": "1.0", "id": "1"}')
    code = main(
        ["run", "stock-webhook", "-e", "sandbox", "--event", str(event), "-w", str(workspace)]
    )
    assert code == 2
    assert capsys.readouterr().err.startswith(
        f"error: {event}:1:1: the CloudEvent lacks the required attributes source, type\n"
    )
