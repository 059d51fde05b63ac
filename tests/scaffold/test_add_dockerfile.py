"""`add` writes the spec's Dockerfile for a project that has none (from its bricks), which
polyinfra's own Dockerfile rules accept; `check` reports an app whose project has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from tests.conftest import copy_real

FUNCTION_DOCKERFILE = """\
FROM python:3.12-slim

# Install uv from the official image
COPY --from=ghcr.io/astral-sh/uv:0.7.8 /uv /uvx /usr/local/bin/

WORKDIR /app

# Dependencies first, so this layer is cached until the lock changes
COPY projects/my_gcp_function_project/pyproject.toml ./pyproject.toml
COPY uv.lock ./uv.lock
RUN uv sync --frozen --no-default-groups --no-install-project

# The Polylith bricks listed in projects/my_gcp_function_project/pyproject.toml
COPY bases/example/greet_gcp_function/ ./example/greet_gcp_function/
COPY components/example/greeting/ ./example/greeting/
COPY components/example/log/ ./example/log/

ENV PATH="/app/.venv/bin:$PATH"

ENV PORT=8080
EXPOSE 8080

# FUNCTION_TARGET is set by the Cloud Run manifest
CMD exec functions-framework --source=example/greet_gcp_function/core.py \
--target=${FUNCTION_TARGET} --port=${PORT}
""".replace("\\\n", "")


@pytest.fixture
def uv_workspace(tmp_path: Path) -> Path:
    root = copy_real("python-polylith-example-uv", tmp_path / "uv")
    assert main(["init", "--no-lock", "-w", str(root)]) == 0
    return root


def test_function_gets_a_functions_framework_dockerfile(
    uv_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        ["add", "function", "greet", "--project", "my_gcp_function_project",
         "-w", str(uv_workspace)]
    )  # fmt: skip
    assert code == 0
    assert "create    projects/my_gcp_function_project/Dockerfile" in capsys.readouterr().out
    dockerfile = uv_workspace / "projects" / "my_gcp_function_project" / "Dockerfile"
    assert dockerfile.read_text() == FUNCTION_DOCKERFILE
    found = [p for p in check_workspace(uv_workspace).problems if "dockerfile" in p.rule]
    assert found == []


def test_an_existing_dockerfile_is_kept(uv_workspace: Path) -> None:
    dockerfile = uv_workspace / "projects" / "my_fastapi_project" / "Dockerfile"
    before = dockerfile.read_bytes()
    code = main(
        ["add", "service", "api", "--project", "my_fastapi_project", "-w", str(uv_workspace)]
    )
    assert code == 0
    assert dockerfile.read_bytes() == before


def test_job_without_main_runs_its_base(uv_workspace: Path) -> None:
    code = main(["add", "job", "consume", "--project", "consumer_project", "-w", str(uv_workspace)])
    assert code == 0
    text = (uv_workspace / "projects" / "consumer_project" / "Dockerfile").read_text()
    assert text.endswith('CMD ["python", "-m", "example.consumer.core"]\n')


def test_check_reports_an_app_whose_project_has_no_dockerfile(root: Path) -> None:
    (root / "projects" / "inventory_api" / "Dockerfile").unlink()
    problems = [p for p in check_workspace(root).problems if p.rule.startswith("crossstack/")]
    assert [(str(p.position.relative_to(root)), p.rule, p.message) for p in problems] == [
        (
            "infrastructure/cloudrun_service/inventory-api/base/kustomization.yaml:1:1",
            "crossstack/project-dockerfile",
            "app 'inventory-api' deploys project 'inventory_api', which has no Dockerfile: no "
            "workflow can build its image",
        )
    ]
