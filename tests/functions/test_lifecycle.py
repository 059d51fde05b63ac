"""A Pub/Sub-triggered function added to the example next to its HTTP one, through every step:
add, render, check, plan, deploy to the emulator, affected."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.affected import find_affected
from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun
from polyinfra.foundation.plan import plan_stack
from polyinfra.manifests.links import discover_workspace
from polyinfra.yamlio import load_all_text
from tests.affected.conftest import Repo
from tests.conftest import EXAMPLE

PROJECT = "data-platform-sandbox"
SA = f"trigger-stock-events@{PROJECT}.iam.gserviceaccount.com"
EVENT_FUNCTION = """

@functions_framework.cloud_event
def on_stock_update(cloud_event) -> None:  # type: ignore[no-untyped-def]
    logger.info("stock update", extra={"fields": {"id": cloud_event["id"]}})
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("functions") / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    core = root / "bases/data_platform/stock_webhook/core.py"
    core.write_text(core.read_text() + EVENT_FUNCTION)
    args = ["add", "function", "stock-events", "--project", "stock_webhook"]
    args += ["--target", "on_stock_update", "--trigger", "pubsub:stock-updates"]
    assert main([*args, "-w", str(root)]) == 0
    return root


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        yield fake


def _render(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    args = ["render", "stock-webhook", "stock-events", "--env", "sandbox", "--version", "v1"]
    assert main([*args, "-w", str(root)]) == 0
    docs = load_all_text(capsys.readouterr().out, root / "rendered.yaml")
    return {doc.data["metadata"]["name"]: doc.data for doc in docs}


def test_both_functions_render(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rendered = _render(workspace, capsys)
    assert sorted(rendered) == ["stock-events", "stock-webhook"]
    event = rendered["stock-events"]
    template = event["spec"]["template"]
    env = {e["name"]: e.get("value") for e in template["spec"]["containers"][0]["env"]}
    assert event["metadata"]["annotations"]["run.googleapis.com/ingress"] == "internal"
    assert template["metadata"]["annotations"]["cloudfunctions.googleapis.com/trigger-type"] == (
        "google.cloud.pubsub.topic.v1.messagePublished"
    )
    assert (env["FUNCTION_TARGET"], env["FUNCTION_SIGNATURE_TYPE"]) == (
        "on_stock_update",
        "cloudevent",
    )
    assert template["spec"]["serviceAccountName"] == (
        f"stock-webhook@{PROJECT}.iam.gserviceaccount.com"
    )
    http = rendered["stock-webhook"]["spec"]["template"]["metadata"]["annotations"]
    assert http["cloudfunctions.googleapis.com/trigger-type"] == "HTTP_TRIGGER"


def test_the_workspace_checks_clean(workspace: Path) -> None:
    result = check_workspace(workspace)
    assert [f"{p.position} {p.rule} {p.message}" for p in result.problems] == []


def test_the_plan_holds_the_trigger_its_account_and_grants(workspace: Path) -> None:
    plan = plan_stack(workspace / "infrastructure/pulumi", "sandbox")
    trigger = plan.find("gcp:eventarc/trigger:Trigger", "trigger_stock_events").inputs
    assert trigger == {
        "name": "stock-events",
        "location": "asia-southeast1",
        "project": PROJECT,
        "matchingCriterias": [
            {"attribute": "type", "value": "google.cloud.pubsub.topic.v1.messagePublished"}
        ],
        "destination": {
            "cloudRunService": {"service": "stock-events", "region": "asia-southeast1"}
        },
        "serviceAccount": SA,
        "transport": {"pubsub": {"topic": f"projects/{PROJECT}/topics/stock-updates"}},
        # the stack's label: keys
        "labels": {"component": "data-platform", "owner": "data-engineering"},
    }
    account = plan.find("gcp:serviceaccount/account:Account", "serviceaccount_trigger_stock_events")
    assert account.inputs == {
        "accountId": "trigger-stock-events",
        "displayName": "Eventarc trigger stock-events",
        "project": PROJECT,
    }
    receiver = plan.find(
        "gcp:projects/iAMMember:IAMMember",
        "iammember_trigger_stock_events_roles_eventarc_eventReceiver",
    )
    assert receiver.inputs == {
        "member": f"serviceAccount:{SA}",
        "project": PROJECT,
        "role": "roles/eventarc.eventReceiver",
    }
    invoker = plan.find(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "serviceiammember_stock_events_trigger_stock_events_roles_run_invoker",
    )
    assert invoker.inputs == {
        "name": "stock-events",
        "location": "asia-southeast1",
        "project": PROJECT,
        "role": "roles/run.invoker",
        "member": f"serviceAccount:{SA}",
    }
    topic = plan.find("gcp:pubsub/topic:Topic", "topic_stock_updates")
    assert topic.inputs["name"] == "stock-updates"
    apis = {r.inputs["service"] for r in plan.resources if r.type == "gcp:projects/service:Service"}
    assert {"eventarc.googleapis.com", "pubsub.googleapis.com", "run.googleapis.com"} <= apis


def test_both_functions_deploy_to_the_emulator(
    workspace: Path, emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["deploy", "stock-webhook", "stock-events", "--env", "sandbox", "--version", "v1"]
    assert main([*args, "-w", str(workspace)]) == 0
    for name in ("stock-webhook", "stock-events"):
        stored = emulator.get_object("services", PROJECT, name)
        assert stored is not None, name
        ready = [c for c in stored["status"]["conditions"] if c["type"] == "Ready"]
        assert ready[0]["status"] == "True"
    stored = emulator.get_object("services", PROJECT, "stock-events")
    assert stored is not None
    assert stored["metadata"]["annotations"]["run.googleapis.com/ingress"] == "internal"


def test_affected_maps_the_brick_to_both_functions_and_the_trigger_to_the_foundation(
    workspace: Path, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(workspace, root)
    repo = Repo(root).init()
    repo.commit("workspace")
    core = root / "bases/data_platform/stock_webhook/core.py"
    core.write_text(core.read_text() + "\n# a comment\n")
    repo.commit("brick")
    answer = find_affected(discover_workspace(root), "HEAD~1")
    assert sorted(a.name for a in answer.apps) == ["stock-events", "stock-webhook"]
    assert [s.name for s in answer.stacks] == []
    stack = root / "infrastructure/pulumi/Pulumi.sandbox.yaml"
    stack.write_text(stack.read_text().replace("topic: stock-updates", "topic: stock-changes", 1))
    stack.write_text(stack.read_text().replace("- name: stock-updates", "- name: stock-changes", 1))
    repo.commit("trigger")
    answer = find_affected(discover_workspace(root), "HEAD~1")
    assert [s.name for s in answer.stacks] == ["sandbox"]
    assert [a.name for a in answer.apps] == []
