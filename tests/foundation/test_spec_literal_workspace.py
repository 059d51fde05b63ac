"""A workspace built only from the templates of the system the spec comes from, as it is: its
stack file (anchors, ``input:bucket``, ``documentation: |`` on an alert policy) validates and
plans; what ``check`` still reports is the workspace's own, not the stack file's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from polyinfra.foundation import plan_stack
from tests.conftest import REPO

SOURCE = REPO.parent / "shared" / "realrepos" / "spec-literal-workspace"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    if not SOURCE.is_dir():
        pytest.skip(f"{SOURCE} is absent (the shared real repositories sit beside the clone)")
    target = tmp_path / "spec-literal-workspace"
    shutil.copytree(SOURCE, target)
    for folder, _, files in os.walk(target):  # the shared copy is read-only
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def test_check_reports_only_what_is_true(workspace: Path) -> None:
    result = check_workspace(workspace)
    found = [
        (str(p.position.relative_to(workspace)), p.level.label, p.rule, p.message)
        for p in result.problems
    ]
    job = "infrastructure/cloudrun_job/my-job-api2bq"
    # The app folder is named after the job and the project is my-project: the stack file
    # links them (the scheduler under input:projects.my-project runs the job, and the overlay
    # runs as the account that entry creates), so neither the app nor the project is alone.
    assert found == [
        # No step of the spec's deploy substitutes these two: Cloud Run would get the literals.
        (
            f"{job}/overlays/sandbox/kustomization.yaml:44:18",
            "error",
            "manifest/unrendered-template",
            "unrendered template: placeholders GCP_REGION_ABBREV_PLACEHOLDER, "
            "GCP_REGION_SUFFIX_PLACEHOLDER must be substituted before deploy",
        ),
        # The spec grants the invoker and secret reader roles on the whole project.
        (
            "infrastructure/pulumi/Pulumi.sandbox.yaml:34:13",
            "warning",
            "policy/project-wide-grant",
            "sandbox: input:projects.my-project grants roles/run.invoker on the whole project: "
            "its service account may run every Cloud Run job and call every service",
        ),
        (
            "infrastructure/pulumi/Pulumi.sandbox.yaml:36:13",
            "warning",
            "policy/project-wide-grant",
            "sandbox: input:projects.my-project grants roles/secretmanager.secretAccessor on the "
            "whole project: its service account may read every secret of the project",
        ),
    ]
    # the stack file itself validates and plans
    assert not [p for p in result.problems if p.rule.startswith("config/")]


def test_plan_declares_what_the_stack_file_says(workspace: Path) -> None:
    plan = plan_stack(workspace / "infrastructure" / "pulumi", "sandbox")
    role = "iammember_cloud_run_my_project_roles_"
    assert [(r.type.split(":")[1], r.name, r.protect) for r in plan.resources] == [
        (
            "artifactregistry/repository",
            "registry_data_integration_my_project_asia_southeast1",
            False,
        ),
        ("bigquery/dataset", "dataset_bronze_my_project", False),
        ("bigquery/table", "table_bronze_my_project_inventory_movement", False),
        ("bigquery/table", "table_bronze_my_project_sku_location", False),
        ("cloudscheduler/job", "scheduler_my_job_daily", False),
        ("logging/metric", "logmetric_my_metric_name", False),
        ("monitoring/alertPolicy", "alertpolicy_my_alert_policy", False),
        ("monitoring/dashboard", "dashboard_my_dashboard_name", False),
        ("projects/iAMMember", f"{role}bigquery_admin", False),
        ("projects/iAMMember", f"{role}logging_logWriter", False),
        ("projects/iAMMember", f"{role}run_invoker", False),
        ("projects/iAMMember", f"{role}secretmanager_secretAccessor", False),
        ("serviceaccount/account", "serviceaccount_cloud_run_my_project", False),
        (
            "serviceaccount/iAMMember",
            "serviceaccountiammember_cloud_run_my_project_cloudscheduler_agent_roles_iam_"
            "serviceAccountTokenCreator",
            False,
        ),
        ("storage/bucket", "bucket_my_project_data", False),
    ]
    policy = plan.find("gcp:monitoring/alertPolicy:AlertPolicy", "alertpolicy_my_alert_policy")
    assert policy.inputs["documentation"] == {
        "content": "Markdown documentation shown in alert notifications.\n",
        "mimeType": "text/markdown",
    }
    assert policy.inputs["notificationChannels"] == [
        "projects/acme-sandbox/notificationChannels/1234567890"
    ]
    # the plan only says where the scheduler agent's project number comes from
    assert [w.message for w in plan.warnings] == [
        "project number: looked up at run time (stand-in 000000000000 in this plan) for the "
        "Cloud Scheduler service agent; set input:project_number to plan the real one"
    ]


def test_plan_cli_exits_0(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "-w", str(workspace), "--stack", "sandbox"]) == 0
    out = capsys.readouterr().out
    assert "documentation={2 keys}" in out
    assert out.rstrip().splitlines()[-2].startswith("  15 resources (0 protected)")
