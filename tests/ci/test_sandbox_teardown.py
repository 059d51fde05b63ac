"""The teardown step of the generated sandbox workflow, run with bash outside GitHub: the real
`polyinfra affected` lists the apps of the pull request's tree and of the base branch, and a
stub `polyinfra` on PATH records what `polyinfra remove` would be asked to delete."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from polyinfra.yamlio import load_file
from tests.affected.conftest import Repo
from tests.ci.test_workflow_scripts import BASH, JQ, VENV_BIN, run_step, step

pytestmark = pytest.mark.skipif(
    BASH is None or JQ is None, reason="bash and jq run the workflow steps (as on GitHub runners)"
)

APP_FOLDER = "infrastructure/cloudrun_service/inventory-api"
ENV = {"BASE_REF": "main", "REGION": "asia-southeast1"}


@pytest.fixture
def pull_request(example_repo: Repo) -> tuple[Repo, dict[str, Any]]:
    """A pull request whose tree has the app inventory-api, checked out at its head, and the
    sandbox workflow generated for it. ``origin/main`` is set by each test."""
    from polyinfra.cli.main import main

    repo = example_repo
    assert main(["ci", "generate", "-w", str(repo.root)]) == 0
    repo.commit("add workflows")
    repo.git("checkout", "-q", "-b", "pull-request")
    workflow: dict[str, Any] = load_file(
        repo.root / ".github" / "workflows" / "sandbox-deploy.yaml"
    ).data
    return repo, step(workflow, "teardown", "remove-added-apps")


@pytest.fixture
def stub(tmp_path: Path) -> tuple[Path, Path]:
    """A `polyinfra` that records the arguments of `remove` and runs the real one otherwise."""
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    record = tmp_path / "remove.txt"
    script = folder / "polyinfra"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = remove ]; then printf "%s\\n" "$@" > "{record}"; exit 0; fi\n'
        f'exec "{VENV_BIN / "polyinfra"}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder, record


def base_without_the_app(repo: Repo) -> None:
    """``origin/main``: the base branch as it is when the pull request closes, without
    inventory-api (the pull request added it)."""
    head = repo.sha()
    repo.git("checkout", "-q", "main")
    repo.remove(APP_FOLDER)
    repo.git("update-ref", "refs/remotes/origin/main", repo.commit("main has no inventory-api"))
    repo.git("checkout", "-q", "pull-request")
    assert repo.sha() == head


def test_a_closed_pull_request_removes_only_the_apps_it_added(
    pull_request: tuple[Repo, dict[str, Any]], stub: tuple[Path, Path]
) -> None:
    repo, spec = pull_request
    base_without_the_app(repo)
    folder, record = stub
    done = run_step(spec, ENV, repo.root, [folder])
    assert done.returncode == 0, done.stderr
    assert record.read_text().splitlines() == [
        "remove",
        "inventory-api",
        "--env",
        "sandbox",
        "--yes",
        "--region",
        "asia-southeast1",
    ]


def test_a_merged_pull_request_removes_nothing(
    pull_request: tuple[Repo, dict[str, Any]], stub: tuple[Path, Path]
) -> None:
    repo, spec = pull_request
    # merged: the base branch now has every app of the pull request's tree
    repo.git("update-ref", "refs/remotes/origin/main", repo.sha())
    folder, record = stub
    done = run_step(spec, {**ENV, "REGION": ""}, repo.root, [folder])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "This pull request adds no app that main lacks: nothing to remove from sandbox."
    )
    assert not record.exists()


def test_a_base_that_cannot_be_read_removes_nothing(
    pull_request: tuple[Repo, dict[str, Any]], stub: tuple[Path, Path]
) -> None:
    repo, spec = pull_request
    folder, record = stub
    done = run_step(spec, ENV, repo.root, [folder])  # no origin/main at all
    assert done.returncode != 0
    assert "origin/main" in done.stderr
    assert not record.exists()


def test_a_base_whose_apps_cannot_be_listed_removes_nothing(
    pull_request: tuple[Repo, dict[str, Any]], stub: tuple[Path, Path]
) -> None:
    repo, spec = pull_request
    repo.git("checkout", "-q", "main")
    repo.write("infrastructure/pyproject.toml", "not = [valid toml\n")
    repo.git("update-ref", "refs/remotes/origin/main", repo.commit("broken settings"))
    repo.git("checkout", "-q", "pull-request")
    folder, record = stub
    done = run_step(spec, ENV, repo.root, [folder])
    assert done.returncode != 0
    assert "pyproject.toml" in done.stderr, done.stderr
    assert not record.exists()
