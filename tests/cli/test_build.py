"""`polyinfra build`: docker buildx from the workspace root with the project's Dockerfile and
one tag per app (the `image-ref` reference); a stub `docker` on PATH records the call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import stub_executable

PROD = "asia-southeast1-docker.pkg.dev/data-platform-prod"


@pytest.fixture
def docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    record = tmp_path / "docker-calls.txt"
    stub_executable(
        folder,
        "docker",
        f'echo "$PWD" > "{record}"\nprintf "%s\\n" "$@" >> "{record}"\n'
        'if [ "$DOCKER_STUB_FAIL" = 1 ]; then echo "ERROR: failed to solve: uv.lock not found" >&2;'
        " exit 1; fi\n",
    )
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return record


def test_build_tags_each_app_reference(root: Path, docker: Path) -> None:
    code = main(["build", "inventory_api", "--env", "production", "--version", "1.4.2",
                 "--push", "-w", str(root)])  # fmt: skip
    assert code == 0
    assert docker.read_text().splitlines() == [
        str(root),
        "buildx",
        "build",
        "-f",
        "projects/inventory_api/Dockerfile",
        "-t",
        f"{PROD}/inventory-api/inventory-api:1.4.2",
        "--push",
        ".",
    ]


def test_a_failed_build_shows_docker_stderr(
    root: Path, docker: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_STUB_FAIL", "1")
    assert main(["build", "dmd_ingest", "-e", "sandbox", "--version", "1", "-w", str(root)]) == 2
    err = capsys.readouterr().err
    assert "docker buildx build failed (exit 1):\nERROR: failed to solve: uv.lock not found" in err
    assert docker.read_text().splitlines()[-2:] == ["--load", "."]


def test_bad_requests(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(root))  # no docker
    assert (
        main(["build", "inventory_api", "-e", "production", "--version", "1", "-w", str(root)]) == 2
    )
    assert "docker is not on PATH" in capsys.readouterr().err
    assert (
        main(["build", "inventory-apx", "-e", "production", "--version", "1", "-w", str(root)]) == 2
    )
    assert "no project named 'inventory-apx'" in capsys.readouterr().err
    assert main(["build", "inventory_api", "-e", "staging", "--version", "1", "-w", str(root)]) == 2
    assert (
        "no app deploys project 'inventory_api' in environment 'staging'" in capsys.readouterr().err
    )
