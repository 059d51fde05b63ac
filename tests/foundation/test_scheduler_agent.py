"""The Cloud Scheduler service agent may mint the OAuth token of the account scheduler jobs run
as: one ``serviceaccount.IAMMember`` per such account, its project number from
``input:project_number`` or looked up when the program runs, and the plan says which."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.foundation import load_stack_config, plan_stack
from polyinfra.foundation.plan import Plan, PlanNote
from tests.conftest import EXAMPLE

from .conftest import DMD, WriteStack

SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
JOB = "gcp:cloudscheduler/job:Job"
PULUMI = EXAMPLE / "infrastructure" / "pulumi"
GRANT = (
    "serviceaccountiammember_dmd_ingest_cloudscheduler_agent_roles_iam_serviceAccountTokenCreator"
)
AGENT = "gcp-sa-cloudscheduler.iam.gserviceaccount.com"
LOOKED_UP = (
    "project number: looked up at run time (stand-in 000000000000 in this plan) for the Cloud "
    "Scheduler service agent; set input:project_number to plan the real one"
)


@pytest.mark.parametrize(
    ("stack", "project"),
    [("production", "data-platform-prod"), ("sandbox", "data-platform-sandbox")],
)
def test_the_example_lets_the_scheduler_agent_mint_the_jobs_token(stack: str, project: str) -> None:
    plan = plan_stack(PULUMI, stack)
    grant = plan.find(SA_IAM, GRANT)
    assert grant.inputs == {
        "serviceAccountId": f"projects/{project}/serviceAccounts/"
        f"dmd-ingest@{project}.iam.gserviceaccount.com",
        "role": "roles/iam.serviceAccountTokenCreator",
        "member": f"serviceAccount:service-000000000000@{AGENT}",
    }
    assert grant.depends_on == ("serviceaccount_dmd_ingest",)
    assert not grant.protect
    # one grant: only dmd-ingest has scheduler jobs
    assert [r.name for r in plan.resources if r.type == SA_IAM] == [GRANT]
    assert plan.find(JOB, "scheduler_dmd_inv_mov").depends_on == (
        "serviceaccount_dmd_ingest",
        GRANT,
    )
    # the plan says the number is a stand-in, at the first scheduler job
    [note] = plan.warnings
    assert isinstance(note, PlanNote)
    assert str(note) == f"{PULUMI / f'Pulumi.{stack}.yaml'}:91:11: note: {LOOKED_UP}"


def with_number(number: str) -> str:
    text = (DMD / "Pulumi.production.yaml").read_text()
    return text.replace(
        "  input:environment: production\n",
        f"  input:environment: production\n  input:project_number: {number}\n",
    )


def test_a_stated_project_number_names_the_agent(write_stack: WriteStack) -> None:
    path = write_stack(with_number('"123456789012"'), stack="production")
    plan = plan_stack(path.parent, "production")
    grant = plan.find(
        SA_IAM,
        "serviceaccountiammember_cloud_run_dmd_cloudscheduler_agent_roles_iam_"
        "serviceAccountTokenCreator",
    )
    assert grant.inputs == {
        "serviceAccountId": "projects/my-gcp-project/serviceAccounts/"
        "cloud-run-dmd@my-gcp-project.iam.gserviceaccount.com",
        "role": "roles/iam.serviceAccountTokenCreator",
        "member": f"serviceAccount:service-123456789012@{AGENT}",
    }
    assert [str(w) for w in plan.warnings] == [
        f"{path}:5:3: note: project number: from input:project_number (Cloud Scheduler service "
        "agent service-123456789012@gcp-sa-cloudscheduler.iam.gserviceaccount.com)"
    ]


def test_an_unquoted_project_number_reads_as_its_digits(write_stack: WriteStack) -> None:
    path = write_stack(with_number("123456789012"), stack="production")
    assert load_stack_config(path).input.project_number == "123456789012"


@pytest.mark.parametrize("number", ['"000000000000"', '"12-34"', "project-1"])
def test_a_project_number_is_digits_without_a_leading_zero(
    write_stack: WriteStack, number: str
) -> None:
    path = write_stack(with_number(number), stack="production")
    with pytest.raises(UserError) as caught:
        load_stack_config(path)
    shown = number.strip('"')
    assert caught.value.render() == (
        f"{path}:5:25: input:project_number: '{shown}': not a project number: the digits "
        "Google assigned the project, without a leading zero\n"
        "  hint: `gcloud projects describe <project id> --format='value(projectNumber)'` "
        "prints it"
    )


def test_a_stack_without_scheduler_jobs_has_no_grant_and_no_note(write_stack: WriteStack) -> None:
    path = write_stack(
        "config:\n  gcp:project: acme-sandbox\n  input:projects:\n"
        "    app:\n      service_account: {account_id: app-runner}\n"
    )
    plan: Plan = plan_stack(path.parent, "sandbox")
    assert [r.type for r in plan.resources] == ["gcp:serviceaccount/account:Account"]
    assert plan.warnings == ()


def test_the_note_is_the_plans_own(tmp_path: Path) -> None:
    """Loading the stack file (what `pulumi up` validates) adds no warning about it."""
    assert load_stack_config(PULUMI / "Pulumi.production.yaml").warnings == ()
