"""A long-running child: its output handed on line by line, the end of its stderr kept, and
stopping it stops what it started too."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from polyinfra import proc
from polyinfra.errors import ToolError


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_output_is_handed_on_and_the_stderr_tail_kept() -> None:
    lines: list[tuple[str, bool]] = []
    script = "echo out; for i in 1 2 3; do echo err$i >&2; done; exit 4"
    child = proc.start(["sh", "-c", script], on_line=lambda *line: lines.append(line), tail_lines=2)
    assert child.process.wait(10) == 4
    assert child.stderr_tail() == ["err2", "err3"]
    assert sorted(lines) == [("err1", True), ("err2", True), ("err3", True), ("out", False)]
    assert child.stop() == 4


def test_stop_reaches_the_childs_own_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = f"sleep 60 & echo $! > {pid_file}; wait"
    child = proc.start(["sh", "-c", script], on_line=lambda *line: None)
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    grandchild = int(pid_file.read_text())
    assert child.exit_code() is None
    assert child.stop(5) != 0
    deadline = time.monotonic() + 5
    while not gone(grandchild):
        assert time.monotonic() < deadline, "the sleep outlived the stop"
        time.sleep(0.02)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
    ready: list[str] = []
    child = proc.start(["sh", "-c", script], on_line=lambda line, _: ready.append(line))
    deadline = time.monotonic() + 10
    while not ready:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    assert child.stop(0.5) == -9
    assert 0.4 < time.monotonic() - started < 5


def test_a_missing_command() -> None:
    with pytest.raises(ToolError, match="no-such-tool: command not found"):
        proc.start(["no-such-tool"], on_line=lambda *line: None)
