"""crossstack/trigger-source and crossstack/trigger-function on edited copies of the example:
each mistake at the stack-file value it is about, and a stack whose triggers are right."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from tests.conftest import edit

PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"
FUNCTION = "infrastructure/cloudrun_function/stock-webhook"
#: The end of the stock-webhook entry of the production stack: triggers go after it.
WEBHOOK_END = (
    "        description: Images of the stock-webhook function\n"
    "        cleanup_policies: *artifact_registry_cleanup_policies\n"
)
#: The line the first trigger's ``name`` is on once :func:`with_triggers` added them.
FIRST = 120


def with_triggers(root: Path, triggers: str) -> None:
    """Give the production stack's stock-webhook entry a topic and ``triggers``."""
    edit(
        root,
        PROD_STACK,
        WEBHOOK_END,
        WEBHOOK_END + "      pubsub_topics:\n        - name: stock-updates\n"
        "      triggers:\n" + triggers,
    )


def trigger(name: str, function: str, source: str) -> str:
    kind, value = source.split("=", 1)
    event = {
        "topic": "google.cloud.pubsub.topic.v1.messagePublished",
        "bucket": "google.cloud.storage.object.v1.finalized",
    }[kind]
    return (
        f"        - name: {name}\n"
        f"          function: {function}\n"
        f"          event_type: {event}\n"
        f"          {kind}: {value}\n"
    )


def trigger_problems(root: Path, env: str = "production") -> list[tuple[str, str, str, str]]:
    result = check_workspace(root, environments=[env], select=["crossstack"], plan=False)
    return [
        (f"{p.position.relative_to(root)}", p.rule, p.message, p.hint or "")
        for p in result.problems
        if p.rule.startswith("crossstack/trigger-")
    ]


def test_triggers_of_declared_sources_to_deployed_functions_pass(root: Path) -> None:
    with_triggers(
        root,
        trigger("stock-webhook-updates", "stock-webhook", "topic=stock-updates")
        + trigger("raw-landed", "stock-webhook", "bucket=data-platform-prod-dmd-raw")
        + trigger("shared-updates", "stock-webhook", "topic=projects/acme-shared/topics/stock")
        + trigger("partner-files", "stock-webhook", "bucket=acme-partner-drop")
        + "          external: true\n",
    )
    result = check_workspace(root, environments=["production"], plan=True)
    assert [p for p in result.problems if p.rule.startswith(("crossstack/", "config/"))] == [
        p for p in result.problems if p.rule == "crossstack/job-trigger"
    ]
    assert not [p for p in result.problems if p.level.label == "error"]


def test_a_topic_the_stack_does_not_declare(root: Path) -> None:
    with_triggers(root, trigger("stock-webhook-updates", "stock-webhook", "topic=stock-update"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 3}:18",
            "crossstack/trigger-source",
            "trigger 'stock-webhook-updates' listens to topic 'stock-update', which "
            "Pulumi.production.yaml does not declare in any pubsub_topics (did you mean "
            "'stock-updates'?)",
            "declare the topic in pubsub_topics, give its full id "
            "projects/<project>/topics/<name>, or set `external: true` when another stack "
            "manages it",
        )
    ]


def test_a_bucket_the_stack_does_not_declare(root: Path) -> None:
    with_triggers(root, trigger("raw-landed", "stock-webhook", "bucket=acme-partner-drop"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 3}:19",
            "crossstack/trigger-source",
            "trigger 'raw-landed' listens to bucket 'acme-partner-drop', which "
            "Pulumi.production.yaml does not declare in any cloud_storage (its buckets: "
            "data-platform-prod-dmd-raw)",
            "declare the bucket in cloud_storage, or set `external: true` when another stack "
            "manages it",
        )
    ]


def test_a_function_the_workspace_does_not_have(root: Path) -> None:
    with_triggers(root, trigger("stock-webhook-updates", "stock-webhok", "topic=stock-updates"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 1}:21",
            "crossstack/trigger-function",
            "trigger 'stock-webhook-updates' delivers to 'stock-webhok', which is not a "
            "function app of the workspace (did you mean 'stock-webhook'?)",
            "name a function app (an app under infrastructure/cloudrun_function/)",
        )
    ]


def test_a_function_far_from_every_name_lists_the_functions(root: Path) -> None:
    with_triggers(root, trigger("audit", "zzz", "topic=stock-updates"))
    assert [message for _, _, message, _ in trigger_problems(root)] == [
        "trigger 'audit' delivers to 'zzz', which is not a function app of the workspace "
        "(its functions: stock-webhook)"
    ]


@pytest.mark.parametrize(
    ("app", "kind"), [("inventory-api", "service"), ("dmd-inv-mov-api2bq", "job")]
)
def test_a_service_or_job_is_not_a_function(root: Path, app: str, kind: str) -> None:
    with_triggers(root, trigger("stock-webhook-updates", app, "topic=stock-updates"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 1}:21",
            "crossstack/trigger-function",
            f"trigger 'stock-webhook-updates' delivers to '{app}', which is a {kind} app, not "
            "a function",
            "name a function app (an app under infrastructure/cloudrun_function/)",
        )
    ]


def test_a_function_not_deployed_to_the_environment(root: Path) -> None:
    shutil.rmtree(root / FUNCTION / "overlays" / "production")
    with_triggers(root, trigger("stock-webhook-updates", "stock-webhook", "topic=stock-updates"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 1}:21",
            "crossstack/trigger-function",
            "trigger 'stock-webhook-updates' delivers to 'stock-webhook', a function with no "
            "overlay for environment 'production'",
            f"add the overlay {FUNCTION}/overlays/production/, or remove the trigger from "
            "Pulumi.production.yaml",
        )
    ]


def test_a_function_deployed_under_another_name(root: Path) -> None:
    edit(
        root,
        f"{FUNCTION}/overlays/production/kustomization.yaml",
        "namespace: data-platform-prod\n",
        "namespace: data-platform-prod\nnameSuffix: -prod\n",
    )
    with_triggers(root, trigger("stock-webhook-updates", "stock-webhook", "topic=stock-updates"))
    assert trigger_problems(root) == [
        (
            f"{PROD_STACK}:{FIRST + 1}:21",
            "crossstack/trigger-function",
            "trigger 'stock-webhook-updates' delivers to 'stock-webhook', but function app "
            "'stock-webhook' deploys as 'stock-webhook-prod' in production",
            "set `function: stock-webhook-prod`",
        )
    ]
    # the rendered name is the one Eventarc delivers to
    edit(root, PROD_STACK, "function: stock-webhook\n", "function: stock-webhook-prod\n")
    assert trigger_problems(root) == []


def test_an_invalid_stack_file_is_left_to_the_config_rules(root: Path) -> None:
    with_triggers(
        root,
        "        - name: stock-webhook-updates\n"
        "          function: stock-webhok\n"
        "          event_type: google.cloud.pubsub.topic.v1.messagePublished\n",
    )
    result = check_workspace(root, select=["crossstack", "config"], plan=False)
    assert {p.rule for p in result.problems} == {"config/stack-valid"}
