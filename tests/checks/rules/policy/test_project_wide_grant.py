"""policy/project-wide-grant on edited copies of the example: a project role that has a
resource-level form is a warning at its line, whose hint is the ``iam`` entry to write."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace
from tests.conftest import edit

PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"
DMD_ROLES = "          - roles/bigquery.jobUser\n          - roles/logging.logWriter\n      iam:"
API_ROLES = (
    "        account_id: inventory-api\n        roles:\n          - roles/logging.logWriter\n"
)


def warnings(root: Path) -> list[tuple[str, str, str, str]]:
    result = check_workspace(
        root, environments=["production"], select=["policy/project-wide-grant"], plan=False
    )
    return [
        (f"{p.position.relative_to(root)}", p.level.label, p.message, p.hint or "")
        for p in result.problems
    ]


def add_dmd_role(root: Path, role: str) -> None:
    edit(
        root,
        PROD_STACK,
        DMD_ROLES,
        DMD_ROLES.replace("\n      iam:", f"\n          - {role}\n      iam:"),
    )


def add_api_role(root: Path, role: str) -> None:
    edit(root, PROD_STACK, API_ROLES, API_ROLES + f"          - {role}\n")


def test_the_example_grants_per_resource(root: Path) -> None:
    assert warnings(root) == []


SECRET_GRANT = (
    "        - role: roles/secretmanager.secretAccessor # reads DMD_API_TOKEN\n"
    "          resource: {secret: DMD_API_TOKEN}\n"
)
INVOKER_GRANT = (
    "        - role: roles/run.invoker # Cloud Scheduler runs the job as this account\n"
    "          resource: {job: dmd-inv-mov-api2bq}\n"
)


def test_a_secret_reader_on_the_project_names_the_projects_one_secret(root: Path) -> None:
    edit(root, PROD_STACK, SECRET_GRANT, "")
    add_dmd_role(root, "roles/secretmanager.secretAccessor")
    assert warnings(root) == [
        (
            f"{PROD_STACK}:55:13",
            "warning",
            "production: input:projects.dmd-ingest grants roles/secretmanager.secretAccessor on "
            "the whole project: its service account may read every secret of the project",
            "remove it from service_account_iam.roles and add to input:projects.dmd-ingest.iam: "
            "`{role: roles/secretmanager.secretAccessor, resource: {secret: DMD_API_TOKEN}}`",
        )
    ]


def test_an_invoker_on_the_project_names_the_job_its_scheduler_starts(root: Path) -> None:
    edit(root, PROD_STACK, INVOKER_GRANT, "")
    add_dmd_role(root, "roles/run.invoker")
    assert [hint for *_, hint in warnings(root)] == [
        "remove it from service_account_iam.roles and add to input:projects.dmd-ingest.iam: "
        "`{role: roles/run.invoker, resource: {job: dmd-inv-mov-api2bq}}`"
    ]


def test_a_project_role_already_granted_on_each_resource_is_only_to_remove(root: Path) -> None:
    add_dmd_role(root, "roles/secretmanager.secretAccessor")
    assert [hint for *_, hint in warnings(root)] == [
        "remove it from service_account_iam.roles: input:projects.dmd-ingest.iam already grants "
        "it on each secret the project declares"
    ]


def test_a_dataset_role_names_the_projects_dataset(root: Path) -> None:
    add_dmd_role(root, "roles/bigquery.dataViewer")
    assert [hint for *_, hint in warnings(root)] == [
        "remove it from service_account_iam.roles and add to input:projects.dmd-ingest.iam: "
        "`{role: roles/bigquery.dataViewer, resource: {dataset: bronze_dmd}}`"
    ]


def test_an_invoker_without_a_scheduler_names_a_service_or_a_job(root: Path) -> None:
    add_api_role(root, "roles/run.invoker")
    assert warnings(root) == [
        (
            f"{PROD_STACK}:38:13",
            "warning",
            "production: input:projects.inventory-api grants roles/run.invoker on the whole "
            "project: its service account may run every Cloud Run job and call every service",
            "remove it from service_account_iam.roles and add to "
            "input:projects.inventory-api.iam: `{role: roles/run.invoker, resource: {service: "
            "<service name>}}` or `{role: roles/run.invoker, resource: {job: <job name>}}`, one "
            "entry per service or job it calls",
        )
    ]


def test_a_kind_the_project_does_not_declare_gets_a_placeholder(root: Path) -> None:
    add_api_role(root, "roles/storage.objectViewer")
    add_api_role(root, "roles/pubsub.publisher")
    assert [hint for *_, hint in warnings(root)] == [
        "remove it from service_account_iam.roles and add to input:projects.inventory-api.iam: "
        "`{role: roles/pubsub.publisher, resource: {topic: <name>}}`, one entry per topic it "
        "uses",
        "remove it from service_account_iam.roles and add to input:projects.inventory-api.iam: "
        "`{role: roles/storage.objectViewer, resource: {bucket: <name>}}`, one entry per bucket "
        "it uses",
    ]


def test_roles_without_a_resource_level_form_are_left_alone(root: Path) -> None:
    add_api_role(root, "roles/bigquery.jobUser")
    add_api_role(root, "roles/monitoring.metricWriter")
    assert warnings(root) == []
