"""The answers on a small copy of the benchmark's workspace (benchmarks/affected_bench.py) are
the ones recorded in data/bench_workspace.json, written before workspace discovery and the
import graph were made to read less: a brick change, a project that drops a brick, a lock
bump, and a change to a base, an overlay and the docs at once.

Regenerate the file only for an intended change of answers:
    python tests/affected/test_bench_workspace.py > tests/affected/data/bench_workspace.json
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "data" / "bench_workspace.json"
BENCH = HERE.parents[1] / "benchmarks" / "affected_bench.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("affected_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answer(root: Path, base: str) -> dict[str, Any]:
    from polyinfra.affected import find_affected
    from polyinfra.manifests.links import discover_workspace

    data: dict[str, Any] = find_affected(discover_workspace(root), base).to_json()
    for key in ("base", "merge_base", "head_commit"):
        data[key] = "<sha>" if data[key] else data[key]
    return data


def answers(root: Path) -> dict[str, Any]:
    """Generate the workspace under ``root`` and answer each scenario."""
    bench = _bench()
    bench.generate(root, 12, 60, 7)
    bench.git(root, "init", "-q", "-b", "main")
    bench.git(root, "add", "-A")
    bench.git(root, "commit", "-q", "-m", "initial")
    bench.history(root, 3, 7)
    found: dict[str, Any] = {}

    def change(name: str, edits: dict[str, str | None]) -> None:
        base = bench.git(root, "rev-parse", "HEAD")
        for rel, text in edits.items():
            path = root / rel
            if text is None:
                path.unlink()
            else:
                path.write_text(text, encoding="utf-8")
        bench.git(root, "add", "-A")
        bench.git(root, "commit", "-q", "-m", name)
        found[name] = _answer(root, base)

    def appended(rel: str, line: str) -> str:
        return (root / rel).read_text(encoding="utf-8") + line

    change(
        "bricks",
        {
            f"components/bench/comp_{i:04d}/core.py": appended(
                f"components/bench/comp_{i:04d}/core.py", "# changed\n"
            )
            for i in (44, 27)
        },
    )
    pyproject = "projects/svc_003/pyproject.toml"
    lines = (root / pyproject).read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = next(i for i, line in enumerate(lines) if "components/" in line)
    brick = lines[dropped].split('"')[1].removeprefix("../../")  # also changed: still reaches
    change(
        "project drops a brick",
        {
            pyproject: "".join(lines[:dropped] + lines[dropped + 1 :]),
            f"{brick}/core.py": appended(f"{brick}/core.py", "# dropped\n"),
        },
    )
    lock = (root / "uv.lock").read_text(encoding="utf-8")
    change(
        "lock",
        {
            "uv.lock": lock.replace(
                'name = "lib-005"\nversion = "1.0.0"', 'name = "lib-005"\nversion = "1.0.1"'
            )
        },
    )
    overlay = "infrastructure/cloudrun_service/svc-007/overlays/sandbox/kustomization.yaml"
    change(
        "base, overlay and docs",
        {
            "bases/bench/svc_001/core.py": appended("bases/bench/svc_001/core.py", "# x\n"),
            overlay: appended(overlay, "# y\n"),
            "docs/page_001.md": None,
        },
    )
    return found


def test_answers_on_the_benchmark_workspace(tmp_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert answers(tmp_path / "ws") == expected


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temp:
        json.dump(answers(Path(temp) / "ws"), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
