"""Which project an app deploys when neither a setting nor its name says: the foundation stack
files link it, under ``input:projects.<P>``, by the service account the app runs as and the
scheduler that runs it. ``check`` and ``affected`` read the same mapping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from polyinfra.affected import find_affected
from polyinfra.checks.check import check_workspace
from polyinfra.manifests.links import discover_workspace
from tests.affected.conftest import Repo
from tests.conftest import EXAMPLE, REPO

SOURCE = REPO.parent / "shared" / "realrepos" / "spec-literal-workspace"
APP = "my-job-api2bq"
JOB = f"infrastructure/cloudrun_job/{APP}"
STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
UNRENDERED = (
    "manifest/unrendered-template",
    "error",
    f"{JOB}/overlays/sandbox/kustomization.yaml:44:18",
)
UNRENDERED_MESSAGE = (
    "unrendered template: placeholders GCP_REGION_ABBREV_PLACEHOLDER, "
    "GCP_REGION_SUFFIX_PLACEHOLDER must be substituted before deploy"
)
#: the spec's stack file grants these two roles on the whole project
PROJECT_WIDE = [
    ("policy/project-wide-grant", "warning", f"{STACK}:34:13"),
    ("policy/project-wide-grant", "warning", f"{STACK}:36:13"),
]
#: a second project entry whose scheduler also runs the job
OTHER_ENTRY = """\
    other-project:
      service_account:
        account_id: cloud-run-other-project
      service_account_iam:
        account_id: cloud-run-other-project
        roles:
          - roles/run.invoker
      cloud_scheduler:
        - name: my-job-backfill
          target_job: my-job-api2bq
          region: asia-southeast1
          schedule: "0 5 * * 0"
          time_zone: Asia/Kuala_Lumpur

  input:monitoring:
"""
OTHER_PYPROJECT = """\
[project]
name = "other-project"
version = "0.1.0"
requires-python = ">=3.13"
dependencies = []

[tool.polylith.bricks]
"../../bases/acme/my_job" = "acme/my_job"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of spec-literal-workspace."""
    if not SOURCE.is_dir():
        pytest.skip(f"{SOURCE} is absent (CI places a copy of shared/ beside the clone)")
    target = tmp_path / "spec-literal-workspace"
    shutil.copytree(SOURCE, target)
    for folder, _, files in os.walk(target):  # the shared copy is read-only
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(root: Path, *rules: str) -> list[tuple[str, str, str]]:
    result = check_workspace(root, select=rules)
    return [(p.rule, p.level.label, str(p.position.relative_to(root))) for p in result.problems]


def test_spec_literal_job_deploys_the_project_its_stack_entry_names(workspace: Path) -> None:
    app = discover_workspace(workspace).apps[APP]
    assert app.project == "my-project"
    assert [
        (str(e.position.relative_to(workspace)), e.key, e.reason) for e in app.project_evidence
    ] == [
        (
            f"{STACK}:27:21",
            "my-project",
            "its sandbox overlay runs as cloud-run-my-project@acme-sandbox.iam.gserviceaccount"
            ".com, the service account input:projects.my-project creates",
        ),
        (
            f"{STACK}:60:23",
            "my-project",
            "scheduler 'my-job-daily' of input:projects.my-project runs it",
        ),
    ]
    # neither the app nor the project is reported alone; what is left is true (no step of the
    # spec's deploy substitutes the two region placeholders, and the spec grants the invoker
    # and secret reader roles on the whole project)
    assert findings(workspace) == [UNRENDERED, *PROJECT_WIDE]


def test_stack_evidence_for_two_projects_keeps_the_finding_and_says_why(workspace: Path) -> None:
    replace(workspace, STACK, "\n  input:monitoring:\n", "\n" + OTHER_ENTRY)
    write(workspace, "projects/other-project/pyproject.toml", OTHER_PYPROJECT)

    app = discover_workspace(workspace).apps[APP]
    assert app.project is None
    assert {e.key for e in app.project_evidence} == {"my-project", "other-project"}
    result = check_workspace(workspace)
    assert [
        (p.rule, p.level.label, str(p.position.relative_to(workspace)), p.message)
        for p in result.problems
    ] == [
        (
            "crossstack/app-project-exists",
            "warning",
            f"{JOB}/base/kustomization.yaml:1:1",
            f"app '{APP}' has no project under projects/, and the stack files disagree on which: "
            f"{STACK}:27:21: its sandbox overlay runs as "
            "cloud-run-my-project@acme-sandbox.iam.gserviceaccount.com, the service account "
            f"input:projects.my-project creates; {STACK}:60:23: scheduler 'my-job-daily' of "
            f"input:projects.my-project runs it; {STACK}:75:23: scheduler 'my-job-backfill' of "
            "input:projects.other-project runs it",
        ),
        (*UNRENDERED, UNRENDERED_MESSAGE),
        # an image set at deploy time comes from the app's project registry: with no project
        # and no entry named after the app, it cannot render
        (
            "crossstack/image-registry",
            "error",
            f"{STACK}:24:3",
            f"{APP} (sandbox) deploys an image set at deploy time, but it deploys no project, "
            "and Pulumi.sandbox.yaml has no Artifact Registry repository under an entry named "
            "after the app",
        ),
        # the spec grants these roles on the whole project
        (
            *PROJECT_WIDE[0],
            "sandbox: input:projects.my-project grants roles/run.invoker on the whole project: "
            "its service account may run every Cloud Run job and call every service",
        ),
        (
            *PROJECT_WIDE[1],
            "sandbox: input:projects.my-project grants roles/secretmanager.secretAccessor on the "
            "whole project: its service account may read every secret of the project",
        ),
        (
            "policy/project-wide-grant",
            "warning",
            f"{STACK}:72:13",
            "sandbox: input:projects.other-project grants roles/run.invoker on the whole "
            "project: its service account may run every Cloud Run job and call every service",
        ),
        (
            "crossstack/project-without-app",
            "warning",
            "projects/my-project/Dockerfile:1:1",
            "project 'my-project' has a Dockerfile but no app deploys it",
        ),
    ]


def test_stack_entry_with_no_project_folder_is_named(workspace: Path) -> None:
    shutil.rmtree(workspace / "projects" / "my-project")
    result = check_workspace(workspace, select=["crossstack/app-project-exists"])
    assert [
        (p.rule, p.level.label, str(p.position.relative_to(workspace)), p.message)
        for p in result.problems
    ] == [
        (
            "crossstack/app-project-exists",
            "warning",
            f"{JOB}/base/kustomization.yaml:1:1",
            f"app '{APP}' has no project under projects/: the stack files link it to "
            "input:projects.my-project, but there is no project 'my-project'",
        )
    ]


@pytest.mark.parametrize(
    ("files", "project"),
    [
        pytest.param(
            {
                "infrastructure/pyproject.toml": f'\n[tool.polyinfra.apps."{APP}"]\n'
                'project = "other-project"\n'
            },
            "other-project",
            id="the setting",
        ),
        pytest.param({}, "my_job_api2bq", id="the app's name"),
    ],
)
def test_setting_and_name_win_over_the_stack_files(
    workspace: Path, files: dict[str, str], project: str
) -> None:
    for rel, text in files.items():
        path = workspace / rel
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    write(
        workspace,
        f"projects/{project}/pyproject.toml",
        OTHER_PYPROJECT.replace("other-project", project),
    )

    app = discover_workspace(workspace).apps[APP]
    assert (app.project, app.project_evidence) == (project, ())
    # my-project's image is now built for no app, as the setting or the name says
    assert findings(
        workspace, "crossstack/app-project-exists", "crossstack/project-without-app"
    ) == [("crossstack/project-without-app", "warning", "projects/my-project/Dockerfile:1:1")]


def test_example_job_is_linked_by_both_stack_files_without_its_setting(tmp_path: Path) -> None:
    """The example maps its job with a setting; without it, both stack files say the same."""
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    replace(
        root,
        "infrastructure/pyproject.toml",
        '[tool.polyinfra.apps."dmd-inv-mov-api2bq"]\nproject = "dmd_ingest"\n',
        "",
    )
    app = discover_workspace(root).apps["dmd-inv-mov-api2bq"]
    assert app.project == "dmd_ingest"
    assert [
        (str(e.position.relative_to(root)).split("/")[-1], e.key) for e in app.project_evidence
    ] == [
        ("Pulumi.production.yaml:47:21", "dmd-ingest"),
        ("Pulumi.production.yaml:92:23", "dmd-ingest"),
        ("Pulumi.sandbox.yaml:47:21", "dmd-ingest"),
        ("Pulumi.sandbox.yaml:92:23", "dmd-ingest"),
    ]
    assert findings(root, "crossstack") == []


def test_affected_rebuilds_the_job_of_the_linked_project(workspace: Path) -> None:
    """A change in a brick of my-project rebuilds the job the stack file links to it."""
    repo = Repo(workspace).init()
    repo.commit("as published")
    repo.append("bases/acme/my_job/core.py", "\n# tuning\n")
    repo.commit("my_job")

    answer = find_affected(discover_workspace(workspace), "HEAD~1")
    assert [(p.name, [r.path for r in p.reasons]) for p in answer.projects] == [
        ("my-project", ["bases/acme/my_job/core.py"])
    ]
    assert [(a.name, a.project, a.action, a.environments) for a in answer.apps] == [
        (APP, "my-project", "rebuild", ("sandbox",))
    ]


def test_stack_file_that_does_not_validate_gives_no_evidence(workspace: Path) -> None:
    """What an invalid stack file says is not read: the app keeps no project, and the message
    names the stack file whose error (reported by the config rules) hides the link."""
    replace(
        workspace, STACK, "        storage_class: STANDARD\n", "        storage_clas: STANDARD\n"
    )
    assert discover_workspace(workspace).apps[APP].project_evidence == ()
    result = check_workspace(workspace)
    assert [
        (p.rule, p.level.label, str(p.position.relative_to(workspace)), p.message)
        for p in result.problems
    ] == [
        (
            "crossstack/app-project-exists",
            "warning",
            f"{JOB}/base/kustomization.yaml:1:1",
            f"app '{APP}' has no project under projects/ (Pulumi.sandbox.yaml, which may link "
            "it to one, does not validate)",
        ),
        (*UNRENDERED, UNRENDERED_MESSAGE),
        (
            "config/stack-valid",
            "error",
            f"{STACK}:55:9",
            "input:projects.my-project.cloud_storage.storage_clas: unknown key 'storage_clas'",
        ),
        (
            "crossstack/project-without-app",
            "warning",
            "projects/my-project/Dockerfile:1:1",
            "project 'my-project' has a Dockerfile but no app deploys it",
        ),
    ]
