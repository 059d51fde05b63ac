"""``triggers:`` of a project: what the stack file may say, each mistake at file:line:col with a
hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import load_stack_config

from .conftest import WriteStack

PUBSUB = "google.cloud.pubsub.topic.v1.messagePublished"
FINALIZED = "google.cloud.storage.object.v1.finalized"


def errors_of(path: Path) -> list[str]:
    with pytest.raises(UserError) as caught:
        load_stack_config(path)
    error = caught.value
    return [item.render() for item in (error.errors if isinstance(error, UserErrors) else [error])]


def stack_with(triggers: str, extra: str = "") -> str:
    """A stack whose project ``stock`` declares a topic, a bucket and ``triggers``."""
    return (
        "config:\n"
        "  gcp:project: acme-sandbox\n"
        "  gcp:region: asia-southeast1\n"
        "  input:projects:\n"
        "    stock:\n"
        "      pubsub_topics:\n"
        "        - name: stock-updates\n"
        "      cloud_storage:\n"
        "        name: acme-stock-drop\n"
        "        location: ASIA-SOUTHEAST1\n"
        f"{extra}"
        "      triggers:\n"
        f"{triggers}"
    )


def test_the_design_example_loads(write_stack: WriteStack) -> None:
    path = write_stack(
        stack_with(
            "        - name: stock-events-updates\n"
            "          function: stock-events\n"
            f"          event_type: {PUBSUB}\n"
            "          topic: stock-updates\n"
            "        - name: stock-files-landed\n"
            "          function: stock-files\n"
            f"          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n"
            "        - name: dataset-changes\n"
            "          function: audit-sink\n"
            "          event_type: google.cloud.audit.log.v1.written\n"
            "          filters: {serviceName: bigquery.googleapis.com, methodName: "
            "google.cloud.bigquery.v2.JobService.InsertJob}\n"
            "          region: asia-southeast1\n"
            "          external: true\n"
        )
    )
    config = load_stack_config(path)
    updates, files, audit = config.input.projects["stock"].triggers
    assert (updates.source, files.source, audit.source) == ("pubsub", "storage", "filters")
    assert updates.topic_id("acme-sandbox") == "projects/acme-sandbox/topics/stock-updates"
    assert audit.filters == {
        "serviceName": "bigquery.googleapis.com",
        "methodName": "google.cloud.bigquery.v2.JobService.InsertJob",
    }
    assert audit.external is True
    assert files.external is False
    assert updates.apis == (
        "eventarc.googleapis.com",
        "run.googleapis.com",
        "pubsub.googleapis.com",
    )
    assert files.apis == ("eventarc.googleapis.com", "run.googleapis.com", "storage.googleapis.com")
    assert audit.apis == ("eventarc.googleapis.com", "run.googleapis.com")
    position = config.position(("input", "projects", "stock", "triggers", 1, "bucket"), value=True)
    assert (position.line, position.col) == (19, 19)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            f"        - name: updates\n          function: f\n          event_type: {PUBSUB}\n",
            "12:11: input:projects.stock.triggers[0]: a Pub/Sub trigger needs `topic`: the "
            "topic whose messages it delivers\n  hint: add `topic: <a topic of pubsub_topics>` "
            "or its full id projects/<project>/topics/<name>",
        ),
        (
            f"        - name: updates\n          function: f\n          event_type: {PUBSUB}\n"
            "          topic: stock-updates\n          bucket: acme-stock-drop\n",
            "16:11: input:projects.stock.triggers[0].bucket: a Pub/Sub trigger takes no "
            "`bucket`: it listens to `topic`\n  hint: remove `bucket`",
        ),
        (
            f"        - name: files\n          function: f\n          event_type: {FINALIZED}\n",
            "12:11: input:projects.stock.triggers[0]: a Cloud Storage trigger needs `bucket`: "
            "the bucket whose objects it reports\n  hint: add `bucket: <a bucket of "
            "cloud_storage>` (or one managed elsewhere, with `external: true`)",
        ),
        (
            f"        - name: files\n          function: f\n          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n          topic: stock-updates\n",
            "16:11: input:projects.stock.triggers[0].topic: a Cloud Storage trigger takes no "
            "`topic`: Eventarc makes its own topic\n  hint: remove `topic`",
        ),
        (
            f"        - name: files\n          function: f\n          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n          filters: {contentType: text/csv}\n",
            "16:11: input:projects.stock.triggers[0].filters: a Cloud Storage trigger takes no "
            "`filters`: Eventarc matches its bucket only\n  hint: remove `filters`",
        ),
        (
            "        - name: docs\n          function: f\n"
            "          event_type: google.cloud.firestore.document.v1.written\n"
            "          topic: stock-updates\n",
            "15:11: input:projects.stock.triggers[0].topic: a "
            "google.cloud.firestore.document.v1.written trigger takes no `topic`: its events "
            "are matched by `filters`\n  hint: remove `topic`",
        ),
        (
            "        - name: audit\n          function: f\n"
            "          event_type: google.cloud.audit.log.v1.written\n"
            "          filters:\n            serviceName: storage.googleapis.com\n",
            "15:11: input:projects.stock.triggers[0].filters: a Cloud Audit Logs trigger needs "
            "the filters serviceName and methodName: methodName missing\n  hint: e.g. filters: "
            "{serviceName: bigquery.googleapis.com, methodName: "
            "google.cloud.bigquery.v2.JobService.InsertJob}",
        ),
        (
            "        - name: audit\n          function: f\n"
            "          event_type: google.cloud.firestore.document.v1.written\n"
            "          filters:\n            type: x\n",
            "16:13: input:projects.stock.triggers[0].filters.type: the event type is "
            "`event_type`, not a filter\n  hint: remove filters.type",
        ),
        (
            "        - name: Stock_Updates\n          function: f\n"
            f"          event_type: {PUBSUB}\n          topic: stock-updates\n",
            "12:17: input:projects.stock.triggers[0].name: 'Stock_Updates' is not an Eventarc "
            "trigger name: at most 63 lowercase letters, digits and hyphens, starting with a "
            "letter\n  hint: for example 'stock-updates'",
        ),
        (
            "        - name: files\n          function: f\n"
            "          event_type: google.cloud.storage.object.v1.finalize\n"
            "          bucket: acme-stock-drop\n",
            "14:23: input:projects.stock.triggers[0].event_type: "
            "'google.cloud.storage.object.v1.finalize' is not an event type Eventarc delivers\n"
            "  hint: did you mean 'google.cloud.storage.object.v1.finalized'?",
        ),
        (
            "        - name: files\n          function: f\n"
            "          event_type: storage.finalize\n"
            "          bucket: acme-stock-drop\n",
            "14:23: input:projects.stock.triggers[0].event_type: 'storage.finalize' is not a "
            "Google CloudEvent type polyinfra can check: those read "
            "google.cloud.<product>.<resource>.v<N>.<event> (or google.firebase....)"
            "\n  hint: e.g. google.cloud.pubsub.topic.v1.messagePublished",
        ),
        (
            f"        - name: updates\n          function: f\n          event_type: {PUBSUB}\n"
            "          topic: stock-updates\n          extrnal: true\n",
            "16:11: input:projects.stock.triggers[0].extrnal: unknown key 'extrnal'\n"
            "  hint: did you mean 'external'?",
        ),
        (
            f"        - name: updates\n          function: Stock_Events\n"
            f"          event_type: {PUBSUB}\n          topic: stock-updates\n",
            "13:21: input:projects.stock.triggers[0].function: 'Stock_Events' is not a valid "
            "Cloud Run function name: use lowercase letters, digits and hyphens, start with a "
            "letter and do not end with a hyphen\n  hint: for example 'stock-events'",
        ),
        (
            f"        - name: updates\n          function: f\n          event_type: {PUBSUB}\n"
            "          topic: projects/acme/topics/stock-updates\n",
            "15:18: input:projects.stock.triggers[0].topic: 'projects/acme/topics/stock-updates'"
            " is not a Pub/Sub topic: give its name, or its full id "
            "projects/<project>/topics/<name>",
        ),
    ],
    ids=[
        "pubsub-without-topic",
        "pubsub-with-bucket",
        "storage-without-bucket",
        "storage-with-topic",
        "storage-with-filters",
        "filters-type-with-topic",
        "audit-log-without-method",
        "filters-type",
        "bad-name",
        "misspelt-storage-event",
        "not-a-cloudevent-type",
        "unknown-key",
        "bad-function-name",
        "bad-topic-id",
    ],
)
def test_each_mistake_at_its_position(write_stack: WriteStack, entry: str, expected: str) -> None:
    path = write_stack(stack_with(entry))
    assert errors_of(path) == [f"{path}:{expected}"]


def test_cross_value_mistakes(write_stack: WriteStack) -> None:
    path = write_stack(
        stack_with(
            "        - name: files\n"
            "          function: stock-files\n"
            f"          event_type: {FINALIZED}\n"
            "          bucket: acme-stock-drop\n"
            "          region: europe-west1\n"
            "        - name: files\n"
            "          function: stock-files\n"
            f"          event_type: {PUBSUB}\n"
            "          topic: stock-updates\n"
            "        - name: eu-files\n"
            "          function: stock-files\n"
            f"          event_type: {FINALIZED}\n"
            "          bucket: acme-eu-drop\n"
            "          region: europe-west1\n",
            extra="      service_account:\n        account_id: trigger-eu-files\n",
        ).replace(
            "        name: acme-stock-drop\n        location: ASIA-SOUTHEAST1\n",
            "        - name: acme-stock-drop\n          location: ASIA-SOUTHEAST1\n"
            "        - name: acme-eu-drop\n          location: EU\n",
        )
    )
    assert errors_of(path) == [
        f"{path}:19:19: input:projects.stock.triggers[0].bucket: bucket 'acme-stock-drop' is "
        "in ASIA-SOUTHEAST1, but the trigger is in europe-west1: Eventarc delivers a bucket's "
        "events only to a trigger in the bucket's location\n"
        "  hint: set `region: asia-southeast1` on the trigger (its function runs there too)",
        f"{path}:21:11: input:projects.stock.triggers[1].name: resource name 'trigger_files' "
        "is already used by input:projects.stock.triggers[0].name\n"
        "  hint: give one of them a different id",
        f"{path}:25:11: input:projects.stock.triggers[2].name: the trigger's service account "
        "'trigger-eu-files' is already declared by "
        "input:projects.stock.service_account.account_id\n"
        "  hint: rename the trigger or the other account",
        f"{path}:28:19: input:projects.stock.triggers[2].bucket: bucket 'acme-eu-drop' is in "
        "EU, but the trigger is in europe-west1: Eventarc delivers a bucket's events only to a "
        "trigger in the bucket's location\n"
        "  hint: a trigger has one region, for itself and its function: keep the bucket in a "
        "single region",
    ]


def test_a_trigger_needs_a_region(write_stack: WriteStack) -> None:
    text = stack_with(
        f"        - name: updates\n          function: f\n          event_type: {PUBSUB}\n"
        "          topic: stock-updates\n"
    ).replace("  gcp:region: asia-southeast1\n", "")
    path = write_stack(text)
    assert errors_of(path) == [
        f"{path}:11:11: input:projects.stock.triggers[0]: no region for the trigger\n"
        "  hint: set region here or gcp:region"
    ]
