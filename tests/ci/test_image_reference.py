"""One image reference per app, environment and version, whoever asks: `image-ref`, `render`,
`deploy --dry-run` (what the Cloud Run emulator receives), the generated workflows (their
find-affected step run with bash, then the build tags and the deploy step's --image arguments
read from the YAML), and the repository URLs the foundation plan exports."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun
from polyinfra.workspace.model import normalize_name
from tests.affected.conftest import REPO_ROOT, Repo, Runner

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("bash") is None or shutil.which("jq") is None,
        reason="bash and jq run the workflow steps (as on GitHub runners)",
    ),
]

APPS = ["dmd-inv-mov-api2bq", "inventory-api", "stock-webhook"]
VERSION = "1.4.2"
GCP = {"production": "data-platform-prod", "sandbox": "data-platform-sandbox"}
WORKFLOW = {"production": "deploy.yaml", "sandbox": "sandbox-deploy.yaml"}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(capsys)


@pytest.fixture
def repo(example_repo: Repo) -> Repo:
    assert main(["ci", "generate", "-w", str(example_repo.root)]) == 0
    example_repo.commit("workflows")
    return example_repo


@pytest.fixture
def cloud_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    with FakeCloudRun(ready_after=1, region="asia-southeast1") as fake:
        yield fake


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    if doc["kind"] == "Job":
        spec = spec["template"]["spec"]
    found: list[dict[str, Any]] = spec["containers"]
    return found


def from_image_ref(cli: Runner, root: Path, env: str) -> dict[str, str]:
    code, out, err = cli("image-ref", *APPS, "--env", env, "--version", VERSION, "-w", str(root))
    assert code == 0, err
    return dict(zip(APPS, out.splitlines(), strict=True))


def from_render(cli: Runner, root: Path, env: str) -> dict[str, str]:
    code, out, err = cli("render", "--env", env, "--version", VERSION, "-w", str(root))
    assert code == 0, err
    docs = [d for d in yaml.safe_load_all(out) if d]
    return {d["metadata"]["name"]: containers(d)[0]["image"] for d in docs}


def from_dry_run(cli: Runner, root: Path, env: str, fake: FakeCloudRun) -> dict[str, str]:
    """What `deploy --dry-run` says it would create, against an empty emulator."""
    code, out, err = cli(
        "deploy", "--all", "--env", env, "--version", VERSION, "--dry-run",
        "--endpoint", fake.endpoint, "-w", str(root),
    )  # fmt: skip
    assert code == 0, err
    assert fake.writes() == []
    found = {}
    for line in out.splitlines():
        head, _, image = line.partition(": create (image ")
        if image:
            found[head.rsplit(" ", 1)[1]] = image.removesuffix(")")
    return found


def from_workflow(repo: Repo, env: str, tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Run the workflow's find-affected step as written (bash, the real polyinfra), then read
    the build job's tags and the deploy step's --image arguments through the YAML."""
    workflow = yaml.safe_load(
        (repo.root / ".github" / "workflows" / WORKFLOW[env]).read_text(encoding="utf-8")
    )
    find = next(s for s in workflow["jobs"]["plan"]["steps"] if s.get("id") == "find-affected")
    outputs_file = tmp_path / f"outputs-{env}"
    outputs_file.touch()
    values = {
        "EVENT_NAME": "workflow_dispatch",
        "BEFORE": "",
        "BASE_INPUT": "",
        "BASE_SHA": repo.sha(),
        "VERSION": VERSION,
    }
    env_vars = {key: values[key] for key in find["env"]}
    if env == "sandbox":  # a pull request that touches every project's code
        repo.append("components/data_platform/inventory/core.py", "\n# change\n")
        repo.append("components/data_platform/dmd_client/core.py", "\n# change\n")
        repo.commit("touch every project")
    bin_dir = REPO_ROOT / ".venv" / "bin"
    done = subprocess.run(
        ["bash", "-e", "-c", find["run"]],
        cwd=repo.root,
        env={
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "GITHUB_OUTPUT": str(outputs_file),
            **env_vars,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in outputs_file.read_text().splitlines())

    build = workflow["jobs"]["build"]
    push = next(s for s in build["steps"] if s.get("id") == "build-push-image")
    assert push["with"]["tags"] == "${{ matrix.tags }}"
    built: dict[str, str] = {}
    for entry in json.loads(outputs["build_matrix"]):
        for tag in entry["tags"].splitlines():
            if tag.endswith(f":{VERSION}"):
                built[tag.rsplit("/", 1)[1].split(":")[0]] = tag
            assert tag.split("/", 1)[0] == entry["registry"]

    deploy = next(s for s in workflow["jobs"]["deploy"]["steps"] if s.get("id") == "deploy-apps")
    stub = tmp_path / f"stub-{env}"
    stub.mkdir()
    record = tmp_path / f"argv-{env}"
    script = stub / "polyinfra"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    ran = subprocess.run(
        ["bash", "-e", "-c", deploy["run"]],
        cwd=repo.root,
        env={
            "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}",
            "APPS": outputs["apps"],
            "IMAGES": outputs["images"],
            "VERSION": VERSION,
            "REGION": "",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    deployed = dict(
        arg.removeprefix("--image=").split("=", 1)
        for arg in record.read_text().splitlines()
        if arg.startswith("--image=")
    )
    return built, deployed


def from_plan(cli: Runner, root: Path, env: str) -> dict[str, str]:
    code, out, err = cli("plan", "--stack", env, "--json", "-w", str(root))
    assert code == 0, err
    exported = json.loads(out)["stacks"][0]["outputs"]["projects"]
    registry = {normalize_name(key): value["registry_url"] for key, value in exported.items()}
    owner = {"dmd-inv-mov-api2bq": "dmd_ingest"}  # [tool.polyinfra.apps] project in the example
    return {app: f"{registry[normalize_name(owner.get(app, app))]}/{app}:{VERSION}" for app in APPS}


@pytest.mark.parametrize("env", ["production", "sandbox"])
def test_every_path_gives_the_same_reference(
    repo: Repo, cli: Runner, cloud_run: FakeCloudRun, tmp_path: Path, env: str
) -> None:
    expected = {
        "dmd-inv-mov-api2bq": f"asia-southeast1-docker.pkg.dev/{GCP[env]}/dmd-ingest/"
        f"dmd-inv-mov-api2bq:{VERSION}",
        "inventory-api": f"asia-southeast1-docker.pkg.dev/{GCP[env]}/inventory-api/"
        f"inventory-api:{VERSION}",
        "stock-webhook": f"asia-southeast1-docker.pkg.dev/{GCP[env]}/stock-webhook/"
        f"stock-webhook:{VERSION}",
    }
    assert from_image_ref(cli, repo.root, env) == expected
    assert from_render(cli, repo.root, env) == expected
    assert from_dry_run(cli, repo.root, env, cloud_run) == expected
    assert from_plan(cli, repo.root, env) == expected
    built, deployed = from_workflow(repo, env, tmp_path)
    assert built == expected
    assert deployed == expected


def test_an_image_setting_renames_the_image_everywhere(repo: Repo, cli: Runner) -> None:
    pyproject = repo.root / "infrastructure" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + '\n[tool.polyinfra.apps."inventory-api"]\n'
        'image = "api/inventory"\n',
        encoding="utf-8",
    )
    want = (
        f"asia-southeast1-docker.pkg.dev/data-platform-prod/inventory-api/api/inventory:{VERSION}"
    )
    assert from_image_ref(cli, repo.root, "production")["inventory-api"] == want
    assert from_render(cli, repo.root, "production")["inventory-api"] == want
