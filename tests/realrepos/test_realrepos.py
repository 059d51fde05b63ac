"""Every command on workspaces other people wrote (``../shared/realrepos``), as a new user
runs them: each folder is copied into a fresh git repository and `check`, `plan`, `render`,
`lint` and `affected` (after a scripted commit) give exact answers. The reference uv workspace
is also adopted end to end: `init`, `add` service, job and function, a clean `check`,
`render`, and `deploy` to the Cloud Run emulator.

Deeper change-detection cases on the same repositories are in
``tests/affected/test_real_repositories.py``."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.emulator import FakeCloudRun
from tests.affected.conftest import Repo, Runner
from tests.conftest import REPO

pytestmark = pytest.mark.slow

REALREPOS = REPO.parent / "shared" / "realrepos"
UV_EXAMPLE = "python-polylith-example-uv"
MICROSERVICES = "python-polylith-microservices-example"
SPEC_LITERAL = "spec-literal-workspace"
SINGLE_APP = "spec-single-app-overlays"
WORKSPACE_TOML = (
    '[tool.polylith]\nnamespace = "acme"\n\n[tool.polylith.structure]\ntheme = "loose"\n'
)
NO_INFRASTRUCTURE = {
    "file": "pyproject.toml",
    "line": 1,
    "col": 1,
    "level": "error",
    "rule": "workspace/infrastructure-folder",
    "message": "the workspace has no infrastructure/ folder: the foundation and application "
    "stacks live there",
    "hint": "run `polyinfra init` to create infrastructure/ with its pyproject.toml",
}


class Cli(Runner):
    """The CLI run in-process: exit code, stdout and stderr; `check` findings as data."""

    def findings(self, root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
        """`check --format json`, each finding's file relative to ``root``."""
        code, out, _ = self("check", "-w", str(root), "--format", "json", *args)
        found: list[dict[str, Any]] = json.loads(out)
        for item in found:
            item["file"] = Path(item["file"]).relative_to(root).as_posix()
        return code, found


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def published(tmp_path: Path, name: str, extra: dict[str, str] | None = None) -> Repo:
    """The real workspace ``name``, writable, as the first commit of a new repository (with
    ``extra`` files written first)."""
    source = REALREPOS / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent (CI places a copy of shared/ beside the clone)")
    repo = Repo(tmp_path / name)
    shutil.copytree(source, repo.root)
    for folder, _, files in os.walk(repo.root):  # the shared copy may be read-only
        os.chmod(folder, 0o755)
        for file in files:
            os.chmod(os.path.join(folder, file), 0o644)
    for rel, text in (extra or {}).items():
        repo.write(rel, text)
    repo.init().commit("as published")
    return repo


def affected(cli: Cli, repo: Repo, rel: str, old: str, new: str) -> list[str]:
    """`affected --base HEAD~1` after a commit that replaces ``old`` with ``new`` in ``rel``."""
    repo.replace(rel, old, new)
    repo.commit(f"change {rel}")
    code, out, err = cli("affected", "-w", str(repo.root), "--base", "HEAD~1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Changes {repo.sha('HEAD~1')[:12]}..{repo.sha()[:12]}:"
    return lines[1:]


def no_program(repo: Repo) -> str:
    infrastructure = repo.root / "infrastructure"
    return f"no Pulumi program under {infrastructure}: no Pulumi.yaml found"


# -- python-polylith-example-uv: uv + hatch, wheel Dockerfiles, no infrastructure/ yet


def test_uv_workspace_as_published(tmp_path: Path, cli: Cli) -> None:
    repo = published(tmp_path, UV_EXAMPLE)
    root = str(repo.root)

    # One finding: adopt with `init`. No project is blamed for having no app before any app
    # exists, and the wheel-based Dockerfiles are not brick errors.
    assert cli.findings(repo.root) == (1, [NO_INFRASTRUCTURE])

    code, out, err = cli("plan", "-w", root)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {repo.root / 'infrastructure'}: {no_program(repo)}",
        "  hint: run `polyinfra init` to create infrastructure/pulumi/",
    ]

    code, out, err = cli("render", "--env", "sandbox", "--version", "1.0.0", "-w", root)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {repo.root / 'infrastructure'}: no app has an overlay for environment "
        "'sandbox' (environments: none)",
        "  hint: add an app with `polyinfra add service|job|function NAME --project PROJECT`",
    ]

    # Two YAML files (serverless.yml, a docker-compose file), neither a Cloud Run manifest.
    code, out, err = cli("lint", "-w", root)
    assert (code, out) == (0, "")
    assert err.splitlines() == ["No problems in 2 file(s) and 0 rendered overlay(s)."]

    lines = affected(
        cli, repo, "bases/example/greet_api/core.py", "from fastapi", "# the API\nfrom fastapi"
    )
    why = "brick bases/example/greet_api changed; the project includes it"
    assert lines == [
        "reasons:",
        f"  [1] bases/example/greet_api/core.py: {why}",
        "foundation: unchanged",
        "bricks: 1",
        "  bases/example/greet_api",
        "projects: 1",
        "  my_fastapi_project [1]",
        "apps: 0",
    ]


@pytest.fixture
def cloud_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    with FakeCloudRun(ready_after=1, region="asia-southeast1") as fake:
        yield fake


def test_uv_workspace_adopted_end_to_end(tmp_path: Path, cli: Cli, cloud_run: FakeCloudRun) -> None:
    repo = published(tmp_path, UV_EXAMPLE)
    root = str(repo.root)
    steps = [
        [
            "init",
            "--gcp-project",
            "sandbox=greet-sandbox",
            "--gcp-project",
            "production=greet-prod",
        ],
        ["add", "service", "my-fastapi", "--project", "my_fastapi_project"],
        [
            "add",
            "job",
            "greet-batch",
            "--project",
            "message_fastapi_project",
            "--schedule",
            "0 4 * * *",
        ],
        [
            "add",
            "function",
            "greet-function",
            "--project",
            "my_gcp_function_project",
            "--target",
            "handler",
        ],
    ]
    for step in steps:
        code, _, err = cli(*step, "-w", root)
        assert code == 0, err
    repo.commit("adopt polyinfra")

    # Clean: nothing at any level.
    code, found = cli.findings(repo.root)
    assert (code, found) == (0, [])

    code, out, err = cli("render", "--env", "sandbox", "--version", "1.0.0", "-w", root)
    assert code == 0, err
    registry = "asia-southeast1-docker.pkg.dev/greet-sandbox"
    images = [line.strip() for line in out.splitlines() if line.strip().startswith("image: ")]
    assert images == [
        f"image: {registry}/message-fastapi-project/greet-batch:1.0.0",
        f"image: {registry}/my-gcp-function-project/greet-function:1.0.0",
        f"image: {registry}/my-fastapi-project/my-fastapi:1.0.0",
    ]

    code, out, err = cli(
        "deploy", "--all", "--env", "sandbox", "--version", "1.0.0",
        "--endpoint", cloud_run.endpoint, "-w", root,
    )  # fmt: skip
    assert code == 0, err
    table = [line.split() for line in out.splitlines()]
    assert table[0] == ["app", "kind", "revision", "/", "execution", "result", "seconds"]
    assert [row[:2] + row[3:4] for row in table[1:4]] == [
        ["greet-batch", "job", "created"],
        ["greet-function", "service", "created"],
        ["my-fastapi", "service", "created"],
    ]
    assert table[1][2] == "greet-batch"  # a job's execution is not started by a deploy
    assert table[2][2].startswith("greet-function-00001-")
    assert table[3][2].startswith("my-fastapi-00001-")
    service = cloud_run.get_object("services", "greet-sandbox", "my-fastapi")
    assert service is not None
    container = service["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{registry}/my-fastapi-project/my-fastapi:1.0.0"
    job = cloud_run.get_object("jobs", "greet-sandbox", "greet-batch")
    assert job is not None
    number = cloud_run.project_number("greet-sandbox")
    assert out.splitlines()[-2:] == [
        f"greet-function is at https://greet-function-{number}.asia-southeast1.run.app",
        f"my-fastapi is at https://my-fastapi-{number}.asia-southeast1.run.app",
    ]

    lines = affected(
        cli, repo, "components/example/greeting/core.py", "def hello_world", "def hello_world_"
    )
    assert lines[-3:] == [
        "apps: 2",
        "  greet-function (function): rebuild in production, sandbox [1]",
        "  my-fastapi (service): rebuild in production, sandbox [1]",
    ]


# -- python-polylith-microservices-example: Poetry, per-project locks, wheel Dockerfiles


def test_poetry_workspace_as_published(tmp_path: Path, cli: Cli) -> None:
    repo = published(tmp_path, MICROSERVICES)
    root = str(repo.root)

    assert cli.findings(repo.root) == (1, [NO_INFRASTRUCTURE])

    code, out, err = cli("plan", "-w", root)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"error: {repo.root / 'infrastructure'}: {no_program(repo)}"

    code, out, err = cli("render", "--env", "production", "--version", "1.0.0", "-w", root)
    assert (code, out) == (2, "")
    assert err.splitlines()[1] == (
        "  hint: add an app with `polyinfra add service|job|function NAME --project PROJECT`"
    )

    code, out, err = cli("lint", "-w", root)
    assert (code, out) == (0, "")
    assert err.splitlines() == ["No problems in 2 file(s) and 0 rendered overlay(s)."]

    # A component only one worker's base imports: one project, no app yet.
    lines = affected(cli, repo, "components/mousetrap/fetch_data/core.py", "import random", "")
    why = "brick components/mousetrap/fetch_data changed; the project includes it"
    assert lines == [
        "reasons:",
        f"  [1] components/mousetrap/fetch_data/core.py: {why}",
        "foundation: unchanged",
        "bricks: 2",
        "  components/mousetrap/fetch_data",
        "  components/mousetrap/run_fetch_worker (imports a changed brick)",
        "projects: 1",
        "  worker_1 [1]",
        "apps: 0",
    ]


# -- spec-literal-workspace: the spec's own templates, verbatim

SPEC_JOB = "infrastructure/cloudrun_job/my-job-api2bq"
SPEC_SANDBOX = f"{SPEC_JOB}/overlays/sandbox/kustomization.yaml"
UNRENDERED = {
    "file": SPEC_SANDBOX,
    "line": 44,
    "col": 18,
    "level": "error",
    "rule": "manifest/unrendered-template",
    "message": "unrendered template: placeholders GCP_REGION_ABBREV_PLACEHOLDER, "
    "GCP_REGION_SUFFIX_PLACEHOLDER must be substituted before deploy",
    "hint": "declare each under [tool.polyinfra.placeholders.sandbox] in "
    'infrastructure/pyproject.toml (GCP_REGION_ABBREV_PLACEHOLDER = "..."; render replaces '
    "it) or replace it in the overlay",
}
#: The spec's stack file grants the invoker and secret reader roles on the whole project.
PROJECT_WIDE = [
    {
        "file": "infrastructure/pulumi/Pulumi.sandbox.yaml",
        "line": line,
        "col": 13,
        "level": "warning",
        "rule": "policy/project-wide-grant",
        "message": f"sandbox: input:projects.my-project grants {role} on the whole project: its "
        f"service account may {reach}",
        "hint": "remove it from service_account_iam.roles and add to "
        f"input:projects.my-project.iam: {entry}",
    }
    for line, role, reach, entry in (
        (
            34,
            "roles/run.invoker",
            "run every Cloud Run job and call every service",
            "`{role: roles/run.invoker, resource: {job: my-job-api2bq}}`",
        ),
        (
            36,
            "roles/secretmanager.secretAccessor",
            "read every secret of the project",
            "`{role: roles/secretmanager.secretAccessor, resource: {secret: <secret_id>}}`, one "
            "entry per secret it uses",
        ),
    )
]
PLACEHOLDERS = (
    "\n[tool.polyinfra.placeholders.sandbox]\n"
    'GCP_REGION_ABBREV_PLACEHOLDER = "ase1"\n'
    'GCP_REGION_SUFFIX_PLACEHOLDER = "asia-southeast1"\n'
)


def test_spec_literal_workspace_as_published(tmp_path: Path, cli: Cli) -> None:
    repo = published(tmp_path, SPEC_LITERAL)
    root = str(repo.root)

    # The one true error: no step of the spec's deploy replaces these two placeholders; and the
    # spec grants two roles on the whole project that have a resource-level form.
    assert cli.findings(repo.root) == (1, [UNRENDERED, *PROJECT_WIDE])

    code, out, err = cli("plan", "-w", root)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Stack sandbox (Google Cloud project acme-sandbox)"
    assert lines[-2] == (
        "  15 resources (0 protected): 1 artifactregistry.Repository, 1 bigquery.Dataset, "
        "2 bigquery.Table, 1 cloudscheduler.Job, 1 logging.Metric, 1 monitoring.AlertPolicy, "
        "1 monitoring.Dashboard, 4 projects.IAMMember, 1 serviceaccount.Account, "
        "1 serviceaccount.IAMMember, 1 storage.Bucket"
    )
    assert lines[-1].endswith(
        ": note: project number: looked up at run time (stand-in 000000000000 in this plan) "
        "for the Cloud Scheduler service agent; set input:project_number to plan the real one"
    )

    code, out, err = cli("render", "--env", "sandbox", "--version", "1.2.3", "-w", root)
    assert (code, out) == (2, "")
    overlay = repo.root / SPEC_SANDBOX
    field = "field spec.template.spec.template.spec.containers[0].env"
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        f"error: {overlay}:44:18: my-job-api2bq (sandbox): Job/my-job-api2bq {field}[5].value "
        "still holds placeholder GCP_REGION_ABBREV_PLACEHOLDER",
        f"error: {overlay}:49:18: my-job-api2bq (sandbox): Job/my-job-api2bq {field}[6].value "
        "still holds placeholder GCP_REGION_SUFFIX_PLACEHOLDER",
    ]

    code, out, err = cli("lint", "-w", root)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{repo.root / SPEC_SANDBOX}:44:18: error: {UNRENDERED['message']} "
        "[manifest/unrendered-template]"
    )

    # Declared, the placeholders render and only the warnings are left.
    repo.append("infrastructure/pyproject.toml", PLACEHOLDERS)
    repo.commit("declare the region placeholders")
    assert cli.findings(repo.root) == (0, PROJECT_WIDE)
    code, out, err = cli("render", "--env", "sandbox", "--version", "1.2.3", "-w", root)
    assert code == 0, err
    assert "              value: ase1" in out.splitlines()
    assert "              value: asia-southeast1" in out.splitlines()

    # The template's sandbox overlay says ENVIRONMENT=production; fixing it redeploys sandbox.
    lines = affected(cli, repo, SPEC_SANDBOX, "value: production", "value: sandbox")
    assert lines == [
        "reasons:",
        f"  [1] {SPEC_SANDBOX}: Kustomize overlay sandbox changed",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  my-job-api2bq (job): redeploy in sandbox [1]",
    ]


# -- spec-single-app-overlays: infrastructure/cloudrun/{base,overlays/*}, no app folder

SINGLE_BASE = "infrastructure/cloudrun/base/service.yaml"
LABEL_VERSION = (
    "label version gets the release version (VERSION_PLACEHOLDER, here '{version}'): a label "
    "value allows only lowercase letters, digits, _ and -, so Cloud Run rejects every version "
    "with a '.'"
)


def test_single_app_tree_as_published(tmp_path: Path, cli: Cli) -> None:
    """The folder is only an infrastructure/ tree: `lint` works on it as it is; the commands
    that need a Polylith workspace say so."""
    repo = published(tmp_path, SINGLE_APP)
    root = str(repo.root)

    code, out, err = cli("lint", str(repo.root / "infrastructure"))
    assert code == 1
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [
        f"{repo.root / SINGLE_BASE}:9:18: error: {LABEL_VERSION.format(version='0.0.0-lint')} "
        "[cloudrun/label-values]",
        # the probe's timeoutSeconds is the default, not written, with a 35 s window: not a
        # startup mistake
        "Found 1 problem (1 error).",
    ]
    for command in (["check"], ["plan"], ["render", "--env", "sandbox", "--version", "1.0.0"]):
        code, out, err = cli(*command, "-w", root)
        assert (code, out) == (2, ""), command
        assert err.startswith(
            f"error: {repo.root}: not inside a Polylith workspace: no workspace.toml"
        ), command


def test_single_app_tree_in_a_workspace(tmp_path: Path, cli: Cli) -> None:
    repo = published(tmp_path, SINGLE_APP, {"workspace.toml": WORKSPACE_TOML})
    root = str(repo.root)

    code, found = cli.findings(repo.root)
    assert code == 1
    assert [(f["file"], f["line"], f["col"], f["level"], f["rule"]) for f in found] == [
        ("infrastructure", 0, 0, "error", "config/stack-valid"),
        ("infrastructure/cloudrun/base/kustomization.yaml", 1, 1, "warning",
         "crossstack/app-project-exists"),
        (SINGLE_BASE, 9, 18, "error", "cloudrun/label-values"),
        ("infrastructure/cloudrun/overlays/production/kustomization.yaml", 1, 1, "warning",
         "workspace/overlay-namespace"),
        ("infrastructure/cloudrun/overlays/sandbox/kustomization.yaml", 1, 1, "warning",
         "workspace/overlay-namespace"),
        ("infrastructure/pyproject.toml", 1, 1, "error", "workspace/infra-dependencies"),
    ]  # fmt: skip
    assert found[0]["message"] == (
        "the workspace has no foundation stack: no Pulumi.yaml under infrastructure/ "
        "(environments: production, sandbox)"
    )
    assert found[2]["message"] == LABEL_VERSION.format(version="0.0.0-check")

    # No foundation stack to take the registry from: --registry gives it.
    code, out, err = cli("render", "--env", "sandbox", "--version", "1.0.0", "-w", root)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {repo.root / 'infrastructure'}: console-cr (sandbox): no foundation stack to "
        f"take the image repository from: {no_program(repo)}",
        "  hint: pass --image console-cr=REF or --registry URL, or create the foundation "
        "program with `polyinfra init`",
    ]
    registry = "europe-docker.pkg.dev/acme-sandbox/console"
    code, out, err = cli(
        "render", "--env", "sandbox", "--version", "1.0.0", "--registry", registry, "-w", root
    )
    assert code == 0, err
    assert f"        image: {registry}/console-cr:1.0.0" in out.splitlines()
    assert "        version: 1.0.0" in out.splitlines()

    lines = affected(cli, repo, SINGLE_BASE, "containerPort: 8080", "containerPort: 8081")
    assert lines == [
        "reasons:",
        f"  [1] {SINGLE_BASE}: Kustomize base changed",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  console-cr (service): redeploy in production, sandbox [1]",
    ]
