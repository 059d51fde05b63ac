"""Running one `run:` step of a generated workflow with bash, as a GitHub runner does (`bash -e`
on the script file, the step's env and nothing of ours), and reading what it wrote to the
runner's files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from polyinfra.yamlio import load_file

BASH = shutil.which("bash")
JQ = shutil.which("jq")
CURL = shutil.which("curl")


def generated(root: Path) -> dict[str, dict[str, Any]]:
    """`polyinfra ci generate` in ``root``: each workflow's document by file name."""
    from polyinfra.cli.main import main

    assert main(["ci", "generate", "-w", str(root)]) == 0
    return {
        path.name: load_file(path).data
        for path in sorted((root / ".github" / "workflows").glob("*.yaml"))
    }


def find_step(doc: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in doc["jobs"][job]["steps"] if s.get("id") == step_id)
    return found


def run_script(
    step: dict[str, Any],
    env: dict[str, str],
    cwd: Path,
    path: tuple[Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``step``'s script. ``env`` holds a value for each of the step's env keys (the test
    says what each expression is) and the runner's own variables the step reads."""
    missing = set(step.get("env", {})) - set(env)
    assert not missing, f"no value for {sorted(missing)}"
    assert BASH is not None
    script = cwd / ".step.sh"
    script.write_text(step["run"])
    try:
        return subprocess.run(
            [BASH, "--noprofile", "--norc", "-e", str(script)],
            cwd=cwd,
            env={
                "PATH": os.pathsep.join([*map(str, path), os.environ["PATH"]]),
                "HOME": os.environ.get("HOME", "/tmp"),
                **env,
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        script.unlink()


def read_outputs(path: Path) -> dict[str, str]:
    """The step outputs of a ``$GITHUB_OUTPUT`` file, read as the runner reads it:
    ``name=value`` lines, and ``name<<DELIMITER`` ... ``DELIMITER`` blocks whose lines are
    joined with newlines."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for row in lines:
                if row == delimiter:
                    break
                value.append(row)
            else:
                raise AssertionError(f"{name}: no line {delimiter!r} ends the value")
            outputs[name] = "\n".join(value)
        else:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs
