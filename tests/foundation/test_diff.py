"""plan --diff: the stack file at a git revision against the working tree, in a real repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from polyinfra.errors import ToolError
from polyinfra.foundation.plan import plan_diff

from .conftest import DMD


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    program = tmp_path / "infrastructure" / "pulumi"
    shutil.copytree(DMD, program)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "foundation")
    return program


def test_no_changes(repo: Path) -> None:
    diff = plan_diff(repo, "production", "HEAD")
    assert diff.empty
    assert diff.unchanged == 9


def test_added_removed_changed(repo: Path) -> None:
    stack = repo / "Pulumi.production.yaml"
    text = stack.read_text()
    text = text.replace("          - roles/logging.logWriter\n", "")
    text = text.replace('schedule: "0 4 * * *"', 'schedule: "30 5 * * *"')
    text = text.replace(
        "      bigquery_dataset:",
        "      cloud_storage:\n        name: dmd-landing\n        location: ASIA\n"
        "      bigquery_dataset:",
    )
    stack.write_text(text)
    schema = repo / "bigquery/bronze_dmd/inventory_movement.json"
    schema.write_text(schema.read_text().replace('"sku"', '"sku_code"'))
    diff = plan_diff(repo, "production", "HEAD")
    assert [(r.type, r.name) for r in diff.added] == [
        ("gcp:storage/bucket:Bucket", "bucket_dmd_landing")
    ]
    assert diff.added[0].protect is True
    assert [r.name for r in diff.removed] == ["iammember_cloud_run_dmd_roles_logging_logWriter"]
    changed = {c.name: c for c in diff.changed}
    assert set(changed) == {"scheduler_dmd_inv_mov", "table_bronze_dmd_inventory_movement"}
    [schedule] = changed["scheduler_dmd_inv_mov"].changes
    assert (schedule.path, schedule.old, schedule.new) == ("schedule", "0 4 * * *", "30 5 * * *")
    [table_schema] = changed["table_bronze_dmd_inventory_movement"].changes
    assert table_schema.path == "schema"
    assert '"sku"' in table_schema.old
    assert '"sku_code"' in table_schema.new
    assert diff.unchanged == 6


def test_stack_file_new_since_ref(repo: Path) -> None:
    (repo / "Pulumi.sandbox.yaml").write_text(
        "config:\n  gcp:project: p\n  input:projects:\n    a:\n      apis: [run.googleapis.com]\n"
    )
    diff = plan_diff(repo, "sandbox", "HEAD")
    assert [r.name for r in diff.added] == ["service_run_googleapis_com"]
    assert diff.removed == ()
    assert diff.changed == ()


def test_unknown_ref_is_a_tool_error_with_gits_stderr(repo: Path) -> None:
    with pytest.raises(ToolError) as caught:
        plan_diff(repo, "production", "no-such-branch")
    assert "git show no-such-branch:infrastructure/pulumi/Pulumi.production.yaml" in str(
        caught.value
    )
    assert "exit code 128" in str(caught.value)
