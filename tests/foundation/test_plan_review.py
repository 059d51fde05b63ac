"""Plans a reviewer can trust: values wrapped and never cut, ``plan --diff --detailed-exitcode``
exit codes, and a protected resource that a change removes or replaces as an error."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.foundation.plan import Plan, PlannedResource, diff_plans
from polyinfra.foundation.report import WIDTH, format_diff, format_plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "data-platform"
MEMBER = (
    "principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
    "workloadIdentityPools/github/attribute.repository/acme/data-platform"
)
TOKEN = "x" * 120
BUCKET_URN = (
    "urn:pulumi:production::data-platform::gcp:storage/bucket:Bucket::"
    "bucket_data_platform_prod_dmd_raw"
)


def grant(member: str = MEMBER) -> PlannedResource:
    return PlannedResource(
        "gcp:serviceaccount/iAMMember:IAMMember",
        "wif_user",
        {
            "member": member,
            "role": "roles/iam.workloadIdentityUser",
            "serviceAccountId": "projects/acme-prod/serviceAccounts/"
            "deployer@acme-prod.iam.gserviceaccount.com",
        },
    )


def bucket(name: str = "acme-raw", **inputs: object) -> PlannedResource:
    return PlannedResource(
        "gcp:storage/bucket:Bucket",
        "bucket_raw",
        {"name": name, "location": "EU", "labels": {"team": "data"}, **inputs},
        protect=True,
    )


def test_plan_wraps_long_values_under_themselves_and_never_cuts_them() -> None:
    plan = Plan("production", "acme-prod", (grant(), bucket(description=TOKEN)), {"pool": MEMBER})
    lines = format_plan(plan).splitlines()
    assert lines[:13] == [
        "Stack production (Google Cloud project acme-prod)",
        "  gcp:serviceaccount/iAMMember:IAMMember (1)",
        "    + wif_user",
        "        member=principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "               workloadIdentityPools/github/attribute.repository/acme/data-platform",
        "        role=roles/iam.workloadIdentityUser",
        "        serviceAccountId=projects/acme-prod/serviceAccounts/deployer@",
        "                         acme-prod.iam.gserviceaccount.com",
        "  gcp:storage/bucket:Bucket (1)",
        "    + bucket_raw [protected]",
        f"        description={TOKEN}",  # one piece longer than a line: whole, on its own line
        "        labels={1 keys} location=EU name=acme-raw",
        "  Outputs:",
    ]
    assert lines[13:15] == [
        "    pool: principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "          workloadIdentityPools/github/attribute.repository/acme/data-platform",
    ]
    assert "…" not in format_plan(plan)
    assert all(
        len(line) <= WIDTH for line in lines if TOKEN not in line and "resources" not in line
    )


def test_a_long_string_wraps_at_spaces_keeping_every_word() -> None:
    description = " ".join(f"word{index}" for index in range(40))
    plan = Plan("sandbox", "p", (bucket(description=description),), {})
    lines = format_plan(plan).splitlines()[3:8]
    assert lines == [
        '        description="word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 '
        "word11",
        "                    word12 word13 word14 word15 word16 word17 word18 word19 word20 "
        "word21 word22",
        "                    word23 word24 word25 word26 word27 word28 word29 word30 word31 "
        "word32 word33",
        '                    word34 word35 word36 word37 word38 word39"',
        "        labels={1 keys} location=EU name=acme-raw",
    ]


def test_diff_shows_a_long_change_whole_old_value_then_new() -> None:
    old = Plan("production", "acme-prod", (grant(),), {})
    new = Plan("production", "acme-prod", (grant(MEMBER.replace("data-platform", "ops")),), {})
    assert format_diff(diff_plans(old, new, "HEAD")).splitlines() == [
        "Stack production: changes since HEAD",
        "  ~ wif_user (gcp:serviceaccount/iAMMember:IAMMember)",
        "        member: principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "                workloadIdentityPools/github/attribute.repository/acme/data-platform",
        "                -> principalSet://iam.googleapis.com/projects/123456789012/locations/"
        "global/",
        "                   workloadIdentityPools/github/attribute.repository/acme/ops",
        "  0 to add, 1 to change, 0 to remove, 0 unchanged",
    ]


def test_a_list_changed_in_length_is_shown_in_full() -> None:
    old = Plan("sandbox", "p", (bucket(cors=[{"origin": ["https://a.example"]}]),), {})
    new = Plan("sandbox", "p", (bucket(cors=[]),), {})
    assert format_diff(diff_plans(old, new, "HEAD")).splitlines()[2] == (
        '        cors: [{"origin": ["https://a.example"]}] -> []'
    )


def test_a_protected_resource_whose_name_changes_is_replaced_an_error() -> None:
    old = Plan("production", "acme-prod", (bucket(),), {})
    new = Plan("production", "acme-prod", (bucket("acme-raw-2"),), {})
    diff = diff_plans(old, new, "HEAD", pulumi_project="acme-infra")
    urn = "urn:pulumi:production::acme-infra::gcp:storage/bucket:Bucket::bucket_raw"
    assert [(loss.urn, loss.replaced_by) for loss in diff.protected] == [(urn, ("name",))]
    assert format_diff(diff).splitlines() == [
        "Stack production: changes since HEAD",
        "  ~ bucket_raw (gcp:storage/bucket:Bucket) [protected and replaced: the update will "
        "fail until unprotected]",
        "        name: acme-raw -> acme-raw-2",
        "  0 to add, 1 to change, 0 to remove, 0 unchanged",
        "  error: bucket_raw (gcp:storage/bucket:Bucket) is protected and this change replaces "
        "it (name changed): Pulumi refuses to delete a protected resource, so the update would "
        "fail",
        "    hint: set input:protect: false for the production stack and deploy that first, or "
        f"run `pulumi state unprotect --stack production '{urn}'`",
    ]


def test_other_inputs_of_a_protected_resource_change_in_place() -> None:
    old = Plan("production", "acme-prod", (bucket(),), {})
    new = Plan("production", "acme-prod", (bucket(storageClass="NEARLINE"),), {})
    diff = diff_plans(old, new, "HEAD")
    assert diff.protected == ()
    assert [c.path for c in diff.changed[0].changes] == ["storageClass"]


def test_inputs_the_provider_cannot_change_in_place_replace_a_protected_resource() -> None:
    secret = PlannedResource(
        "gcp:secretmanager/secret:Secret",
        "secret_TOKEN",
        {"secretId": "TOKEN", "replication": {"auto": {}}},
        protect=True,
    )
    moved = PlannedResource(
        secret.type,
        secret.name,
        {"secretId": "TOKEN", "replication": {"userManaged": {"replicas": [{"location": "eu"}]}}},
        protect=True,
    )
    dataset = PlannedResource(
        "gcp:bigquery/dataset:Dataset", "dataset_raw", {"datasetId": "raw"}, protect=True
    )
    old = Plan("production", "acme-prod", (bucket(), secret, dataset), {})
    new = Plan(
        "production",
        "acme-prod",
        (
            bucket(location="ASIA"),
            moved,
            dataclasses.replace(dataset, inputs={"datasetId": "raw", "location": "US"}),
        ),
        {},
    )
    diff = diff_plans(old, new, "HEAD")
    assert [(loss.name, loss.replaced_by) for loss in diff.protected] == [
        ("bucket_raw", ("location",)),
        ("secret_TOKEN", ("replication",)),
        ("dataset_raw", ("location",)),
    ]


def test_a_new_gcp_project_replaces_every_resource_of_the_provider_project() -> None:
    old = Plan("production", "acme-prod", (bucket(), grant()), {})
    new = Plan("production", "acme-prod-2", (bucket(), grant()), {})
    diff = diff_plans(old, new, "HEAD", pulumi_project="acme-infra")
    assert [(loss.name, loss.replaced_by) for loss in diff.protected] == [
        ("bucket_raw", ("gcp:project",))
    ]
    assert format_diff(diff).splitlines()[:7] == [
        "Stack production: changes since HEAD",
        "  gcp:project: acme-prod -> acme-prod-2 (every resource moves to the new project: "
        "Pulumi replaces each one)",
        "  ~ bucket_raw (gcp:storage/bucket:Bucket) [protected and replaced: the update will "
        "fail until unprotected]",
        "        gcp:project: acme-prod -> acme-prod-2",
        "  ~ wif_user (gcp:serviceaccount/iAMMember:IAMMember)",
        "        gcp:project: acme-prod -> acme-prod-2",
        "  0 to add, 2 to change, 0 to remove, 0 unchanged",
    ]


# --- through the CLI, in a git repository ---------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example workspace committed as the only commit of a git repository."""
    workspace = tmp_path / "ws"
    shutil.copytree(EXAMPLE, workspace, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "base")
    return workspace


def stack_file(repo: Path, stack: str) -> Path:
    return repo / "infrastructure" / "pulumi" / f"Pulumi.{stack}.yaml"


def commit_edit(repo: Path, path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "edit")


def test_detailed_exitcode_is_2_when_the_last_commit_changes_the_plan(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(repo, "sandbox")
    commit_edit(repo, stack, 'schedule: "0 4 * * *"', 'schedule: "0 5 * * *"')
    args = ["plan", "-w", str(repo), "--stack", "sandbox", "--diff", "HEAD~1"]
    assert main([*args, "--detailed-exitcode"]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "Stack sandbox: changes since HEAD~1",
        "  ~ scheduler_dmd_inv_mov (gcp:cloudscheduler/job:Job)",
        '        schedule: "0 4 * * *" -> "0 5 * * *"',
        "  0 to add, 1 to change, 0 to remove, 22 unchanged",
        f"  {stack}:91:11: note: project number: looked up at run time (stand-in 000000000000 "
        "in this plan) for the Cloud Scheduler service agent; set input:project_number to plan "
        "the real one",
    ]
    assert main(args) == 0  # without the flag, a change is a success


def test_detailed_exitcode_is_0_when_the_last_commit_changes_no_resource(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_edit(repo, repo / "README.md", "#", "# ")
    args = ["plan", "-w", str(repo), "--diff", "HEAD~1", "--detailed-exitcode"]
    assert main(args) == 0
    assert "  no changes" in capsys.readouterr().out.splitlines()


def test_detailed_exitcode_without_diff_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "-w", str(EXAMPLE), "--detailed-exitcode"]) == 2
    assert capsys.readouterr().err == (
        "error: --detailed-exitcode needs --diff REF: it tells whether the diff has changes\n"
        "  hint: add --diff REF (e.g. --diff origin/main), or drop --detailed-exitcode\n"
    )


@pytest.mark.parametrize(
    "extra", [["--stack", "prodution"], ["--bogus"]], ids=["bad stack", "bad option"]
)
def test_bad_input_under_detailed_exitcode_exits_1_not_2(
    repo: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    args = ["plan", "-w", str(repo), "--diff", "HEAD", *extra]
    assert main(args) == 2
    first = capsys.readouterr().err
    assert main([*args, "--detailed-exitcode"]) == 1
    assert capsys.readouterr().err == first  # the same message


def test_removing_a_protected_bucket_is_an_error_naming_its_urn(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(repo, "production")
    text = stack.read_text(encoding="utf-8")
    start = text.index("      cloud_storage:\n")
    end = text.index("      cloud_scheduler:\n")
    stack.write_text(text[:start] + text[end:], encoding="utf-8")
    args = ["plan", "-w", str(repo), "--stack", "production", "--diff", "HEAD"]
    scheduler = stack.read_text(encoding="utf-8").splitlines().index("        - name: dmd-inv-mov")
    note = (
        f"  {stack}:{scheduler + 1}:11: note: project number: looked up at run time (stand-in "
        "000000000000 in this plan) for the Cloud Scheduler service agent; set "
        "input:project_number to plan the real one"
    )
    for extra in ([], ["--detailed-exitcode"]):
        assert main([*args, *extra]) == 1
        assert capsys.readouterr().out.splitlines() == [
            "Stack production: changes since HEAD",
            "  - bucket_data_platform_prod_dmd_raw (gcp:storage/bucket:Bucket) [protected: the "
            "update will fail until unprotected]",
            "  0 to add, 0 to change, 1 to remove, 22 unchanged",
            f"  {stack}: error: bucket_data_platform_prod_dmd_raw (gcp:storage/bucket:Bucket) is "
            "protected and this change removes it: Pulumi refuses to delete a protected "
            "resource, so the update would fail",
            "    hint: set input:protect: false for the production stack and deploy that first, "
            f"or run `pulumi state unprotect --stack production '{BUCKET_URN}'`",
            note,
        ]
    assert main([*args, "--json"]) == 1
    [diff] = json.loads(capsys.readouterr().out)["stacks"]
    assert diff["errors"] == [
        {
            "position": str(stack),
            "message": "bucket_data_platform_prod_dmd_raw (gcp:storage/bucket:Bucket) is "
            "protected and this change removes it: Pulumi refuses to delete a protected "
            "resource, so the update would fail",
            "hint": "set input:protect: false for the production stack and deploy that first, "
            f"or run `pulumi state unprotect --stack production '{BUCKET_URN}'`",
            "urn": BUCKET_URN,
        }
    ]


def test_the_error_points_at_input_protect_when_the_stack_file_sets_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(repo, "production")
    text = stack.read_text(encoding="utf-8")
    text = text.replace(
        "  input:environment: production\n",
        "  input:environment: production\n  input:protect: false\n",
    )
    start = text.index("      cloud_storage:\n")
    stack.write_text(text[:start] + text[text.index("      cloud_scheduler:\n") :])
    code = main(["plan", "-w", str(repo), "--stack", "production", "--diff", "HEAD"])
    assert code == 1  # protected at HEAD: unprotecting in the same change is too late
    errors = [line for line in capsys.readouterr().out.splitlines() if "error:" in line]
    assert [line.split(": error: ")[0] for line in errors] == [f"  {stack}:7:3"]


def test_an_unprotected_stack_may_remove_its_bucket(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(repo, "sandbox")
    text = stack.read_text(encoding="utf-8")
    start = text.index("      cloud_storage:\n")
    stack.write_text(text[:start] + text[text.index("      cloud_scheduler:\n") :])
    args = ["plan", "-w", str(repo), "--stack", "sandbox", "--diff", "HEAD"]
    assert main(args) == 0
    assert main([*args, "--detailed-exitcode"]) == 2
    assert "error" not in capsys.readouterr().out
