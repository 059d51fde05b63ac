"""``triggers:`` of a project under the recording mocks: every resource the program declares
for a Pub/Sub and a Cloud Storage trigger, with its exact inputs and what it waits for."""

from __future__ import annotations

import pytest

from polyinfra.foundation import plan_stack
from polyinfra.foundation.plan import Plan

from .conftest import WriteStack
from .test_trigger_config import FINALIZED, PUBSUB, stack_with

SA = "gcp:serviceaccount/account:Account"
IAM = "gcp:projects/iAMMember:IAMMember"
RUN_IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
TRIGGER = "gcp:eventarc/trigger:Trigger"
SERVICE = "gcp:projects/service:Service"
TOPIC = "gcp:pubsub/topic:Topic"
BUCKET = "gcp:storage/bucket:Bucket"
UPDATES = "trigger-stock-events-updates@acme-sandbox.iam.gserviceaccount.com"
FILES = "trigger-stock-files-landed@acme-sandbox.iam.gserviceaccount.com"
STORAGE_AGENT = "service-000000000000@gs-project-accounts.iam.gserviceaccount.com"

TWO_TRIGGERS = stack_with(
    "        - name: stock-events-updates\n"
    "          function: stock-events\n"
    f"          event_type: {PUBSUB}\n"
    "          topic: stock-updates\n"
    "        - name: stock-files-landed\n"
    "          function: stock-files\n"
    f"          event_type: {FINALIZED}\n"
    "          bucket: acme-stock-drop\n"
).replace("  gcp:region: asia-southeast1\n", "  gcp:region: asia-southeast1\n  label:team: data\n")


@pytest.fixture
def two_triggers(write_stack: WriteStack) -> Plan:
    path = write_stack(TWO_TRIGGERS)
    return plan_stack(path.parent, "sandbox")


def test_a_pubsub_and_a_storage_trigger_plan_to_exactly_these_resources(
    two_triggers: Plan,
) -> None:
    assert sorted((r.type, r.name) for r in two_triggers.resources) == sorted(
        [
            (SERVICE, "service_eventarc_googleapis_com"),
            (SERVICE, "service_run_googleapis_com"),
            (SERVICE, "service_pubsub_googleapis_com"),
            (SERVICE, "service_storage_googleapis_com"),
            (TOPIC, "topic_stock_updates"),
            (BUCKET, "bucket_acme_stock_drop"),
            (SA, "serviceaccount_trigger_stock_events_updates"),
            (SA, "serviceaccount_trigger_stock_files_landed"),
            (IAM, "iammember_trigger_stock_events_updates_roles_eventarc_eventReceiver"),
            (IAM, "iammember_trigger_stock_files_landed_roles_eventarc_eventReceiver"),
            (IAM, "iammember_storage_service_agent_roles_pubsub_publisher"),
            (
                RUN_IAM,
                "serviceiammember_stock_events_trigger_stock_events_updates_roles_run_invoker",
            ),
            (RUN_IAM, "serviceiammember_stock_files_trigger_stock_files_landed_roles_run_invoker"),
            (TRIGGER, "trigger_stock_events_updates"),
            (TRIGGER, "trigger_stock_files_landed"),
        ]
    )
    assert not any(r.protect for r in two_triggers.resources)


def test_the_apis_the_triggers_need_are_enabled(two_triggers: Plan) -> None:
    for api in ("eventarc", "run", "pubsub", "storage"):
        service = two_triggers.find(SERVICE, f"service_{api}_googleapis_com")
        assert service.inputs == {"service": f"{api}.googleapis.com", "disableOnDestroy": False}


def test_each_trigger_has_an_account_that_receives_events_and_invokes_its_function_only(
    two_triggers: Plan,
) -> None:
    for name, function, email in (
        ("stock-events-updates", "stock-events", UPDATES),
        ("stock-files-landed", "stock-files", FILES),
    ):
        account_id = f"trigger-{name}"
        ident = account_id.replace("-", "_")
        account = two_triggers.find(SA, f"serviceaccount_{ident}")
        assert account.inputs == {
            "accountId": account_id,
            "displayName": f"Eventarc trigger {name}",
            "project": "acme-sandbox",
        }
        receiver = two_triggers.find(IAM, f"iammember_{ident}_roles_eventarc_eventReceiver")
        assert receiver.inputs == {
            "member": f"serviceAccount:{email}",
            "project": "acme-sandbox",
            "role": "roles/eventarc.eventReceiver",
        }
        invoker = two_triggers.find(
            RUN_IAM,
            f"serviceiammember_{function.replace('-', '_')}_{ident}_roles_run_invoker",
        )
        assert invoker.inputs == {
            "name": function,
            "location": "asia-southeast1",
            "project": "acme-sandbox",
            "role": "roles/run.invoker",
            "member": f"serviceAccount:{email}",
        }
        assert set(invoker.depends_on) == {f"serviceaccount_{ident}", "service_run_googleapis_com"}


def test_the_storage_agent_may_publish_once_per_stack(two_triggers: Plan) -> None:
    grant = two_triggers.find(IAM, "iammember_storage_service_agent_roles_pubsub_publisher")
    assert grant.inputs == {
        "member": f"serviceAccount:{STORAGE_AGENT}",
        "project": "acme-sandbox",
        "role": "roles/pubsub.publisher",
    }
    # the agent's email is asked of Cloud Storage once the API is on
    assert grant.depends_on == ("service_storage_googleapis_com",)


def test_the_pubsub_trigger(two_triggers: Plan) -> None:
    trigger = two_triggers.find(TRIGGER, "trigger_stock_events_updates")
    assert trigger.inputs == {
        "name": "stock-events-updates",
        "location": "asia-southeast1",
        "project": "acme-sandbox",
        "matchingCriterias": [{"attribute": "type", "value": PUBSUB}],
        "destination": {
            "cloudRunService": {"service": "stock-events", "region": "asia-southeast1"}
        },
        "serviceAccount": UPDATES,
        "transport": {"pubsub": {"topic": "projects/acme-sandbox/topics/stock-updates"}},
        "labels": {"team": "data"},
    }
    assert set(trigger.depends_on) == {
        "service_eventarc_googleapis_com",
        "service_run_googleapis_com",
        "service_pubsub_googleapis_com",
        "topic_stock_updates",
        "serviceaccount_trigger_stock_events_updates",
        "iammember_trigger_stock_events_updates_roles_eventarc_eventReceiver",
        "serviceiammember_stock_events_trigger_stock_events_updates_roles_run_invoker",
    }


def test_the_storage_trigger(two_triggers: Plan) -> None:
    trigger = two_triggers.find(TRIGGER, "trigger_stock_files_landed")
    assert trigger.inputs == {
        "name": "stock-files-landed",
        "location": "asia-southeast1",
        "project": "acme-sandbox",
        "matchingCriterias": [
            {"attribute": "type", "value": FINALIZED},
            {"attribute": "bucket", "value": "acme-stock-drop"},
        ],
        "destination": {"cloudRunService": {"service": "stock-files", "region": "asia-southeast1"}},
        "serviceAccount": FILES,
        "labels": {"team": "data"},
    }
    assert set(trigger.depends_on) == {
        "service_eventarc_googleapis_com",
        "service_run_googleapis_com",
        "service_storage_googleapis_com",
        "bucket_acme_stock_drop",
        "serviceaccount_trigger_stock_files_landed",
        "iammember_trigger_stock_files_landed_roles_eventarc_eventReceiver",
        "serviceiammember_stock_files_trigger_stock_files_landed_roles_run_invoker",
        "iammember_storage_service_agent_roles_pubsub_publisher",
    }


def test_the_registry_and_the_stack_outputs(two_triggers: Plan) -> None:
    assert two_triggers.outputs["projects"]["stock"] == {
        "bucket_names": ["acme-stock-drop"],
        "topic_names": ["stock-updates"],
        "trigger_names": ["stock-events-updates", "stock-files-landed"],
    }


def test_filters_a_full_topic_id_and_external_sources(write_stack: WriteStack) -> None:
    path = write_stack(
        stack_with(
            "        - name: dataset-changes\n"
            "          function: audit-sink\n"
            "          event_type: google.cloud.audit.log.v1.written\n"
            "          filters: {serviceName: bigquery.googleapis.com, methodName: "
            "google.cloud.bigquery.v2.JobService.InsertJob}\n"
            "          region: europe-west1\n"
            "        - name: shared-updates\n"
            "          function: stock-events\n"
            f"          event_type: {PUBSUB}\n"
            "          topic: projects/acme-shared/topics/stock-updates\n"
            "        - name: own-updates\n"
            "          function: stock-events\n"
            f"          event_type: {PUBSUB}\n"
            "          topic: projects/acme-sandbox/topics/stock-updates\n"
            "        - name: partner-files\n"
            "          function: stock-files\n"
            f"          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n"
            "          external: true\n"
        )
    )
    plan = plan_stack(path.parent, "sandbox")
    audit = plan.find(TRIGGER, "trigger_dataset_changes")
    assert audit.inputs == {
        "name": "dataset-changes",
        "location": "europe-west1",
        "project": "acme-sandbox",
        "matchingCriterias": [
            {"attribute": "type", "value": "google.cloud.audit.log.v1.written"},
            {"attribute": "serviceName", "value": "bigquery.googleapis.com"},
            {"attribute": "methodName", "value": "google.cloud.bigquery.v2.JobService.InsertJob"},
        ],
        "destination": {"cloudRunService": {"service": "audit-sink", "region": "europe-west1"}},
        "serviceAccount": "trigger-dataset-changes@acme-sandbox.iam.gserviceaccount.com",
    }
    shared = plan.find(TRIGGER, "trigger_shared_updates")
    assert shared.inputs["transport"] == {
        "pubsub": {"topic": "projects/acme-shared/topics/stock-updates"}
    }
    assert "topic_stock_updates" not in shared.depends_on
    # the stack's own topic, written as a full id, is still waited for
    assert "topic_stock_updates" in plan.find(TRIGGER, "trigger_own_updates").depends_on
    # a bucket managed elsewhere is not waited for, even one of the same name here
    assert "bucket_acme_stock_drop" not in plan.find(TRIGGER, "trigger_partner_files").depends_on


def test_a_long_trigger_name_gets_a_valid_account_id(write_stack: WriteStack) -> None:
    name = "warehouse-stock-files-landed-in-the-drop-bucket"
    path = write_stack(
        stack_with(
            f"        - name: {name}\n"
            "          function: stock-files\n"
            f"          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n"
        )
    )
    plan = plan_stack(path.parent, "sandbox")
    (account,) = [r for r in plan.resources if r.type == SA]
    account_id = account.inputs["accountId"]
    assert account_id.startswith("trigger-warehouse-stock-")
    assert len(account_id) == 30
    from polyinfra import values

    assert values.service_account_id(account_id) == account_id
