"""`polyinfra build`: docker buildx from the workspace root with the project's Dockerfile and
one tag per app (the `image-ref` reference); a stub `docker` on PATH records the call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import stub_executable

PROD = "asia-southeast1-docker.pkg.dev/data-platform-prod"
SANDBOX = "asia-southeast1-docker.pkg.dev/data-platform-sandbox"


@pytest.fixture
def docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stub docker: records its working folder and arguments, prints progress on stderr,
    and fails like a broken build when DOCKER_STUB_FAIL=1."""
    record = tmp_path / "docker-calls.txt"
    stub_executable(
        tmp_path / "bin",
        "docker",
        f'echo "$PWD" > "{record}"\nprintf "%s\\n" "$@" >> "{record}"\n'
        'echo "#1 [internal] load build definition from Dockerfile" >&2\n'
        'if [ "$DOCKER_STUB_FAIL" = 1 ]; then\n'
        '  echo "ERROR: failed to solve: uv.lock: not found" >&2; exit 17\n'
        "fi\n",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return record


def test_build_tags_each_app_reference(
    root: Path, docker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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
    captured = capsys.readouterr()
    assert captured.out == (
        f"building inventory_api for production: {PROD}/inventory-api/inventory-api:1.4.2\n"
    )
    assert captured.err == "#1 [internal] load build definition from Dockerfile\n"


def test_every_app_of_the_project_in_the_environment_is_a_tag(
    root: Path, docker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", "job", "stock-refresh", "--project", "inventory-api", "-e", "sandbox",
                 "-w", str(root)]) == 0  # fmt: skip
    capsys.readouterr()
    # `-` and `_` alike in the project's name; stock-refresh has only a sandbox overlay
    assert main(["build", "inventory-api", "-e", "sandbox", "--version", "2", "-w", str(root)]) == 0
    assert docker.read_text().splitlines()[4:] == [
        "projects/inventory_api/Dockerfile",
        "-t",
        f"{SANDBOX}/inventory-api/inventory-api:2",
        "-t",
        f"{SANDBOX}/inventory-api/stock-refresh:2",
        "--load",
        ".",
    ]
    assert main(["build", "inventory_api", "-e", "production", "--version", "2",
                 "-w", str(root)]) == 0  # fmt: skip
    assert docker.read_text().splitlines()[5:8] == [
        "-t",
        f"{PROD}/inventory-api/inventory-api:2",
        "--load",
    ]


def test_a_failed_build_shows_docker_stderr_and_exits_2(
    root: Path, docker: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_STUB_FAIL", "1")
    assert main(["build", "dmd_ingest", "-e", "sandbox", "--version", "1", "-w", str(root)]) == 2
    err = capsys.readouterr().err
    stub = Path(docker.parent / "bin" / "docker")
    assert err == (
        "#1 [internal] load build definition from Dockerfile\n"
        "ERROR: failed to solve: uv.lock: not found\n"
        f"error: {root / 'projects' / 'dmd_ingest' / 'Dockerfile'}: building dmd_ingest: "
        f"`{stub} buildx build -f projects/dmd_ingest/Dockerfile -t "
        f"{SANDBOX}/dmd-ingest/dmd-inv-mov-api2bq:1 --load .` failed with exit code 17:\n"
        "  #1 [internal] load build definition from Dockerfile\n"
        "  ERROR: failed to solve: uv.lock: not found\n"
        "  hint: docker's output above shows the failing step; `docker buildx version` checks "
        "that the buildx plugin is installed\n"
    )


def test_docker_missing_from_path(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(root))  # no docker
    code = main(["build", "inventory_api", "-e", "production", "--version", "1", "-w", str(root)])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: docker is not on PATH\n"
        "  hint: install Docker with the buildx plugin (CI builds with "
        "docker/build-push-action)\n"
    )


def test_bad_requests(
    root: Path, docker: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def build(project: str, env: str) -> int:
        return main(["build", project, "-e", env, "--version", "1", "-w", str(root)])

    assert build("inventory-apx", "production") == 2
    assert "no project named 'inventory-apx' (did you mean" in capsys.readouterr().err
    assert build("inventory_api", "staging") == 2
    assert capsys.readouterr().err == (
        f"error: {root / 'projects' / 'inventory_api'}: no app deploys project 'inventory_api' "
        "in environment 'staging', so its image has no reference to be tagged with\n"
        "  hint: its apps: inventory-api in production, sandbox\n"
    )
    (root / "projects" / "inventory_api" / "Dockerfile").unlink()
    assert build("inventory_api", "production") == 2
    assert "project 'inventory_api' has no Dockerfile to build" in capsys.readouterr().err
    assert not docker.exists()  # docker never ran
