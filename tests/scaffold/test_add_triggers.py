"""`polyinfra add function --trigger`: the base manifest records the trigger as Cloud Run's own
functions do, and each stack file gets the Eventarc trigger (and the Pub/Sub topic it reads)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.yamlio import load_file
from tests.conftest import EXAMPLE

FUNCTION = [
    "add",
    "function",
    "stock-events",
    "--project",
    "stock_webhook",
    "--target",
    "on_update",
]


EVENT_FUNCTIONS = """

@functions_framework.cloud_event
def on_update(cloud_event):
    pass


def audit(cloud_event):
    pass
"""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    core = root / "bases/data_platform/stock_webhook/core.py"
    core.write_text(core.read_text() + EVENT_FUNCTIONS)
    return root


def _base(root: Path) -> dict[str, object]:
    path = root / "infrastructure/cloudrun_function/stock-events/base/service.yaml"
    data = load_file(path).data
    assert isinstance(data, dict)
    return data


def _entry(root: Path, stack: str) -> dict[str, object]:
    doc = load_file(root / f"infrastructure/pulumi/Pulumi.{stack}.yaml")
    entry = doc.get(("config", "input:projects", "stock-webhook"))
    assert isinstance(entry, dict)
    return entry


def _annotations_and_env(base: dict[str, object]) -> tuple[object, object, dict[str, object]]:
    template = base["spec"]["template"]  # type: ignore[index]
    container = template["spec"]["containers"][0]  # type: ignore[index]
    env = {item["name"]: item["value"] for item in container["env"]}
    return (
        base["metadata"]["annotations"]["run.googleapis.com/ingress"],  # type: ignore[index]
        template["metadata"]["annotations"]["cloudfunctions.googleapis.com/trigger-type"],  # type: ignore[index]
        env,
    )


def test_a_pubsub_function_is_internal_and_its_stack_declares_trigger_and_topic(
    example: Path,
) -> None:
    assert main([*FUNCTION, "--trigger", "pubsub:stock-updates", "-w", str(example)]) == 0
    ingress, trigger_type, env = _annotations_and_env(_base(example))
    assert ingress == "internal"
    assert trigger_type == "google.cloud.pubsub.topic.v1.messagePublished"
    assert (env["FUNCTION_TARGET"], env["FUNCTION_SIGNATURE_TYPE"]) == ("on_update", "cloudevent")
    for stack in ("sandbox", "production"):
        entry = _entry(example, stack)
        assert entry["triggers"] == [
            {
                "name": "stock-events",
                "function": "stock-events",
                "event_type": "google.cloud.pubsub.topic.v1.messagePublished",
                "topic": "stock-updates",
            }
        ]
        assert entry["pubsub_topics"] == [{"name": "stock-updates"}]
    # again with --force: nothing is added twice
    args = [*FUNCTION, "--trigger", "pubsub:stock-updates", "--force", "-w", str(example)]
    assert main(args) == 0
    entry = _entry(example, "sandbox")
    assert (len(entry["triggers"]), len(entry["pubsub_topics"])) == (1, 1)  # type: ignore[arg-type]


def test_a_topic_another_entry_declares_is_not_declared_again(example: Path) -> None:
    assert main([*FUNCTION, "--trigger", "pubsub:stock-updates", "-w", str(example)]) == 0
    args = ["add", "function", "stock-audit", "--project", "stock_webhook", "--target", "audit"]
    assert main([*args, "--trigger", "pubsub:stock-updates", "-w", str(example)]) == 0
    entry = _entry(example, "sandbox")
    assert entry["pubsub_topics"] == [{"name": "stock-updates"}]
    assert [t["function"] for t in entry["triggers"]] == ["stock-events", "stock-audit"]  # type: ignore[union-attr,index]


@pytest.mark.parametrize(
    ("trigger", "event_type", "extra"),
    [
        ("storage:acme-drop", "google.cloud.storage.object.v1.finalized", {"external": True}),
        (
            "storage:acme-drop:metadataUpdated",
            "google.cloud.storage.object.v1.metadataUpdated",
            {"external": True},
        ),
    ],
)
def test_a_storage_function_marks_an_undeclared_bucket_external(
    example: Path, trigger: str, event_type: str, extra: dict[str, object]
) -> None:
    assert main([*FUNCTION, "--trigger", trigger, "-w", str(example)]) == 0
    assert _annotations_and_env(_base(example))[1] == event_type
    (entry,) = _entry(example, "production")["triggers"]  # type: ignore[misc]
    assert entry == {
        "name": "stock-events",
        "function": "stock-events",
        "event_type": event_type,
        "bucket": "acme-drop",
        **extra,
    }
    assert "pubsub_topics" not in _entry(example, "production")


def test_an_http_function_is_public_and_adds_no_trigger(example: Path) -> None:
    assert main([*FUNCTION, "-w", str(example)]) == 0
    ingress, trigger_type, env = _annotations_and_env(_base(example))
    assert (ingress, trigger_type, env["FUNCTION_SIGNATURE_TYPE"]) == (
        "all",
        "HTTP_TRIGGER",
        "http",
    )
    assert "triggers" not in _entry(example, "sandbox")


def test_any_event_type(example: Path) -> None:
    event = "google.cloud.firestore.document.v1.written"
    assert main([*FUNCTION, "--trigger", f"event:{event}", "-w", str(example)]) == 0
    (entry,) = _entry(example, "sandbox")["triggers"]  # type: ignore[misc]
    assert entry == {"name": "stock-events", "function": "stock-events", "event_type": event}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trigger", "sqs:queue"], "--trigger 'sqs:queue' is not a trigger"),
        (["--trigger", "pubsub:"], "--trigger 'pubsub:' is not a trigger"),
        (["--trigger", "storage:Bad_Bucket!"], "--trigger storage:Bad_Bucket!: "),
        (
            ["--trigger", "storage:acme-drop:created"],
            "'created' is not a Cloud Storage object event",
        ),
        (["--trigger", "event:my event"], "'my event' is not a CloudEvent type"),
        (["--trigger", "pubsub:goog-topic"], "--trigger pubsub:goog-topic: "),
    ],
)
def test_bad_triggers_are_refused_before_anything_is_written(
    example: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (example / "infrastructure/pulumi/Pulumi.sandbox.yaml").read_text()
    assert main([*FUNCTION, *args, "-w", str(example)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "hint: " in err
    assert not (example / "infrastructure/cloudrun_function/stock-events").exists()
    assert (example / "infrastructure/pulumi/Pulumi.sandbox.yaml").read_text() == before


def test_a_trigger_is_for_functions_only(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["add", "service", "stock-api", "--project", "stock_webhook"]
    assert main([*args, "--trigger", "pubsub:x-topic", "-w", str(example)]) == 2
    assert "No such option: --trigger" in capsys.readouterr().err


def test_a_target_no_brick_defines_is_refused(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["add", "function", "stock-events", "--project", "stock_webhook"]
    assert main([*args, "--target", "on_updates", "-w", str(example)]) == 2
    err = capsys.readouterr().err
    assert (
        "--target 'on_updates': no brick of project 'stock_webhook' defines a module-level "
        "function of that name (did you mean 'on_update'?)"
    ) in err
    assert "hint: write the function first, or pass one the bricks define: apply_movements, " in err
    assert not (example / "infrastructure/cloudrun_function/stock-events").exists()


@pytest.mark.parametrize(
    ("trigger", "target"),
    [("pubsub:stock-updates", "on_update"), ("http", "handle_stock_event")],
)
def test_without_target_the_one_function_decorated_for_the_trigger_is_served(
    example: Path, trigger: str, target: str
) -> None:
    args = ["add", "function", "stock-events", "--project", "stock_webhook"]
    assert main([*args, "--trigger", trigger, "-w", str(example)]) == 0
    assert _annotations_and_env(_base(example))[2]["FUNCTION_TARGET"] == target


def test_without_target_and_no_single_candidate_add_asks(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["add", "function", "stock-audit", "--project", "stock_webhook"]
    assert (
        main(
            [
                *args,
                "--trigger",
                "event:google.cloud.firestore.document.v1.written",
                "-w",
                str(example),
            ]
        )
        == 0
    )
    core = example / "bases/data_platform/stock_webhook/core.py"
    core.write_text(
        core.read_text() + "\n\n@functions_framework.cloud_event\ndef other(e):\n    pass\n"
    )
    args = ["add", "function", "stock-more", "--project", "stock_webhook"]
    assert main([*args, "--trigger", "pubsub:stock-updates", "-w", str(example)]) == 2
    err = capsys.readouterr().err
    assert "which function does 'stock-more' serve?" in err
    assert "hint: pass --target with one of: apply_movements, audit, get_logger, " in err


@pytest.mark.parametrize(
    ("event", "message", "hint"),
    [
        (
            "google.cloud.pubsub.topic.v1.messagePublished",
            "a Pub/Sub trigger needs its topic",
            "use --trigger pubsub:TOPIC",
        ),
        (
            "google.cloud.storage.object.v1.deleted",
            "a Cloud Storage trigger needs its bucket",
            "use --trigger storage:BUCKET:deleted",
        ),
        (
            "google.cloud.audit.log.v1.written",
            "a Cloud Audit Logs trigger needs the serviceName and methodName it filters on",
            "add the function without --trigger, then write its entry",
        ),
    ],
)
def test_an_event_type_whose_trigger_needs_more_is_refused(
    example: Path, event: str, message: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*FUNCTION, "--trigger", f"event:{event}", "-w", str(example)]) == 2
    err = capsys.readouterr().err
    assert f"--trigger event:{event}: {message}" in err
    assert f"hint: {hint}" in err
    assert not (example / "infrastructure/cloudrun_function/stock-events").exists()
