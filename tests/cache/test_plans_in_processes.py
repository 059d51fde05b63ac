"""Stacks planned in processes of their own give the report planning them here gives, the
failures of the user's program included (planned again here, for the line that failed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cache import Cache
from polyinfra.checks.check import check_workspace
from polyinfra.checks.report import render as render_report
from polyinfra.foundation.plan import parallel
from tests.conftest import copy_example


def report(root: Path, cache: Cache | None = None) -> list[str]:
    result = check_workspace(root, cache=cache)
    return [
        render_report(result.problems, result.rules, fmt, secrets=result.secrets)
        for fmt in ("text", "json")
    ]


def several_cpus(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[Path, str]]]:
    """Pretend there are two CPUs; what was handed to other processes."""
    handed: list[list[tuple[Path, str]]] = []
    real = parallel.PlansInProcesses.__init__

    def recording(self: parallel.PlansInProcesses, stacks: list[tuple[Path, str]]) -> None:
        handed.append(list(stacks))
        real(self, stacks)

    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel.PlansInProcesses, "__init__", recording)
    return handed


def test_the_report_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_example(tmp_path / "ws")
    here = report(root)
    handed = several_cpus(monkeypatch)
    cache = Cache(tmp_path / "cache")
    assert report(root, cache) == here
    assert [[stack for _, stack in batch] for batch in handed] == [["sandbox"]]
    handed.clear()
    assert report(root, cache) == here  # the plan made elsewhere was cached
    assert handed == []


def test_one_cpu_plans_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_example(tmp_path / "ws")
    handed = several_cpus(monkeypatch)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 1)
    report(root)
    assert handed == []


def test_a_failing_program_is_reported_as_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path / "ws")
    main_py = root / "infrastructure" / "pulumi" / "__main__.py"
    main_py.write_text(main_py.read_text() + "\nraise RuntimeError('broken on purpose')\n")
    here = report(root)
    assert "broken on purpose" in here[0]
    several_cpus(monkeypatch)
    assert report(root) == here


def test_the_child_prints_a_plan_or_fails_quietly(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    folder = root / "infrastructure" / "pulumi"
    plans = parallel.PlansInProcesses([(folder, "sandbox"), (folder, "no-such-stack")])
    sandbox, missing = plans.results()
    assert sandbox is not None
    assert sandbox.stack == "sandbox"
    assert missing is None
