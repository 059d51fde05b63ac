"""Stacks planned in processes of their own give the report planning them here gives, the
failures of the user's program included (planned again here, for the line that failed)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

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


def test_this_process_plans_its_stacks_while_the_others_plan_theirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path / "ws")
    several_cpus(monkeypatch)
    cached = importlib.import_module("polyinfra.foundation.plan.cached")
    planned_here: list[str] = []
    real_plan = cached.cached_plan

    def recording_plan(cache: object, program: Path, stack: str, *args: Any, **kw: Any) -> Any:
        planned_here.append(stack)
        return real_plan(cache, program, stack, *args, **kw)

    waited_after: list[list[str]] = []
    real_results = parallel.PlansInProcesses.results

    def recording_results(self: parallel.PlansInProcesses) -> Any:
        waited_after.append(list(planned_here))
        return real_results(self)

    monkeypatch.setattr(cached, "cached_plan", recording_plan)
    monkeypatch.setattr(parallel.PlansInProcesses, "results", recording_results)
    result = check_workspace(root)
    assert result.problems == []
    # production here first, then the wait for sandbox, whose plan came from the other process
    assert waited_after == [["production"]]
    assert planned_here == ["production"]


def test_a_module_beside_the_script_does_not_shadow_the_childs_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path / "ws")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "types.py").write_text("raise SystemExit('the standard library was shadowed')\n")
    monkeypatch.setattr(sys, "path", [str(scripts), *sys.path[1:]])  # a script started here
    monkeypatch.chdir(scripts)
    (plan,) = parallel.PlansInProcesses([(root / "infrastructure" / "pulumi", "sandbox")]).results()
    assert plan is not None
    assert plan.stack == "sandbox"
