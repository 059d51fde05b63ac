"""Change detection on workspaces other people wrote (``../shared/realrepos``): each is copied
into a fresh repository and committed as published, a script makes one change and commits it,
and `affected --base HEAD~1` gives the exact text and JSON answers. Where `poly diff` answers
the same question, it agrees on the projects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.affected.conftest import Repo, Runner, answer, poly_diff, reason
from tests.conftest import REPO

REALREPOS = REPO.parent / "shared" / "realrepos"
MICROSERVICES = "python-polylith-microservices-example"
UV_EXAMPLE = "python-polylith-example-uv"
SPEC_LITERAL = "spec-literal-workspace"
SINGLE_APP = "spec-single-app-overlays"
BOTH_ENVS = ["production", "sandbox"]
POETRY_LOCK_IGNORED = (
    "Poetry lock of the development environment at the workspace root: projects are built "
    "from their own pyproject.toml (poetry build-project) and no Dockerfile copies it"
)
SCHEMA_IGNORED = (
    "JSON Schema of the stack files for editors (written by `polyinfra init` and "
    "`polyinfra schema`): the Pulumi program does not read it"
)


def real_file(name: str, rel: str) -> Path:
    """A file of a real repository as its authors wrote it (skips when shared/ is absent)."""
    path = REALREPOS / name / rel
    if not path.exists():
        pytest.skip(f"{path} is absent (CI places a copy of shared/ beside the clone)")
    return path


def published(tmp_path: Path, name: str, extra: dict[str, str] | None = None) -> Repo:
    """The real workspace ``name`` as the first commit of a new repository, with ``extra``
    files written first (a scripted starting point)."""
    source = REALREPOS / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent (CI places a copy of shared/ beside the clone)")
    repo = Repo(tmp_path / name)
    shutil.copytree(source, repo.root)
    for rel, text in (extra or {}).items():
        repo.write(rel, text)
    repo.init().commit("as published")
    return repo


def text(cli: Runner, repo: Repo, *args: str) -> list[str]:
    code, out, err = cli("affected", "-w", str(repo.root), "--base", "HEAD~1", *args)
    assert code == 0, err
    return out.splitlines()


def span(repo: Repo) -> str:
    return f"Changes {repo.sha('HEAD~1')[:12]}..{repo.sha()[:12]}:"


def expected(repo: Repo, **parts: Any) -> dict[str, Any]:
    return answer(repo, "HEAD~1", merge_base=repo.sha("HEAD~1"), **parts)


def bump(repo: Repo, rel: str, old: str, new: str) -> None:
    repo.replace(rel, old, new)
    repo.commit(f"bump in {rel}")


def app(
    name: str,
    kind: str,
    project: str | None,
    action: str,
    envs: list[str],
    reasons: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "project": project,
        "action": action,
        "environments": envs,
        "reasons": reasons,
    }


# -- Poetry: python-polylith-microservices-example


def test_poetry_brick_used_by_every_project_prints_its_reason_once(
    tmp_path: Path, cli: Runner
) -> None:
    repo = published(tmp_path, MICROSERVICES)
    path = "bases/mousetrap/job_queue/core.py"
    repo.append(path, "\n# tuning\n")
    repo.commit("job_queue")
    includes = "brick bases/mousetrap/job_queue changed; the project includes it"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {path}: {includes}",
        "foundation: unchanged",
        "bricks: 5",
        "  bases/mousetrap/api (imports a changed brick)",
        "  bases/mousetrap/job_queue",
        "  components/mousetrap/run_fetch_worker (imports a changed brick)",
        "  components/mousetrap/run_processing_worker (imports a changed brick)",
        "  components/mousetrap/start_fetch_worker (imports a changed brick)",
        "projects: 3",
        "  api_app [1]",
        "  worker_1 [1]",
        "  worker_2 [1]",
        "apps: 0",
    ]

    def dependent(name: str, route: str) -> dict[str, Any]:
        why = f"imports changed brick bases/mousetrap/job_queue ({route})"
        return {"name": name, "changed": False, "reasons": [reason(path, why)]}

    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        bricks=[
            dependent(
                "bases/mousetrap/api",
                "bases/mousetrap/api -> components/mousetrap/start_fetch_worker -> "
                "bases/mousetrap/job_queue",
            ),
            {
                "name": "bases/mousetrap/job_queue",
                "changed": True,
                "reasons": [reason(path, "brick bases/mousetrap/job_queue changed")],
            },
            dependent(
                "components/mousetrap/run_fetch_worker",
                "components/mousetrap/run_fetch_worker -> bases/mousetrap/job_queue",
            ),
            dependent(
                "components/mousetrap/run_processing_worker",
                "components/mousetrap/run_processing_worker -> bases/mousetrap/job_queue",
            ),
            dependent(
                "components/mousetrap/start_fetch_worker",
                "components/mousetrap/start_fetch_worker -> bases/mousetrap/job_queue",
            ),
        ],
        projects=[
            {"name": name, "reasons": [reason(path, includes)]}
            for name in ("api_app", "worker_1", "worker_2")
        ],
    )
    assert poly_diff(repo, "HEAD~1") == (0, "api_app,worker_1,worker_2")


def test_poetry_root_lock_is_development_only(tmp_path: Path, cli: Runner) -> None:
    """The workspace's only poetry.lock is the root project's; each project's Dockerfile
    installs the wheel `poetry build-project` builds from the project's own pyproject.toml."""
    repo = published(tmp_path, MICROSERVICES)
    assert sorted(p.name for p in repo.root.rglob("poetry.lock")) == ["poetry.lock"]
    bump(
        repo, "poetry.lock", 'name = "pika"\nversion = "1.3.1"', 'name = "pika"\nversion = "1.3.2"'
    )

    assert text(cli, repo) == [
        span(repo),
        "nothing affected",
        "ignored: 1 path(s)",
        f"  poetry.lock: {POETRY_LOCK_IGNORED}",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo, ignored=[reason("poetry.lock", POETRY_LOCK_IGNORED)]
    )


def test_poetry_root_lock_copied_by_a_project_dockerfile_rebuilds_that_project(
    tmp_path: Path, cli: Runner
) -> None:
    dockerfile = real_file(MICROSERVICES, "projects/worker_1/Dockerfile").read_text()
    exporting = dockerfile.replace(
        "COPY ./dist/$wheel /code/$wheel\n",
        "COPY ./dist/$wheel /code/$wheel\nCOPY pyproject.toml poetry.lock /code/\n",
    )
    assert exporting != dockerfile
    repo = published(tmp_path, MICROSERVICES, {"projects/worker_1/Dockerfile": exporting})
    bump(
        repo, "poetry.lock", 'name = "pika"\nversion = "1.3.1"', 'name = "pika"\nversion = "1.3.2"'
    )
    why = "projects/worker_1/Dockerfile:7 copies it into the project's image"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] poetry.lock: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 1",
        "  worker_1 [1]",
        "apps: 0",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo, projects=[{"name": "worker_1", "reasons": [reason("poetry.lock", why)]}]
    )


def test_poetry_root_lock_copied_by_the_shared_dockerfile_rebuilds_every_project(
    tmp_path: Path, cli: Runner
) -> None:
    shared = "FROM python:3.11-slim\nWORKDIR /code\nCOPY . /code\nRUN pip install poetry\n"
    repo = published(tmp_path, MICROSERVICES, {"Dockerfile": shared})
    bump(
        repo, "poetry.lock", 'name = "pika"\nversion = "1.3.1"', 'name = "pika"\nversion = "1.3.2"'
    )
    why = "Dockerfile:3 copies it into the image, and every project is built with that Dockerfile"

    result = cli.json(repo, "--base", "HEAD~1")
    assert result == expected(
        repo,
        projects=[
            {"name": name, "reasons": [reason("poetry.lock", why)]}
            for name in ("api_app", "worker_1", "worker_2")
        ],
    )


def test_poetry_docs_change_affects_nothing(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, MICROSERVICES)
    repo.append("README.md", "\nMore words.\n")
    repo.append("TUTORIAL_1.md", "\nMore words.\n")
    repo.commit("docs")

    assert text(cli, repo) == [
        span(repo),
        "nothing affected",
        "ignored: 2 path(s)",
        "  README.md: matches ignore pattern '*.md'",
        "  TUTORIAL_1.md: matches ignore pattern '*.md'",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        ignored=[
            reason("README.md", "matches ignore pattern '*.md'"),
            reason("TUTORIAL_1.md", "matches ignore pattern '*.md'"),
        ],
    )
    assert poly_diff(repo, "HEAD~1") == (0, "")


def test_unowned_files_affect_everything_each_printed_once(tmp_path: Path, cli: Runner) -> None:
    """Docker Compose files and a build script at the root: polyinfra cannot tell what they
    feed, so everything is affected, and the text names each path once, not per project."""
    repo = published(tmp_path, MICROSERVICES)
    repo.append("deploy/local.yml", "# tuning\n")
    repo.append("deploy/development.yml", "# tuning\n")
    repo.append("build_projects.sh", "# tuning\n")
    repo.commit("delivery files")
    unowned = (
        "not owned by a brick, project, app or stack and not ignored, so it may affect "
        "everything (list it under [tool.polyinfra.affected] ignore if it does not)"
    )
    paths = ["build_projects.sh", "deploy/development.yml", "deploy/local.yml"]

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        *(f"  [{n}] {path}: {unowned}" for n, path in enumerate(paths, 1)),
        "everything is affected [1-3]",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 3",
        "  api_app",
        "  worker_1",
        "  worker_2",
        "apps: 0",
    ]
    reasons = [reason(path, unowned) for path in paths]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        everything=True,
        everything_reasons=reasons,
        projects=[
            {"name": name, "reasons": reasons} for name in ("api_app", "worker_1", "worker_2")
        ],
    )


# -- uv: python-polylith-example-uv


def test_uv_brick_change(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, UV_EXAMPLE)
    path = "components/example/greeting/core.py"
    repo.append(path, "\n# tuning\n")
    repo.commit("greeting")
    includes = "brick components/example/greeting changed; the project includes it"
    projects = ["my_aws_lambda_project", "my_fastapi_project", "my_gcp_function_project"]

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {path}: {includes}",
        "foundation: unchanged",
        "bricks: 4",
        "  bases/example/greet_api (imports a changed brick)",
        "  bases/example/greet_aws_lambda (imports a changed brick)",
        "  bases/example/greet_gcp_function (imports a changed brick)",
        "  components/example/greeting",
        "projects: 3",
        *(f"  {name} [1]" for name in projects),
        "apps: 0",
    ]

    def dependent(base: str) -> dict[str, Any]:
        why = f"imports changed brick components/example/greeting ({base} -> "
        why += "components/example/greeting)"
        return {"name": base, "changed": False, "reasons": [reason(path, why)]}

    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        bricks=[
            dependent("bases/example/greet_api"),
            dependent("bases/example/greet_aws_lambda"),
            dependent("bases/example/greet_gcp_function"),
            {
                "name": "components/example/greeting",
                "changed": True,
                "reasons": [reason(path, "brick components/example/greeting changed")],
            },
        ],
        projects=[{"name": name, "reasons": [reason(path, includes)]} for name in projects],
    )
    assert poly_diff(repo, "HEAD~1") == (0, ",".join(projects))


def test_uv_lock_change_reaches_only_the_projects_that_install_the_package(
    tmp_path: Path, cli: Runner
) -> None:
    repo = published(tmp_path, UV_EXAMPLE)
    bump(
        repo,
        "uv.lock",
        'name = "confluent-kafka"\nversion = "2.14.2"',
        'name = "confluent-kafka"\nversion = "2.14.3"',
    )
    why = "locked packages in the project's dependencies changed: confluent-kafka"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] uv.lock: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 2",
        "  consumer_project [1]",
        "  message_fastapi_project [1]",
        "apps: 0",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        projects=[
            {"name": name, "reasons": [reason("uv.lock", why)]}
            for name in ("consumer_project", "message_fastapi_project")
        ],
    )
    # poly diff does not read the lock.
    assert poly_diff(repo, "HEAD~1") == (0, "")


@pytest.fixture
def adopted_uv(tmp_path: Path, cli: Runner) -> Repo:
    """python-polylith-example-uv after `polyinfra init` and `polyinfra add service`."""
    repo = published(tmp_path, UV_EXAMPLE)
    for args in (
        [
            "init",
            "--gcp-project",
            "sandbox=greet-sandbox",
            "--gcp-project",
            "production=greet-prod",
        ],
        ["add", "service", "my-fastapi", "--project", "my_fastapi_project"],
    ):
        code, _, err = cli(*args, "-w", str(repo.root))
        assert code == 0, err
    repo.commit("adopt polyinfra")
    return repo


def test_uv_schema_file_is_not_a_program_change(adopted_uv: Repo, cli: Runner) -> None:
    repo = adopted_uv
    schema = "infrastructure/pulumi/stack-config.schema.json"
    data = json.loads(repo.path(schema).read_text(encoding="utf-8"))
    data["description"] = "stack files of the greeting services"
    repo.write(schema, json.dumps(data, indent=2) + "\n")
    repo.commit("describe the schema")

    assert text(cli, repo) == [
        span(repo),
        "nothing affected",
        "ignored: 1 path(s)",
        f"  {schema}: {SCHEMA_IGNORED}",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo, ignored=[reason(schema, SCHEMA_IGNORED)]
    )


def test_uv_program_change_next_to_the_schema_affects_every_stack(
    adopted_uv: Repo, cli: Runner
) -> None:
    repo = adopted_uv
    repo.append("infrastructure/pulumi/__main__.py", "\n# tuning\n")
    repo.commit("program")
    why = "Pulumi program changed: every stack runs it"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] infrastructure/pulumi/__main__.py: {why}",
        "foundation: changed",
        "  stack production [1]",
        "  stack sandbox [1]",
        "bricks: 0",
        "projects: 0",
        "apps: 0",
    ]


def test_uv_adopted_brick_change_builds_the_app_image(
    adopted_uv: Repo, cli: Runner, no_github_output: None
) -> None:
    repo = adopted_uv
    repo.append("components/example/greeting/core.py", "\n# tuning\n")
    repo.commit("greeting")
    includes = "brick components/example/greeting changed; the project includes it"

    lines = text(cli, repo)
    assert lines[1:3] == [
        "reasons:",
        f"  [1] components/example/greeting/core.py: {includes}",
    ]
    assert lines[-5:] == [
        "  my_aws_lambda_project [1]",
        "  my_fastapi_project [1]",
        "  my_gcp_function_project [1]",
        "apps: 1",
        "  my-fastapi (service): rebuild in production, sandbox [1]",
    ]
    assert text(cli, repo, "--env", "production", "--format", "github") == [
        "everything=false",
        "foundation=false",
        "stacks=[]",
        'bricks=["bases/example/greet_api","bases/example/greet_aws_lambda",'
        '"bases/example/greet_gcp_function","components/example/greeting"]',
        'projects=["my_aws_lambda_project","my_fastapi_project","my_gcp_function_project"]',
        'apps=["my-fastapi"]',
        'rebuild=["my-fastapi"]',
        "redeploy=[]",
        'build_matrix=[{"dockerfile":"projects/my_fastapi_project/Dockerfile",'
        '"project":"my_fastapi_project"}]',
        'images=[{"action":"rebuild","app":"my-fastapi","project":"my_fastapi_project"}]',
        "removed_projects=[]",
        "removed_apps=[]",
    ]


# -- the spec's own templates: spec-literal-workspace


def test_spec_literal_overlay_change_redeploys_one_environment(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, SPEC_LITERAL)
    overlay = "infrastructure/cloudrun_job/my-job-api2bq/overlays/sandbox/kustomization.yaml"
    repo.append(overlay, "# tuning\n")
    repo.commit("overlay")
    why = "Kustomize overlay sandbox changed"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {overlay}: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  my-job-api2bq (job): redeploy in sandbox [1]",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        apps=[
            app(
                "my-job-api2bq",
                "job",
                "my-project",
                "redeploy",
                ["sandbox"],
                [reason(overlay, why)],
            )
        ],
    )


def test_spec_literal_stack_file_change(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, SPEC_LITERAL)
    stack = "infrastructure/pulumi/Pulumi.sandbox.yaml"
    bump(repo, stack, "label:component: data-pipeline", "label:component: data-pipelines")
    why = "stack file of sandbox changed"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {stack}: {why}",
        "foundation: changed",
        "  stack sandbox [1]",
        "bricks: 0",
        "projects: 0",
        "apps: 0",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo, stacks=[{"name": "sandbox", "reasons": [reason(stack, why)]}]
    )


def test_spec_literal_schema_written_by_the_schema_command(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, SPEC_LITERAL)
    schema = "infrastructure/pulumi/stack-config.schema.json"
    code, _, err = cli("schema", "stack-config", "-o", str(repo.path(schema)))
    assert code == 0, err
    repo.commit("schema for editors")

    assert text(cli, repo) == [
        span(repo),
        "nothing affected",
        "ignored: 1 path(s)",
        f"  {schema}: {SCHEMA_IGNORED}",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo, ignored=[reason(schema, SCHEMA_IGNORED)]
    )


def test_schema_named_by_a_modeline_anywhere_is_not_a_program_change(
    tmp_path: Path, cli: Runner
) -> None:
    stack = "infrastructure/pulumi/Pulumi.sandbox.yaml"
    text_of_stack = real_file(SPEC_LITERAL, stack).read_text(encoding="utf-8")
    repo = published(
        tmp_path,
        SPEC_LITERAL,
        {
            stack: "# yaml-language-server: $schema=../schemas/stack.json\n" + text_of_stack,
            "infrastructure/schemas/stack.json": '{"type": "object"}\n',
        },
    )
    bump(repo, "infrastructure/schemas/stack.json", '"object"', '"object", "title": "stack"')
    why = (
        f"JSON Schema that the yaml-language-server modeline of {stack} names, for editors: "
        "the Pulumi program does not read it"
    )

    assert text(cli, repo) == [
        span(repo),
        "nothing affected",
        "ignored: 1 path(s)",
        f"  infrastructure/schemas/stack.json: {why}",
    ]


def test_spec_literal_brick_change_rebuilds_the_job_its_stack_links_to_the_project(
    tmp_path: Path, cli: Runner, no_github_output: None
) -> None:
    """The app is named after the job (my-job-api2bq), not the project (my-project), and no
    setting maps it: the stack file does (the scheduler under input:projects.my-project runs
    the job, whose overlay runs as that entry's account), so the job is rebuilt from
    my-project's image."""
    repo = published(tmp_path, SPEC_LITERAL)
    path = "components/acme/logging/core.py"
    repo.append(path, "\n# tuning\n")
    repo.commit("logging")
    includes = "brick components/acme/logging changed; the project includes it"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {path}: {includes}",
        "foundation: unchanged",
        "bricks: 2",
        "  bases/acme/my_job (imports a changed brick)",
        "  components/acme/logging",
        "projects: 1",
        "  my-project [1]",
        "apps: 1",
        "  my-job-api2bq (job): rebuild in sandbox [1]",
    ]
    assert cli.json(repo, "--base", "HEAD~1")["apps"] == [
        app("my-job-api2bq", "job", "my-project", "rebuild", ["sandbox"], [reason(path, includes)])
    ]
    outputs = text(cli, repo, "--env", "sandbox", "--format", "github")
    assert [
        line for line in outputs if line.startswith(("rebuild=", "build_matrix=", "images="))
    ] == [
        'rebuild=["my-job-api2bq"]',
        'build_matrix=[{"dockerfile":"projects/my-project/Dockerfile","project":"my-project"}]',
        'images=[{"action":"rebuild","app":"my-job-api2bq","project":"my-project"}]',
    ]
    assert poly_diff(repo, "HEAD~1") == (0, "my-project")


def test_spec_literal_lock_without_the_project_cannot_be_narrowed(
    tmp_path: Path, cli: Runner
) -> None:
    """The template's uv.lock is empty: once a package appears, the project still has no
    package in it, so the change reaches every project, saying why."""
    repo = published(tmp_path, SPEC_LITERAL)
    repo.append(
        "uv.lock",
        '\n[[package]]\nname = "requests"\nversion = "2.32.3"\n'
        'source = { registry = "https://pypi.org/simple" }\n',
    )
    repo.commit("lock")
    why = (
        "project my-project has no package in uv.lock, so its dependencies are unknown; "
        "every project is treated as affected"
    )

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] uv.lock: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 1",
        "  my-project [1]",
        "apps: 1",
        "  my-job-api2bq (job): rebuild in sandbox [1]",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        projects=[{"name": "my-project", "reasons": [reason("uv.lock", why)]}],
        apps=[
            app(
                "my-job-api2bq",
                "job",
                "my-project",
                "rebuild",
                ["sandbox"],
                [reason("uv.lock", why)],
            )
        ],
    )


# -- the older single-app layout: spec-single-app-overlays

WORKSPACE_TOML = (
    '[tool.polylith]\nnamespace = "acme"\n\n[tool.polylith.structure]\ntheme = "loose"\n'
)


def test_single_app_overlay_change_redeploys_that_environment_only(
    tmp_path: Path, cli: Runner
) -> None:
    """The folder is only an infrastructure/ tree; it sits in a Polylith workspace."""
    repo = published(tmp_path, SINGLE_APP, {"workspace.toml": WORKSPACE_TOML})
    overlay = "infrastructure/cloudrun/overlays/production/kustomization.yaml"
    bump(repo, overlay, "value: 4Gi", "value: 8Gi")
    why = "Kustomize overlay production changed"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {overlay}: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  console-cr (service): redeploy in production [1]",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        apps=[
            app("console-cr", "service", None, "redeploy", ["production"], [reason(overlay, why)])
        ],
    )
    assert text(cli, repo, "--env", "sandbox") == [
        f"Changes {repo.sha('HEAD~1')[:12]}..{repo.sha()[:12]} for environment sandbox:",
        "nothing affected",
    ]


def test_single_app_base_change_redeploys_every_environment(tmp_path: Path, cli: Runner) -> None:
    repo = published(tmp_path, SINGLE_APP, {"workspace.toml": WORKSPACE_TOML})
    base = "infrastructure/cloudrun/base/service.yaml"
    bump(repo, base, "containerPort: 8080", "containerPort: 8081")
    why = "Kustomize base changed"

    assert text(cli, repo) == [
        span(repo),
        "reasons:",
        f"  [1] {base}: {why}",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  console-cr (service): redeploy in production, sandbox [1]",
    ]
    assert cli.json(repo, "--base", "HEAD~1") == expected(
        repo,
        apps=[app("console-cr", "service", None, "redeploy", BOTH_ENVS, [reason(base, why)])],
    )
