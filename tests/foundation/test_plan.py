"""The program under recording mocks: the spec's dmd example, protection, registry, re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.foundation import STACK_OUTPUTS, plan_stack
from polyinfra.foundation.plan import Plan

from .conftest import DMD, WriteStack

SA = "gcp:serviceaccount/account:Account"
IAM = "gcp:projects/iAMMember:IAMMember"
REPO = "gcp:artifactregistry/repository:Repository"
DATASET = "gcp:bigquery/dataset:Dataset"
TABLE = "gcp:bigquery/table:Table"
JOB = "gcp:cloudscheduler/job:Job"
SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
AGENT_GRANT = (
    "serviceaccountiammember_cloud_run_dmd_cloudscheduler_agent_roles_iam_"
    "serviceAccountTokenCreator"
)
EMAIL = "cloud-run-dmd@my-gcp-project.iam.gserviceaccount.com"
CLEANUP = [
    {"action": "DELETE", "id": "delete-prerelease", "condition": {"olderThan": "2592000s"}},
    {"action": "KEEP", "id": "keep-minimum-versions", "mostRecentVersions": {"keepCount": 10}},
]


@pytest.fixture(scope="module")
def dmd_plan() -> Plan:
    return plan_stack(DMD, "production")


def test_dmd_plans_to_exactly_the_resources_it_implies(dmd_plan: Plan) -> None:
    assert sorted((r.type, r.name) for r in dmd_plan.resources) == sorted(
        [
            (SA, "serviceaccount_cloud_run_dmd"),
            (IAM, "iammember_cloud_run_dmd_roles_bigquery_admin"),
            (IAM, "iammember_cloud_run_dmd_roles_run_invoker"),
            (IAM, "iammember_cloud_run_dmd_roles_logging_logWriter"),
            (REPO, "registry_data_integration_dmd_asia_southeast1"),
            (DATASET, "dataset_bronze_dmd"),
            (TABLE, "table_bronze_dmd_inventory_movement"),
            (JOB, "scheduler_dmd_inv_mov"),
            (SA_IAM, AGENT_GRANT),
        ]
    )
    assert dmd_plan.totals() == {SA: 1, IAM: 3, REPO: 1, DATASET: 1, TABLE: 1, JOB: 1, SA_IAM: 1}


def test_dmd_inputs(dmd_plan: Plan) -> None:
    labels = {"component": "data-pipeline"}
    assert dmd_plan.find(SA, "serviceaccount_cloud_run_dmd").inputs == {
        "accountId": "cloud-run-dmd",
        "description": "Service account for DMD Cloud Run Jobs",
        "displayName": "Cloud Run Job DMD",
    }
    for role in ("roles/bigquery.admin", "roles/run.invoker", "roles/logging.logWriter"):
        name = "iammember_cloud_run_dmd_" + role.replace("/", "_").replace(".", "_")
        assert dmd_plan.find(IAM, name).inputs == {
            "member": f"serviceAccount:{EMAIL}",
            "project": "my-gcp-project",
            "role": role,
        }
    assert dmd_plan.find(REPO, "registry_data_integration_dmd_asia_southeast1").inputs == {
        "repositoryId": "data-integration-dmd",
        "format": "DOCKER",
        "location": "asia-southeast1",
        "cleanupPolicies": CLEANUP,
        "labels": labels,
        "deletionPolicy": "PREVENT",
    }
    assert dmd_plan.find(DATASET, "dataset_bronze_dmd").inputs == {
        "datasetId": "bronze_dmd",
        "location": "asia-southeast1",
        "labels": labels,
        "deletionPolicy": "PREVENT",
    }
    table = dmd_plan.find(TABLE, "table_bronze_dmd_inventory_movement")
    schema = json.loads((DMD / "bigquery/bronze_dmd/inventory_movement.json").read_text())
    assert json.loads(table.inputs["schema"]) == schema
    assert {k: v for k, v in table.inputs.items() if k != "schema"} == {
        "datasetId": "bronze_dmd",
        "tableId": "inventory_movement",
        "labels": labels,
        "deletionProtection": True,
        "deletionPolicy": "PREVENT",
    }


def test_dmd_scheduler_calls_the_run_endpoint_with_the_oauth_account(dmd_plan: Plan) -> None:
    job = dmd_plan.find(JOB, "scheduler_dmd_inv_mov")
    assert job.inputs == {
        "name": "dmd-inv-mov",
        "region": "asia-southeast1",
        "description": "Daily DMD inventory movement extraction",
        "schedule": "0 4 * * *",
        "timeZone": "Asia/Kuala_Lumpur",
        "httpTarget": {
            "uri": "https://asia-southeast1-run.googleapis.com/apis/run.googleapis.com/v1/"
            "namespaces/my-gcp-project/jobs/dmd-inv-mov-api2bq:run",
            "httpMethod": "POST",
            "oauthToken": {"serviceAccountEmail": EMAIL},
        },
    }
    # the agent may mint the account's token before the job's first run
    assert job.depends_on == ("serviceaccount_cloud_run_dmd", AGENT_GRANT)


def test_production_protects_stateful_resources_only(dmd_plan: Plan) -> None:
    protected = {r.type for r in dmd_plan.resources if r.protect}
    assert protected == {REPO, DATASET, TABLE}


def test_stack_outputs(dmd_plan: Plan) -> None:
    assert tuple(dmd_plan.outputs) == STACK_OUTPUTS
    assert dmd_plan.outputs == {
        "gcp_project": "my-gcp-project",
        "environment": "production",
        "projects": {
            "dmd": {
                "service_account_email": EMAIL,
                "registry_url": (
                    "asia-southeast1-docker.pkg.dev/my-gcp-project/data-integration-dmd"
                ),
                "dataset_ids": ["bronze_dmd"],
                "scheduler_jobs": ["dmd-inv-mov"],
            }
        },
    }


def test_plan_runs_again_in_the_same_process(dmd_plan: Plan) -> None:
    again = plan_stack(DMD, "production")
    assert again == dmd_plan


FULL = """
config:
  gcp:project: sandbox-project
  gcp:region: europe-west1
  label:team: data
  input:projects:
    events:
      apis: [pubsub.googleapis.com, storage.googleapis.com]
      service_account:
        account_id: events-runner
      cloud_storage:
        name: events-archive
        location: EU
        public_access_prevention: inherited
      pubsub_topics:
        - name: events
          subscriptions:
            - name: events-to-archive
              ack_deadline_seconds: 20
              dead_letter_policy:
                dead_letter_topic: events-dead-letter
                max_delivery_attempts: 5
        - name: events-dead-letter
      secrets:
        - secret_id: EVENTS_TOKEN
      artifact_registry:
        repository_id: events
        format: DOCKER
"""


def test_sandbox_stack_with_every_project_section(write_stack: WriteStack) -> None:
    path = write_stack(FULL)
    plan = plan_stack(path.parent, "sandbox")
    assert not any(r.protect for r in plan.resources)
    services = {r.inputs["service"]: r for r in plan.resources if r.type.endswith(":Service")}
    assert set(services) == {"pubsub.googleapis.com", "storage.googleapis.com"}
    assert services["pubsub.googleapis.com"].name == "service_pubsub_googleapis_com"
    bucket = plan.find("gcp:storage/bucket:Bucket", "bucket_events_archive")
    assert bucket.inputs == {
        "name": "events-archive",
        "location": "EU",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "inherited",  # the stack file's explicit choice wins
        "labels": {"team": "data"},
    }
    assert bucket.depends_on == ("service_storage_googleapis_com",)
    subscription = plan.find(
        "gcp:pubsub/subscription:Subscription", "subscription_events_to_archive"
    )
    assert subscription.inputs["topic"] == "projects/sandbox-project/topics/events"
    assert subscription.inputs["deadLetterPolicy"] == {
        "deadLetterTopic": "projects/sandbox-project/topics/events-dead-letter",
        "maxDeliveryAttempts": 5,
    }
    secret = plan.find("gcp:secretmanager/secret:Secret", "secret_EVENTS_TOKEN")
    assert secret.inputs == {
        "secretId": "EVENTS_TOKEN",
        "replication": {"auto": {}},
        "labels": {"team": "data"},
        "deletionProtection": False,
    }
    registry = plan.find(REPO, "registry_events_europe_west1")
    assert registry.inputs["location"] == "europe-west1"  # from gcp:region
    assert plan.outputs["projects"]["events"]["registry_url"] == (
        "europe-west1-docker.pkg.dev/sandbox-project/events"
    )
    # non-authoritative IAM only
    assert not any("IAMBinding" in r.type or "IAMPolicy" in r.type for r in plan.resources)


def test_protect_setting_overrides_the_environment_default(write_stack: WriteStack) -> None:
    path = write_stack(FULL.replace("  label:team: data\n", "  input:protect: true\n"))
    plan = plan_stack(path.parent, "sandbox")
    assert {r.name for r in plan.resources if r.protect} == {
        "bucket_events_archive",
        "secret_EVENTS_TOKEN",
        "registry_events_europe_west1",
    }
    secret = plan.find("gcp:secretmanager/secret:Secret", "secret_EVENTS_TOKEN")
    assert secret.inputs["deletionProtection"] is True
    assert secret.inputs["deletionPolicy"] == "PREVENT"


def test_monitoring(write_stack: WriteStack, program_dir: Path) -> None:
    (program_dir / "monitoring").mkdir()
    (program_dir / "monitoring" / "dashboard.json").write_text(
        '{"displayName": "Old", "mosaicLayout": {"columns": 12, "tiles": []}}'
    )
    path = write_stack(
        """
        config:
          gcp:project: p
          input:monitoring:
            notification_channel_id: "1234"
            log_based_metrics:
              - name: job_errors
                filter: severity>=ERROR
            alert_policies:
              - name: job-errors
                display_name: Job errors
                combiner: OR
                conditions:
                  - display_name: errors logged
                    condition_matched_log:
                      filter: severity>=ERROR
            dashboard:
              display_name: Data platform
              dashboard_json_file: monitoring/dashboard.json
        """
    )
    plan = plan_stack(path.parent, "sandbox")
    policy = plan.find("gcp:monitoring/alertPolicy:AlertPolicy", "alertpolicy_job_errors")
    assert policy.inputs["notificationChannels"] == ["projects/p/notificationChannels/1234"]
    assert policy.depends_on == ("logmetric_job_errors",)
    dashboard = plan.find("gcp:monitoring/dashboard:Dashboard", "dashboard_data_platform")
    assert json.loads(dashboard.inputs["dashboardJson"]) == {
        "displayName": "Data platform",
        "mosaicLayout": {"columns": 12, "tiles": []},
    }


def test_a_custom_main_adds_resources_next_to_ours(program_dir: Path) -> None:
    (program_dir / "Pulumi.production.yaml").write_text(
        (DMD / "Pulumi.production.yaml").read_text()
    )
    (program_dir / "__main__.py").write_text(
        "import pulumi_gcp as gcp\n"
        "from polyinfra.foundation import make_resource_name, run\n"
        "\n"
        "resources = run()\n"
        "account = resources.service_accounts['dmd']\n"
        "gcp.storage.BucketIAMMember(\n"
        "    make_resource_name('bucketiammember', 'landing', 'roles/storage.objectViewer'),\n"
        "    bucket='landing',\n"
        "    role='roles/storage.objectViewer',\n"
        "    member=account.member,\n"
        ")\n"
    )
    plan = plan_stack(program_dir, "production")
    extra = plan.find(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "bucketiammember_landing_roles_storage_objectViewer",
    )
    assert extra.inputs["member"] == f"serviceAccount:{EMAIL}"
    assert len(plan.resources) == 10


def test_runtime_config_path_reads_pulumi_config(program_dir: Path) -> None:
    """Without a preloaded config, run() reads the engine's config (here set by the plan)."""
    from polyinfra.foundation.plan import run_under_mocks, runtime_config_values
    from polyinfra.foundation.program import run

    stack = program_dir / "Pulumi.production.yaml"
    stack.write_text((DMD / "Pulumi.production.yaml").read_text())
    from polyinfra.foundation.config import load_stack_config

    values, secrets = runtime_config_values(load_stack_config(stack))
    resources, outputs = run_under_mocks(
        lambda: run(program_dir=program_dir),
        project="data-integration",
        stack="production",
        gcp_project="my-gcp-project",
        config=values,
        secret_keys=secrets,
    )
    assert resources == list(plan_stack(DMD, "production").resources)
    assert outputs["projects"]["dmd"]["service_account_email"] == EMAIL


def test_runtime_config_errors_name_the_stack_file(program_dir: Path) -> None:
    from polyinfra.foundation.plan import run_under_mocks
    from polyinfra.foundation.program import run

    stack = program_dir / "Pulumi.sandbox.yaml"
    stack.write_text("config:\n  gcp:project: p\n  input:protect: maybe\n")
    with pytest.raises(UserError) as caught:
        run_under_mocks(
            lambda: run(program_dir=program_dir),
            project="x",
            stack="sandbox",
            gcp_project="p",
            config={"gcp:project": "p", "input:protect": "maybe"},
        )
    assert str(caught.value) == (f"{stack}:3:18: input:protect: expected a boolean (true/false)")


def test_a_failing_program_is_reported_at_its_line(program_dir: Path) -> None:
    (program_dir / "Pulumi.production.yaml").write_text(
        (DMD / "Pulumi.production.yaml").read_text()
    )
    main = program_dir / "__main__.py"
    main.write_text(
        "from polyinfra.foundation import run\n\nresources = run()\nresources.buckets['dmd']\n"
    )
    with pytest.raises(UserError) as caught:
        plan_stack(program_dir, "production")
    assert caught.value.render() == (
        f"{main.resolve()}:4: the Pulumi program failed: KeyError: 'dmd'\n"
        "  hint: fix the program (it runs exactly like this under `pulumi up`)"
    )
    # the runtime state is clean for the next plan
    assert len(plan_stack(DMD, "production").resources) == 9
