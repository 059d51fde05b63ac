"""The cross-stack rules count a grant on the resource itself (an ``iam`` entry of the stack
file), read without planning the program: on that secret or that job, for that account, in
that project and region, and nothing broader or elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from tests.conftest import edit

PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"
SECRET_GRANT = "          resource: {secret: DMD_API_TOKEN}\n"
JOB_GRANT = "          resource: {job: dmd-inv-mov-api2bq}\n"
ACCOUNT = "dmd-ingest@data-platform-prod.iam.gserviceaccount.com"


def problems(root: Path) -> list[tuple[str, str, str]]:
    result = check_workspace(root, environments=["production"], select=["crossstack"], plan=False)
    return [
        (f"{p.position.relative_to(root)}", p.rule, f"{p.message}\n  hint: {p.hint}")
        for p in result.problems
    ]


def test_the_examples_grants_count_without_a_plan(root: Path) -> None:
    assert problems(root) == []


def test_a_secret_by_its_full_name_in_the_stacks_project(root: Path) -> None:
    full = "          resource: {secret: projects/data-platform-prod/secrets/DMD_API_TOKEN}\n"
    edit(root, PROD_STACK, SECRET_GRANT, full)
    assert problems(root) == []


def test_the_account_named_as_the_member(root: Path) -> None:
    edit(
        root,
        PROD_STACK,
        SECRET_GRANT,
        SECRET_GRANT + f"          member: serviceAccount:{ACCOUNT}\n",
    )
    assert problems(root) == []


SECRET_NOT_READABLE = (
    f"{PROD_STACK}:55:7",
    "crossstack/secret-readable",
    f"{ACCOUNT} cannot read DMD_API_TOKEN: input:projects.dmd-ingest grants it "
    "roles/secretmanager.secretAccessor neither on the secret nor on the project\n"
    "  hint: add to input:projects.dmd-ingest.iam: `{role: roles/secretmanager.secretAccessor, "
    "resource: {secret: DMD_API_TOKEN}}`",
)


def test_a_grant_on_another_secret_does_not_count(root: Path) -> None:
    edit(
        root,
        PROD_STACK,
        "        - secret_id: DMD_API_TOKEN",
        "        - secret_id: DMD_SFTP_KEY\n        - secret_id: DMD_API_TOKEN",
    )
    edit(root, PROD_STACK, SECRET_GRANT, "          resource: {secret: DMD_SFTP_KEY}\n")
    assert problems(root) == [SECRET_NOT_READABLE]


def test_a_grant_on_a_secret_of_another_project_does_not_count(root: Path) -> None:
    other = "          resource: {secret: projects/shared-secrets/secrets/DMD_API_TOKEN}\n"
    edit(root, PROD_STACK, SECRET_GRANT, other)
    assert problems(root) == [SECRET_NOT_READABLE]


def test_a_grant_to_someone_else_does_not_count(root: Path) -> None:
    edit(
        root, PROD_STACK, SECRET_GRANT, SECRET_GRANT + "          member: group:ops@acme.example\n"
    )
    assert problems(root) == [SECRET_NOT_READABLE]


INVOKER_MISSING = (
    f"{PROD_STACK}:55:7",
    "crossstack/scheduler-invoker",
    "scheduler 'dmd-inv-mov' runs as the service account of input:projects.dmd-ingest, "
    "which lacks roles/run.invoker on job 'dmd-inv-mov-api2bq'\n"
    "  hint: add to input:projects.dmd-ingest.iam: `{role: roles/run.invoker, "
    "resource: {job: dmd-inv-mov-api2bq}}`",
)


def test_a_grant_on_the_job_in_another_region(root: Path) -> None:
    edit(root, PROD_STACK, JOB_GRANT, JOB_GRANT + "          location: europe-west1\n")
    assert problems(root) == [
        INVOKER_MISSING,
        (
            f"{PROD_STACK}:60:21",
            "crossstack/grant-target",
            "input:projects.dmd-ingest grants roles/run.invoker on job 'dmd-inv-mov-api2bq' in "
            "europe-west1, but it deploys to asia-southeast1\n"
            "  hint: set `location: asia-southeast1` on the grant",
        ),
    ]


def test_a_grant_on_a_job_the_environment_does_not_have(root: Path) -> None:
    edit(root, PROD_STACK, JOB_GRANT, "          resource: {job: dmd-inv-mov-api2b}\n")
    assert problems(root) == [
        INVOKER_MISSING,
        (
            f"{PROD_STACK}:59:27",
            "crossstack/grant-target",
            "input:projects.dmd-ingest grants roles/run.invoker on job 'dmd-inv-mov-api2b', "
            "which is not a Cloud Run job of environment 'production' (did you mean "
            "'dmd-inv-mov-api2bq'?)\n"
            "  hint: name a job app deployed to this environment, or give the full name of one "
            "deployed elsewhere: projects/<project>/locations/<location>/jobs/<name>",
        ),
    ]


@pytest.mark.parametrize(
    ("resource", "found"),
    [
        ("{service: inventory-api}", []),
        ("{service: stock-webhook}", []),  # a function is a Cloud Run service
        (
            "{service: projects/data-platform-prod/locations/asia-southeast1/services/billing}",
            [],
        ),
        (
            "{job: inventory-api}",
            [
                "input:projects.dmd-ingest grants roles/run.invoker on job 'inventory-api', which "
                "is not a Cloud Run job of environment 'production' (its jobs: "
                "dmd-inv-mov-api2bq)"
            ],
        ),
        (
            "{service: dmd-inv-mov-api2bq}",
            [
                "input:projects.dmd-ingest grants roles/run.invoker on service "
                "'dmd-inv-mov-api2bq', which is not a Cloud Run service or function of "
                "environment 'production' (its services: inventory-api, stock-webhook)"
            ],
        ),
    ],
)
def test_grants_on_services(root: Path, resource: str, found: list[str]) -> None:
    edit(
        root,
        PROD_STACK,
        JOB_GRANT,
        JOB_GRANT + f"        - role: roles/run.invoker\n          resource: {resource}\n",
    )
    result = check_workspace(
        root, environments=["production"], select=["crossstack/grant-target"], plan=False
    )
    assert [p.message for p in result.problems] == found


def test_a_project_wide_role_still_counts(root: Path) -> None:
    edit(root, PROD_STACK, JOB_GRANT, "          resource: {job: dmd-sku-api2bq}\n")
    edit(
        root,
        PROD_STACK,
        "          - roles/logging.logWriter\n      iam:",
        "          - roles/logging.logWriter\n          - roles/run.developer\n      iam:",
    )
    assert [rule for _, rule, _ in problems(root)] == ["crossstack/grant-target"]
