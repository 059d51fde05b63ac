"""``deploy --changed`` on a git copy of the example against the emulator: exactly the apps
whose inputs changed since the commit each one runs are deployed, each with its reasons."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.release import COMMIT_ANNOTATION
from polyinfra.emulator import FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
JOB = "dmd-inv-mov-api2bq"

pytestmark = pytest.mark.slow


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.email=ci@acme.example", "-c", "user.name=ci"]
    done = subprocess.run([*command, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "first")
    return root


def deploy(root: Path, fake: FakeCloudRun, *args: str) -> int:
    return main(["deploy", "--env", "sandbox", "--endpoint", fake.endpoint, "-w", str(root), *args])


def written(fake: FakeCloudRun, since: int) -> list[str]:
    """The objects written after the first ``since`` requests, as ``<collection>/<name>``."""
    names = []
    for request in fake.requests[since:]:
        if request.is_write and request.body is not None:
            collection = "jobs" if request.body["kind"] == "Job" else "services"
            names.append(f"{collection}/{request.body['metadata']['name']}")
    return names


def touch(root: Path, path: str) -> None:
    file = root / path
    file.write_text(file.read_text() + "\n# changed\n")


def test_only_the_apps_whose_inputs_changed_are_deployed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git(repo, "rev-parse", "HEAD")
    with FakeCloudRun() as fake:
        assert deploy(repo, fake, "--all", "--version", "v1") == 0
        job = fake.get_object("jobs", PROJECT, JOB)
        assert job is not None
        assert job["metadata"]["annotations"][COMMIT_ANNOTATION] == first

        touch(repo, "components/data_platform/dmd_client/core.py")
        second = commit_all(repo, "dmd client")
        capsys.readouterr()
        before = len(fake.requests)
        assert deploy(repo, fake, "--changed", "--version", "v2") == 0
        assert written(fake, before) == [f"jobs/{JOB}"]
        err = capsys.readouterr().err
        assert "changed since the commit running in sandbox:\n  dmd-inv-mov-api2bq\n" in err
        assert (
            "    components/data_platform/dmd_client/core.py: brick "
            "components/data_platform/dmd_client changed; the project includes it\n"
        ) in err
        assert f"  unchanged: inventory-api (runs {first[:12]})" in err
        assert f"  unchanged: stock-webhook (runs {first[:12]})" in err
        job = fake.get_object("jobs", PROJECT, JOB)
        assert job is not None
        assert job["metadata"]["annotations"][COMMIT_ANNOTATION] == second

        touch(repo, "components/data_platform/inventory/core.py")
        commit_all(repo, "inventory")
        before = len(fake.requests)
        assert deploy(repo, fake, "--changed", "--version", "v3") == 0
        assert sorted(written(fake, before)) == ["services/inventory-api", "services/stock-webhook"]

        capsys.readouterr()
        before = len(fake.requests)
        assert deploy(repo, fake, "--changed", "--version", "v4") == 0
        assert written(fake, before) == []
        assert capsys.readouterr().out == (
            "nothing to deploy: every app of sandbox runs a commit whose inputs have not "
            "changed since\n"
        )


def test_an_app_not_deployed_or_not_traceable_is_deployed_with_its_reason(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLE, plain)  # outside any checkout: its deploys record no commit
    with FakeCloudRun() as fake:
        assert deploy(plain, fake, "inventory-api", "--version", "v1") == 0
        assert deploy(repo, fake, "stock-webhook", "--version", "v1") == 0
        capsys.readouterr()
        before = len(fake.requests)
        assert deploy(repo, fake, "--changed", "--version", "v2") == 0
        assert sorted(written(fake, before)) == [f"jobs/{JOB}", "services/inventory-api"]
        err = capsys.readouterr().err
        assert f"  {JOB}\n    not deployed in sandbox (job {JOB} (project {PROJECT}))\n" in err
        assert (
            "  inventory-api\n    the running version (v1) is not a commit of this repository "
            "and its deploy recorded none\n"
        ) in err


def test_changed_excludes_naming_apps(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeCloudRun() as fake:
        assert deploy(repo, fake, "--changed", "--all", "--version", "v1") == 2
        assert fake.requests == []
    assert "name apps, or pass --all or --changed: only one of them" in capsys.readouterr().err


def test_a_failed_read_of_what_runs_deploys_nothing_and_exits_1(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeCloudRun() as fake:
        fake.fail(403, method="GET", times=10, message="Permission 'run.jobs.get' denied")
        capsys.readouterr()
        assert deploy(repo, fake, "--changed", "--version", "v1") == 1
        assert fake.writes() == []
    err = capsys.readouterr().err
    assert "error: --changed: get job dmd-inv-mov-api2bq (project data-platform-sandbox): " in err
    assert err.rstrip().endswith("; nothing was deployed")


def test_a_rolled_back_service_is_deployed_to_roll_it_forward(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeCloudRun() as fake:
        assert deploy(repo, fake, "--all", "--version", "v1") == 0
        touch(repo, "components/data_platform/inventory/core.py")
        commit_all(repo, "inventory")
        assert deploy(repo, fake, "inventory-api", "--version", "v2") == 0
        first, second = fake.revisions(PROJECT, "inventory-api")
        assert (
            main(
                [
                    "rollback",
                    "inventory-api",
                    "--env",
                    "sandbox",
                    "--endpoint",
                    fake.endpoint,
                    "-w",
                    str(repo),
                ]
            )
            == 0
        )
        capsys.readouterr()
        before = len(fake.requests)
        assert deploy(repo, fake, "--changed", "--version", "v3") == 0
        assert sorted(written(fake, before)) == ["services/inventory-api", "services/stock-webhook"]
        err = capsys.readouterr().err
        assert (
            f"  inventory-api\n    rolled back: its latest revision {second} serves no traffic "
            f"({first} does); deploying rolls it forward\n"
        ) in err
