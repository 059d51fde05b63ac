"""The generated CI works on its first run: python-polylith-example-uv is adopted the way the
README's "Adopting polyinfra" steps say (init with polyinfra from a wheel built here and this
machine's Python, add a service, a job and a function, ci generate), and the generated check
workflow's install and check steps are run with bash exactly as written: the real uv, the
lock `init` made, the built wheel, the package index this machine reaches."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from polyinfra.cli.main import main
from tests.affected.conftest import Repo
from tests.conftest import REPO, copy_real

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


README_WHEEL = "dist/polyinfra-0.1.0-py3-none-any.whl"


def readme_commands() -> list[list[str]]:
    """The commands of the README's first "Adopting polyinfra" step, as arguments after
    `polyinfra`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Adopting polyinfra") :]
    block = section[section.index("```bash\n") + len("```bash\n") : section.index("```\n", 10)]
    lines = block.replace("\\\n", " ").splitlines()
    commands = [shlex.split(line) for line in lines if line.strip()]
    assert all(command[0] == "polyinfra" for command in commands)
    assert [c[1] for c in commands] == ["init", "add", "add", "add", "ci"]
    return [command[1:] for command in commands]


def steps(workflow: Path, job: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    return {step["name"]: step for step in data["jobs"][job]["steps"]}


#: What the runner puts for the expressions of the steps run here (a pull request's).
CONTEXT = {
    "github.server_url": "https://github.com",
    "github.repository": "acme/python-polylith-example-uv",
    "github.event.pull_request.head.sha": "0123456789abcdef0123456789abcdef01234567",
}
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def expand(value: str) -> str:
    """``value`` with its ``${{ ... }}`` expressions as the runner fills them (KeyError for an
    expression this test does not know: the step needs more than a pull request gives)."""
    return _EXPRESSION.sub(lambda m: CONTEXT[m.group(1)], value)


def run_step(step: dict[str, Any], cwd: Path, path: list[str], github: Path) -> str:
    """The step's `run:` with bash -e, as GitHub runs it; returns stdout. $GITHUB_PATH lines
    are appended to ``path`` for the steps after it, as the runner does."""
    github_path = github / "path"
    github_path.touch()
    assert "${{" not in step["run"]  # the generator passes values through env
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env={
            "PATH": os.pathsep.join(path),
            "HOME": os.environ.get("HOME", "/tmp"),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary"),
            "UV_PYTHON_DOWNLOADS": "never",  # this machine's Python, not one from the network
            # the certificate authorities the machine trusts, as a runner's are
            **{k: v for k, v in os.environ.items() if k in ("SSL_CERT_FILE", "SSL_CERT_DIR")},
            **{name: expand(str(value)) for name, value in step.get("env", {}).items()},
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert done.returncode == 0, f"{step['name']} failed:\n{done.stdout}\n{done.stderr}"
    path[:0] = reversed(github_path.read_text().splitlines())
    github_path.write_text("")
    return done.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="the workflow steps are bash")
def test_the_generated_check_workflow_passes_on_its_first_run(
    tmp_path: Path, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (wheel,) = dist.glob("polyinfra-*.whl")
    repo = Repo(copy_real("python-polylith-example-uv", tmp_path / "workspace"))
    repo.init().commit("as published")

    # The README's steps, with the real uv on PATH so that init locks: the built wheel and
    # this machine's Python in place of the README's.
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    for command in readme_commands():
        args = [str(wheel) if arg == README_WHEEL else arg for arg in command]
        if "--python" in args:
            args[args.index("--python") + 1] = PYTHON
        assert main([*args, "-w", str(repo.root)]) == 0, args
    assert (repo.root / "infrastructure" / "uv.lock").is_file()
    repo.commit("adopt polyinfra")

    # A clean runner: no polyinfra, only uv (setup-uv) and Python (setup-python).
    runner_bin = tmp_path / "runner-bin"
    runner_bin.mkdir()
    (runner_bin / "uv").symlink_to(VENV_BIN / "uv")
    (runner_bin / "python3").symlink_to(sys.executable)
    path = [str(runner_bin), "/usr/bin", "/bin"]
    github = tmp_path / "github"
    github.mkdir()
    check = steps(repo.root / ".github" / "workflows" / "check.yaml", "check")

    run_step(check["Install polyinfra"], repo.root, path, github)
    installed = repo.root / "infrastructure" / ".venv" / "bin" / "polyinfra"
    assert path[0] == str(installed.parent)
    assert installed.is_file()

    out = run_step(check["Check workspace"], repo.root, path, github)
    assert "::error" not in out
    # the reviewers' report, in the job summary, links the finding on the pull request's head
    summary = (github / "summary").read_text(encoding="utf-8")
    assert summary.startswith("### polyinfra check: production, sandbox\n")
    blob = f"https://github.com/acme/python-polylith-example-uv/blob/{'0123456789abcdef' * 2}"
    assert f"]({blob}01234567/projects/message_fastapi_project/Dockerfile#L1)" in summary
