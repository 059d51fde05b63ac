"""The shell steps of the generated deploy workflow, run with bash outside GitHub: the real
`polyinfra affected` writes $GITHUB_OUTPUT, and the deploy step's command line is recorded
by a stub `polyinfra` on PATH."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from polyinfra.yamlio import load_file
from tests.affected.conftest import REPO_ROOT, Repo

BASH = shutil.which("bash")
JQ = shutil.which("jq")
VENV_BIN = REPO_ROOT / ".venv" / "bin"
PROD = "asia-southeast1-docker.pkg.dev/data-platform-prod"

pytestmark = pytest.mark.skipif(
    BASH is None or JQ is None, reason="bash and jq run the workflow steps (as on GitHub runners)"
)


def step(workflow: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id
    )
    return found


def run_step(
    spec: dict[str, Any], env: dict[str, str], cwd: Path, path: list[Path]
) -> subprocess.CompletedProcess[str]:
    # The step's env keys are exactly the ones the test provides values for.
    assert set(spec.get("env", {})) == set(env) - {"GITHUB_OUTPUT"}
    assert BASH is not None
    return subprocess.run(
        [BASH, "-e", "-c", spec["run"]],
        cwd=cwd,
        env={
            "PATH": os.pathsep.join([*map(str, path), os.environ["PATH"]]),
            "HOME": os.environ.get("HOME", "/tmp"),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.fixture
def repo_with_workflows(example_repo: Repo) -> tuple[Repo, dict[str, Any]]:
    from polyinfra.cli.main import main

    assert main(["ci", "generate", "-w", str(example_repo.root)]) == 0
    example_repo.commit("add workflows")
    workflow: dict[str, Any] = load_file(
        example_repo.root / ".github" / "workflows" / "deploy.yaml"
    ).data
    return example_repo, workflow


@pytest.fixture
def stub_polyinfra(tmp_path: Path) -> tuple[Path, Path]:
    """A `polyinfra` that records its arguments, one per line."""
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    record = tmp_path / "argv.txt"
    script = folder / "polyinfra"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder, record


def test_push_builds_changed_projects_and_deploys_with_the_right_images(
    repo_with_workflows: tuple[Repo, dict[str, Any]],
    stub_polyinfra: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    repo, workflow = repo_with_workflows
    before = repo.sha()
    repo.append("components/data_platform/inventory/core.py", "\n# change\n")
    repo.append(
        "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/production/kustomization.yaml",
        "# retries\n",
    )
    sha = repo.commit("inventory and job overlay")

    outputs_file = tmp_path / "github_output"
    outputs_file.touch()
    found = run_step(
        step(workflow, "plan", "find-affected"),
        {
            "EVENT_NAME": "push",
            "BEFORE": before,
            "BASE_INPUT": "",
            "VERSION": sha,
            "GITHUB_OUTPUT": str(outputs_file),
        },
        repo.root,
        [VENV_BIN],
    )
    assert found.returncode == 0, found.stderr
    outputs = read_outputs(outputs_file)
    # One build per project, tagged with its app's reference at the version and at main.
    assert json.loads(outputs["build_matrix"]) == [
        {
            "dockerfile": "projects/inventory_api/Dockerfile",
            "project": "inventory_api",
            "registry": "asia-southeast1-docker.pkg.dev",
            "tags": f"{PROD}/inventory-api/inventory-api:{sha}\n"
            f"{PROD}/inventory-api/inventory-api:main",
        },
        {
            "dockerfile": "projects/stock_webhook/Dockerfile",
            "project": "stock_webhook",
            "registry": "asia-southeast1-docker.pkg.dev",
            "tags": f"{PROD}/stock-webhook/stock-webhook:{sha}\n"
            f"{PROD}/stock-webhook/stock-webhook:main",
        },
    ]
    assert outputs["apps"] == '["dmd-inv-mov-api2bq","inventory-api","stock-webhook"]'

    stub, record = stub_polyinfra
    deploy = step(workflow, "deploy", "deploy-apps")
    done = run_step(
        deploy,
        {
            "APPS": outputs["apps"],
            "IMAGES": outputs["images"],
            "VERSION": sha,
            "REGION": "",
        },
        repo.root,
        [stub],
    )
    assert done.returncode == 0, done.stderr
    assert record.read_text().splitlines() == [
        "deploy",
        "dmd-inv-mov-api2bq",
        "inventory-api",
        "stock-webhook",
        "--env",
        "production",
        "--version",
        sha,
        # Only the overlay changed: the job keeps the image main last released.
        f"--image=dmd-inv-mov-api2bq={PROD}/dmd-ingest/dmd-inv-mov-api2bq:main",
        f"--image=inventory-api={PROD}/inventory-api/inventory-api:{sha}",
        f"--image=stock-webhook={PROD}/stock-webhook/stock-webhook:{sha}",
    ]


def test_first_push_deploys_everything_not_nothing(
    repo_with_workflows: tuple[Repo, dict[str, Any]], tmp_path: Path
) -> None:
    repo, workflow = repo_with_workflows
    outputs_file = tmp_path / "github_output"
    outputs_file.touch()
    found = run_step(
        step(workflow, "plan", "find-affected"),
        {
            "EVENT_NAME": "push",
            "BEFORE": "0" * 40,
            "BASE_INPUT": "",
            "VERSION": repo.sha(),
            "GITHUB_OUTPUT": str(outputs_file),
        },
        repo.root,
        [VENV_BIN],
    )
    assert found.returncode == 0, found.stderr
    assert "reporting everything as affected (--fallback all)" in found.stderr
    outputs = read_outputs(outputs_file)
    assert outputs["everything"] == "true"
    assert outputs["apps"] == '["dmd-inv-mov-api2bq","inventory-api","stock-webhook"]'


def test_dispatch_without_base_deploys_every_app_with_a_region(
    repo_with_workflows: tuple[Repo, dict[str, Any]],
    stub_polyinfra: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    repo, workflow = repo_with_workflows
    outputs_file = tmp_path / "github_output"
    outputs_file.touch()
    found = run_step(
        step(workflow, "plan", "find-affected"),
        {
            "EVENT_NAME": "workflow_dispatch",
            "BEFORE": "",
            "BASE_INPUT": "",
            "VERSION": "v1",
            "GITHUB_OUTPUT": str(outputs_file),
        },
        repo.root,
        [VENV_BIN],
    )
    assert found.returncode == 0, found.stderr
    outputs = read_outputs(outputs_file)
    assert outputs["rebuild"] == '["dmd-inv-mov-api2bq","inventory-api","stock-webhook"]'

    stub, record = stub_polyinfra
    done = run_step(
        step(workflow, "deploy", "deploy-apps"),
        {
            "APPS": outputs["apps"],
            "IMAGES": outputs["images"],
            "VERSION": "v1",
            "REGION": "asia-southeast1",
        },
        repo.root,
        [stub],
    )
    assert done.returncode == 0, done.stderr
    assert record.read_text().splitlines()[-2:] == ["--region", "asia-southeast1"]


def test_bad_base_on_dispatch_fails_the_step(
    repo_with_workflows: tuple[Repo, dict[str, Any]], tmp_path: Path
) -> None:
    repo, workflow = repo_with_workflows
    outputs_file = tmp_path / "github_output"
    outputs_file.touch()
    found = run_step(
        step(workflow, "plan", "find-affected"),
        {
            "EVENT_NAME": "workflow_dispatch",
            "BEFORE": "",
            "BASE_INPUT": "no-such-tag",
            "VERSION": "v1",
            "GITHUB_OUTPUT": str(outputs_file),
        },
        repo.root,
        [VENV_BIN],
    )
    assert found.returncode == 2
    assert "the base ref 'no-such-tag' is not a commit in this repository" in found.stderr
    assert outputs_file.read_text() == ""
