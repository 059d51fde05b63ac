"""`add` writes the spec's Dockerfile for a project that has none (from its bricks, in the
order they are listed, running what its base provides), which polyinfra's own Dockerfile rules
accept; `check` reports an app whose project has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from tests.conftest import REPO, copy_real, edit
from tests.scaffold.conftest import snapshot

HEAD = """\
FROM python:3.12-slim

# Install uv from the official image
COPY --from=ghcr.io/astral-sh/uv:0.7.8 /uv /uvx /usr/local/bin/

# The unprivileged user the app runs as
RUN useradd --create-home app

WORKDIR /app

# Dependencies first, so this layer is cached until the lock changes
COPY projects/{project}/pyproject.toml ./pyproject.toml
COPY uv.lock ./uv.lock
RUN uv sync --frozen --no-default-groups --no-install-project

# The Polylith bricks listed in projects/{project}/pyproject.toml
"""
ENV = """
ENV PATH="/app/.venv/bin:$PATH"
# The bricks import each other from /app, whatever command starts the app
ENV PYTHONPATH=/app

"""

FUNCTION_DOCKERFILE = (
    HEAD.format(project="my_gcp_function_project")
    + """\
COPY bases/example/greet_gcp_function/ ./example/greet_gcp_function/
COPY components/example/greeting/ ./example/greeting/
COPY components/example/log/ ./example/log/
"""
    + ENV
    + """\
EXPOSE 8080
USER app

# FUNCTION_TARGET, which the Cloud Run manifest sets, else handler
CMD exec functions-framework --source=example/greet_gcp_function/core.py \
--target=${FUNCTION_TARGET:-handler}
""".replace("\\\n", "")
)

# [project.scripts] consumer = "my_custom_ns.example.consumer.core:main", with top-namespace
# my_custom_ns: the image copies the bricks as they are, so the module is example.consumer.core
JOB_DOCKERFILE = (
    HEAD.format(project="consumer_project")
    + """\
COPY bases/example/consumer/ ./example/consumer/
COPY components/example/log/ ./example/log/
COPY components/example/kafka/ ./example/kafka/
"""
    + ENV
    + """\
USER app

CMD ["python", "-c", "import sys; from example.consumer.core import main; sys.exit(main())"]
"""
)


@pytest.fixture
def uv_workspace(tmp_path: Path) -> Path:
    root = copy_real("python-polylith-example-uv", tmp_path / "uv")
    assert main(["init", "--no-lock", "-w", str(root)]) == 0
    return root


def dockerfile_problems(root: Path) -> list[str]:
    return [
        f"{p.position.relative_to(root)}: {p.message} [{p.rule}]"
        for p in check_workspace(root).problems
        if "dockerfile" in p.rule
    ]


def test_function_gets_a_functions_framework_dockerfile(
    uv_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        ["add", "function", "greet", "--project", "my_gcp_function_project",
         "--target", "handler", "-w", str(uv_workspace)]
    )  # fmt: skip
    assert code == 0
    assert "create    projects/my_gcp_function_project/Dockerfile\n" in capsys.readouterr().out
    dockerfile = uv_workspace / "projects" / "my_gcp_function_project" / "Dockerfile"
    assert dockerfile.read_text() == FUNCTION_DOCKERFILE
    assert dockerfile_problems(uv_workspace) == []


def test_job_runs_the_projects_console_script_with_bricks_in_listed_order(
    uv_workspace: Path,
) -> None:
    code = main(["add", "job", "consume", "--project", "consumer_project", "-w", str(uv_workspace)])
    assert code == 0
    text = (uv_workspace / "projects" / "consumer_project" / "Dockerfile").read_text()
    assert text == JOB_DOCKERFILE
    assert dockerfile_problems(uv_workspace) == []


def test_service_serves_its_bases_app_with_the_server_it_depends_on(uv_workspace: Path) -> None:
    # the base defines `app = FastAPI()`; the project depends on fastapi and uvicorn
    (uv_workspace / "projects" / "my_fastapi_project" / "Dockerfile").unlink()
    code = main(
        ["add", "service", "greet-api", "--project", "my_fastapi_project", "-w", str(uv_workspace)]
    )
    assert code == 0
    text = (uv_workspace / "projects" / "my_fastapi_project" / "Dockerfile").read_text()
    assert text.endswith(
        "EXPOSE 8080\nUSER app\n\n"
        'CMD ["uvicorn", "example.greet_api.core:app", "--host", "0.0.0.0", "--port", "8080"]\n'
    )


def test_a_flask_service_runs_under_gunicorn(root: Path) -> None:
    (root / "projects" / "inventory_api" / "Dockerfile").unlink()
    code = main(["add", "service", "stock-api", "--project", "inventory_api", "-w", str(root)])
    assert code == 0
    text = (root / "projects" / "inventory_api" / "Dockerfile").read_text()
    assert text.startswith("FROM python:3.13-slim\n")
    assert text.endswith(
        'CMD ["gunicorn", "--bind", "0.0.0.0:8080", "data_platform.inventory_api.core:app"]\n'
    )
    assert dockerfile_problems(root) == []
    # the guide shows this very file
    guide = (REPO / "docs" / "scaffolding.md").read_text()
    start = guide.index("```dockerfile\nFROM") + len("```dockerfile\n")
    assert guide[start : guide.index("```", start)] == text


def test_a_projects_main_py_is_copied_and_run(root: Path) -> None:
    (root / "projects" / "dmd_ingest" / "Dockerfile").unlink()
    (root / "projects" / "dmd_ingest" / "main.py").write_text("print('ingest')\n")
    code = main(["add", "job", "nightly", "--project", "dmd_ingest", "-w", str(root)])
    assert code == 0
    text = (root / "projects" / "dmd_ingest" / "Dockerfile").read_text()
    assert (
        "COPY components/data_platform/settings/ ./data_platform/settings/\n"
        "COPY projects/dmd_ingest/main.py ./main.py\n\n"
    ) in text
    assert text.endswith('USER app\n\nCMD ["python", "main.py"]\n')


def test_a_base_with_no_known_entry_point_runs_its_core_module(root: Path) -> None:
    (root / "projects" / "dmd_ingest" / "Dockerfile").unlink()
    core = root / "bases" / "data_platform" / "dmd_ingest" / "core.py"
    core.write_text("def run() -> None:\n    pass\n")
    code = main(["add", "job", "nightly", "--project", "dmd_ingest", "-w", str(root)])
    assert code == 0
    text = (root / "projects" / "dmd_ingest" / "Dockerfile").read_text()
    assert text.endswith('CMD ["python", "-m", "data_platform.dmd_ingest.core"]\n')


def test_a_function_project_without_the_functions_framework_is_told(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "projects" / "dmd_ingest" / "Dockerfile").unlink()
    capsys.readouterr()
    code = main(
        ["add", "function", "hook", "--project", "dmd_ingest", "--target", "main", "-w", str(root)]
    )
    assert code == 0
    assert (
        "create    projects/dmd_ingest/Dockerfile  (functions-framework is not a dependency of "
        "projects/dmd_ingest/pyproject.toml: add it)\n"
    ) in capsys.readouterr().out
    text = (root / "projects" / "dmd_ingest" / "Dockerfile").read_text()
    assert text.endswith(
        "--source=data_platform/dmd_ingest/core.py --target=${FUNCTION_TARGET:-main}\n"
    )


def test_an_existing_dockerfile_is_kept_unless_forced(
    uv_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = uv_workspace / "projects" / "my_fastapi_project" / "Dockerfile"
    before = dockerfile.read_bytes()
    capsys.readouterr()
    args = ["add", "service", "api", "--project", "my_fastapi_project", "-w", str(uv_workspace)]
    assert main(args) == 0
    assert (
        "skip      projects/my_fastapi_project/Dockerfile  (exists; --force replaces it)\n"
        in capsys.readouterr().out
    )
    assert dockerfile.read_bytes() == before

    assert main([*args, "--force", "--dry-run"]) == 0
    assert "would replace   projects/my_fastapi_project/Dockerfile\n" in capsys.readouterr().out
    assert dockerfile.read_bytes() == before

    assert main([*args, "--force"]) == 0
    assert "replace   projects/my_fastapi_project/Dockerfile\n" in capsys.readouterr().out
    assert dockerfile.read_text().startswith("FROM python:3.12-slim\n")


def test_dry_run_writes_no_dockerfile(
    uv_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    args = ["add", "job", "consume", "--project", "consumer_project", "--dry-run"]
    assert main([*args, "-w", str(uv_workspace)]) == 0
    assert "would create    projects/consumer_project/Dockerfile\n" in capsys.readouterr().out
    assert not (uv_workspace / "projects" / "consumer_project" / "Dockerfile").exists()


def test_a_project_listing_no_brick_is_an_error_at_its_pyproject(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "projects" / "dmd_ingest" / "Dockerfile").unlink()
    pyproject = "projects/dmd_ingest/pyproject.toml"
    text = (root / pyproject).read_text()
    table = text[text.index("[tool.polylith.bricks]") :]
    edit(root, pyproject, table, "[tool.polylith.bricks]\n")
    before = snapshot(root)
    capsys.readouterr()
    assert main(["add", "job", "nightly", "--project", "dmd_ingest", "-w", str(root)]) == 2
    assert capsys.readouterr().err == (
        f"error: {root / pyproject}:15:1: project 'dmd_ingest' lists no brick, so its "
        "Dockerfile would copy no code\n"
        '  hint: list the bricks it runs under [tool.polylith.bricks] (`"../../bases/'
        'data_platform/<brick>" = "data_platform/<brick>"`), or write '
        "projects/dmd_ingest/Dockerfile yourself\n"
    )
    assert snapshot(root) == before


def test_check_reports_an_app_whose_project_has_no_dockerfile(root: Path) -> None:
    (root / "projects" / "inventory_api" / "Dockerfile").unlink()
    problems = [p for p in check_workspace(root).problems if p.rule.startswith("crossstack/")]
    assert [(str(p.position.relative_to(root)), p.rule, p.message, p.hint) for p in problems] == [
        (
            "infrastructure/cloudrun_service/inventory-api/base/kustomization.yaml:1:1",
            "crossstack/project-dockerfile",
            "app 'inventory-api' deploys project 'inventory_api', which has no Dockerfile: no "
            "workflow can build its image",
            "create projects/inventory_api/Dockerfile: `polyinfra add service inventory-api "
            "--project inventory_api --force` writes the spec's one, and rewrites the app's "
            "manifests too (see what it would write with --dry-run)",
        )
    ]


def test_the_hint_of_the_check_writes_the_dockerfile(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "projects" / "stock_webhook" / "Dockerfile").unlink()
    capsys.readouterr()
    args = ["add", "function", "stock-webhook", "--project", "stock_webhook", "--force"]
    assert main([*args, "--target", "handle_stock_event", "-w", str(root)]) == 0
    assert "create    projects/stock_webhook/Dockerfile\n" in capsys.readouterr().out
    problems = [p.rule for p in check_workspace(root).problems if p.level.name == "ERROR"]
    assert problems == []
    text = (root / "projects" / "stock_webhook" / "Dockerfile").read_text()
    assert text.endswith(
        "CMD exec functions-framework --source=data_platform/stock_webhook/core.py "
        "--target=${FUNCTION_TARGET:-handle_stock_event}\n"
    )


def test_the_hint_works_for_an_app_named_apart_from_its_project(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # [tool.polyinfra.apps."dmd-inv-mov-api2bq"] project = "dmd_ingest" is there already
    (root / "projects" / "dmd_ingest" / "Dockerfile").unlink()
    mapping = (root / "infrastructure" / "pyproject.toml").read_bytes()
    capsys.readouterr()
    args = ["add", "job", "dmd-inv-mov-api2bq", "--project", "dmd_ingest", "--force"]
    assert main([*args, "-w", str(root)]) == 0
    out = capsys.readouterr().out
    assert "create    projects/dmd_ingest/Dockerfile\n" in out
    assert "unchanged infrastructure/pyproject.toml\n" in out
    assert (root / "infrastructure" / "pyproject.toml").read_bytes() == mapping
    assert dockerfile_problems(root) == []
