"""`plan` leaves no event loop open: the SDK's loops (the main one and one per mock-monitor
thread) are closed after each run, so the interpreter's teardown has nothing to close and
prints nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from polyinfra.foundation.plan import plan_stack

pytestmark = pytest.mark.slow


def test_no_loop_is_left_open_in_the_process(example_path: Path) -> None:
    plan_stack(example_path / "infrastructure" / "pulumi", "sandbox")
    policy = asyncio.get_event_loop_policy()
    with pytest.raises(RuntimeError, match="no current event loop"):
        policy.get_event_loop()
    # and a second run in the same process works
    assert plan_stack(example_path / "infrastructure" / "pulumi", "sandbox").resources


def test_teardown_prints_nothing(example_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-m", "polyinfra", "plan"],
        cwd=example_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "unclosed event loop" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert "Traceback" not in done.stderr
