"""The example's foundation stack grants its roles per resource where one is named: its plan
holds exactly these resource-level IAM members, and project roles only where no resource is."""

from __future__ import annotations

from polyinfra.foundation import plan_stack
from polyinfra.foundation.grants import KINDS
from polyinfra.foundation.plan import Plan
from tests.conftest import EXAMPLE

PROGRAM = EXAMPLE / "infrastructure" / "pulumi"
DMD = "serviceAccount:dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com"


def test_the_sandbox_plan_holds_exactly_these_resource_level_members() -> None:
    plan = plan_stack(PROGRAM, "sandbox")
    scoped = [
        (r.type, r.name, dict(r.inputs))
        for r in plan.resources
        # the scheduler agent's grant is the scheduler's (test_scheduler_agent.py)
        if r.type in {kind.type for kind in KINDS.values()} and "cloudscheduler_agent" not in r.name
    ]
    assert scoped == [
        (
            "gcp:bigquery/datasetIamMember:DatasetIamMember",
            "datasetiammember_bronze_dmd_dmd_ingest_roles_bigquery_dataEditor",
            {
                "datasetId": "bronze_dmd",
                "project": "data-platform-sandbox",
                "role": "roles/bigquery.dataEditor",
                "member": DMD,
            },
        ),
        (
            "gcp:cloudrunv2/jobIamMember:JobIamMember",
            "jobiammember_dmd_inv_mov_api2bq_dmd_ingest_roles_run_invoker",
            {
                "name": "dmd-inv-mov-api2bq",
                "location": "asia-southeast1",
                "project": "data-platform-sandbox",
                "role": "roles/run.invoker",
                "member": DMD,
            },
        ),
        (
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            "secretiammember_DMD_API_TOKEN_dmd_ingest_roles_secretmanager_secretAccessor",
            {
                "secretId": "DMD_API_TOKEN",
                "project": "data-platform-sandbox",
                "role": "roles/secretmanager.secretAccessor",
                "member": DMD,
            },
        ),
    ]
    by_name = {r.name: r for r in plan.resources}
    assert set(
        by_name[
            "secretiammember_DMD_API_TOKEN_dmd_ingest_roles_secretmanager_secretAccessor"
        ].depends_on
    ) == {"secret_DMD_API_TOKEN", "serviceaccount_dmd_ingest"}
    assert set(
        by_name["datasetiammember_bronze_dmd_dmd_ingest_roles_bigquery_dataEditor"].depends_on
    ) == {"dataset_bronze_dmd", "serviceaccount_dmd_ingest"}
    project_roles = sorted(
        (str(r.inputs["member"]).split(":")[1].split("@")[0], r.inputs["role"])
        for r in plan.resources
        if r.type == "gcp:projects/iAMMember:IAMMember"
    )
    assert project_roles == [
        ("dmd-ingest", "roles/bigquery.jobUser"),
        ("dmd-ingest", "roles/logging.logWriter"),
        ("inventory-api", "roles/logging.logWriter"),
        ("stock-webhook", "roles/logging.logWriter"),
    ]


def test_production_grants_the_same_per_resource() -> None:
    sandbox, production = (plan_stack(PROGRAM, stack) for stack in ("sandbox", "production"))

    def grants(plan: Plan) -> list[tuple[str, str]]:
        types = {kind.type for kind in KINDS.values()}
        return [(r.type, r.name) for r in plan.resources if r.type in types]

    assert grants(production) == grants(sandbox)
