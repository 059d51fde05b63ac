"""Every command on every broken copy of the example keeps the invariants: exit code 0, 1 or
2, no traceback, no secret or outside file printed, nothing written, within the time and
memory limits (see ``tests/hostile/corpus.py``; `python -m tests.hostile.corpus` prints the
totals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.corpus import CASES, COMMANDS, Case, run_case

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}: {c.name}" for c in CASES])
def test_invariants_hold(case: Case, command: str, tmp_path: Path) -> None:
    outcome = run_case(case, command, tmp_path)
    assert outcome.broken == (), f"exit {outcome.code} after {outcome.seconds:.1f} s"
