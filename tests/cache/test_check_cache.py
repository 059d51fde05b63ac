"""`check` with a warm cache: the same report byte for byte, and a changed input (one overlay
byte, one stack value, another pulumi-gcp version) plans or renders again exactly what depends
on it."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from polyinfra.cache import Cache
from polyinfra.checks.check import check_workspace
from polyinfra.checks.report import render as render_report
from polyinfra.cli.main import main
from tests.conftest import REPO, copy_example, edit


def bench_module() -> ModuleType:
    """``benchmarks/check_bench.py``, for its workspace generator."""
    path = REPO / "benchmarks" / "check_bench.py"
    spec = importlib.util.spec_from_file_location("check_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_bench", module)
    spec.loader.exec_module(module)
    return module


def report(root: Path, cache: Cache | None) -> list[str]:
    result = check_workspace(root, cache=cache)
    return [
        *(
            render_report(result.problems, result.rules, fmt, secrets=result.secrets)
            for fmt in ("text", "json")
        ),
        f"{result.rendered} rendered, secrets {sorted(result.secrets)}",
    ]


class Calls:
    """What was planned and rendered during one check."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # the packages export functions of the same names as these modules
        run = importlib.import_module("polyinfra.foundation.plan.run")
        render = importlib.import_module("polyinfra.manifests.render")

        self.plans: list[str] = []
        self.renders: list[tuple[str, str]] = []
        plan_stack, render_apps = run.plan_stack, render.render

        def counting_plan(program_dir: Path, stack: str, **kwargs: Any) -> Any:
            self.plans.append(stack)
            return plan_stack(program_dir, stack, **kwargs)

        def counting_render(requests: Any, options: Any, **kwargs: Any) -> Any:
            self.renders.extend((r.app, r.env) for r in requests)
            return render_apps(requests, options, **kwargs)

        monkeypatch.setattr(run, "plan_stack", counting_plan)
        monkeypatch.setattr(render, "render", counting_render)

    def reset(self) -> None:
        self.plans.clear()
        self.renders.clear()


@pytest.fixture
def bench_root(tmp_path: Path) -> Path:
    root = tmp_path / "bench"
    bench_module().generate(root, 4, 2)
    return root


def test_warm_check_of_the_example_is_byte_identical(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    cache = Cache(tmp_path / "cache")
    cold = report(root, None)
    assert report(root, cache) == cold  # filling the cache
    assert any((tmp_path / "cache" / "plan").rglob("*"))
    assert report(root, cache) == cold  # from it


def test_warm_check_of_the_benchmark_workspace_is_byte_identical(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    cold = report(bench_root, None)
    assert report(bench_root, cache) == cold
    calls = Calls(monkeypatch)
    assert report(bench_root, cache) == cold
    assert calls.plans == []
    assert calls.renders == []


def test_a_warm_check_reads_the_stack_files_without_validating_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path / "ws")
    stack = root / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    stack.write_text(
        stack.read_text(encoding="utf-8").replace(
            "config:\n", "config:\n  gcp:accessToken:\n    secure: v1:c2VjcmV0LXRva2VuLXZhbHVl\n", 1
        ),
        encoding="utf-8",
    )
    cache = Cache(tmp_path / "cache")
    cold = report(root, None)
    assert "v1:c2VjcmV0LXRva2VuLXZhbHVl" in cold[-1]  # a secret the output must not show
    assert report(root, cache) == cold

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("the problems are known: nothing to validate")

    monkeypatch.setattr(check_module(), "read_stacks", no_validation)
    assert report(root, cache) == cold


def check_module() -> ModuleType:
    return importlib.import_module("polyinfra.checks.check")


def test_reading_a_cached_plan_loads_no_pulumi(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import polyinfra.foundation.plan.cached\n"
        "from polyinfra.foundation.plan import Plan, PlannedResource\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_gcp')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout == "[]\n"


def test_one_overlay_byte_renders_only_that_app_again(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    report(bench_root, cache)
    calls = Calls(monkeypatch)
    overlay = "infrastructure/cloudrun_service/svc-001/overlays/sandbox/kustomization.yaml"
    edit(bench_root, overlay, "newName: IMAGE_URL_PLACEHOLDER", "newName: IMAGE_URL_PLACEHOLDEr")
    warm = report(bench_root, cache)
    assert calls.renders == [("svc-001", "sandbox")]
    assert calls.plans == []
    assert warm == report(bench_root, None)


def test_one_base_byte_renders_the_apps_of_that_base_again(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    report(bench_root, cache)
    calls = Calls(monkeypatch)
    edit(bench_root, "infrastructure/cloudrun_job/svc-002-job-1/base/job.yaml", "3\n", "4\n")
    report(bench_root, cache)
    assert sorted(calls.renders) == [("svc-002-job-1", "production"), ("svc-002-job-1", "sandbox")]


def test_one_stack_value_plans_only_that_stack_again(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    report(bench_root, cache)
    calls = Calls(monkeypatch)
    edit(
        bench_root,
        "infrastructure/pulumi/Pulumi.sandbox.yaml",
        "display_name: Runtime identity of svc-003",
        "display_name: Runtime identity of svc-003 (changed)",
    )
    warm = report(bench_root, cache)
    assert calls.plans == ["sandbox"]
    assert calls.renders == []
    assert warm == report(bench_root, None)


def test_a_program_file_plans_every_stack_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path / "ws")
    cache = Cache(tmp_path / "cache")
    report(root, cache)
    calls = Calls(monkeypatch)
    main_py = root / "infrastructure" / "pulumi" / "__main__.py"
    main_py.write_text(main_py.read_text() + "\n# touched\n")
    report(root, cache)
    assert sorted(calls.plans) == ["production", "sandbox"]


def test_another_pulumi_gcp_version_plans_every_stack_again(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import polyinfra.foundation.plan.cached as cached

    cache = Cache(tmp_path / "cache")
    report(bench_root, cache)
    calls = Calls(monkeypatch)
    real: Callable[[str], str] = cached.package_version
    monkeypatch.setattr(
        cached, "package_version", lambda name: "99.0.0" if name == "pulumi-gcp" else real(name)
    )
    report(bench_root, cache)
    assert sorted(calls.plans) == ["production", "sandbox"]
    assert calls.renders == []


def test_a_corrupt_entry_is_not_trusted(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    cold = report(bench_root, cache)
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file():
            data = entry.read_bytes()
            entry.write_bytes(data[:-2] + b"}}")  # the same length: only the checksum tells
    calls = Calls(monkeypatch)
    assert report(bench_root, cache) == cold
    assert sorted(calls.plans) == ["production", "sandbox"]
    assert len(calls.renders) == 16  # 4 projects, 2 apps each, 2 environments


def test_check_cli_uses_the_cache_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example(tmp_path / "ws")
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("POLYINFRA_CACHE_DIR", str(folder))
    assert main(["check", str(root), "--no-cache"]) == 0
    cold = capsys.readouterr().out
    assert not folder.exists()
    assert main(["check", str(root)]) == 0
    assert capsys.readouterr().out == cold
    assert any(folder.rglob("*"))
    calls = Calls(monkeypatch)
    assert main(["check", str(root)]) == 0
    assert capsys.readouterr().out == cold
    assert calls.plans == []
    assert calls.renders == []
    for entry in folder.rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-1])
    assert main(["--debug", "check", str(root)]) == 0
    captured = capsys.readouterr()
    assert captured.out == cold
    assert "debug: cache entry" in captured.err
    assert "ignored: truncated" in captured.err
    assert main(["cache", "dir"]) == 0
    assert capsys.readouterr().out == f"{folder}\n"
    assert main(["cache", "clear"]) == 0
    assert "Removed" in capsys.readouterr().err
    assert not any(p.is_file() for p in folder.rglob("*"))


def test_rules_run_again_when_any_file_changes(
    bench_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyinfra.checks import engine

    cache = Cache(tmp_path / "cache")
    cold = report(bench_root, cache)
    runs: list[int] = []
    real = engine.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "run", counting)
    assert report(bench_root, cache) == cold
    assert runs == []  # nothing changed: the problems found before
    dockerfile = bench_root / "projects" / "svc_000" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("slim", "bookworm"))
    warm = report(bench_root, cache)
    assert runs == [1]
    assert warm == report(bench_root, None)
