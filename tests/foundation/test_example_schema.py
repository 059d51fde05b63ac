"""The example's stack files name a JSON Schema (for editors) that they satisfy."""

from __future__ import annotations

import json

import jsonschema
import pytest

from polyinfra.yamlio import load_file
from tests.conftest import EXAMPLE

PULUMI = EXAMPLE / "infrastructure" / "pulumi"


@pytest.mark.parametrize("stack", ["sandbox", "production"])
def test_stack_file_satisfies_its_schema(stack: str) -> None:
    path = PULUMI / f"Pulumi.{stack}.yaml"
    assert path.read_text().splitlines()[0] == (
        "# yaml-language-server: $schema=stack-config.schema.json"
    )
    schema = json.loads((PULUMI / "stack-config.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(load_file(path).data)


def test_schema_rejects_an_unknown_key() -> None:
    schema = json.loads((PULUMI / "stack-config.schema.json").read_text())
    data = load_file(PULUMI / "Pulumi.sandbox.yaml").data
    data["config"]["input:projects"]["inventory-api"]["service_acount"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_shipped_schema_is_the_generated_one() -> None:
    from polyinfra.foundation.schema import stack_config_schema

    assert json.loads((PULUMI / "stack-config.schema.json").read_text()) == (
        stack_config_schema()
    ), "regenerate it: polyinfra schema stack-config --output <that file>"


def test_schema_takes_markdown_documentation_and_the_programs_namespaces() -> None:
    schema = json.loads((PULUMI / "stack-config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    policy = {
        "name": "job-failed",
        "display_name": "Job failed",
        "combiner": "OR",
        "conditions": [{"display_name": "x", "condition_absent": {"duration": "600s"}}],
    }
    data = {
        "config": {
            "gcp:project": "p",
            "data-platform:db_tier": "small",
            "google-native:project": "p",
            "random:config:seed": 4,
            "input:monitoring": {
                "alert_policies": [
                    {**policy, "documentation": "Markdown text\n"},
                    {**policy, "documentation": {"content": "x", "mime_type": "text/markdown"}},
                ]
            },
        }
    }
    assert list(validator.iter_errors(data)) == []
    data["config"]["input:monitoring"]["alert_policies"][0]["documentation"] = ["a list"]
    data["config"]["gcp:projet"] = "p"
    data["config"]["a:b:c"] = "p"
    errors = {str(list(e.absolute_path)): e.message for e in validator.iter_errors(data)}
    assert sorted(errors) == [
        "['config', 'input:monitoring', 'alert_policies', 0, 'documentation']",
        "['config']",
    ]
    assert "'a:b:c'" in errors["['config']"]
    assert "'gcp:projet'" in errors["['config']"]


def test_schema_describes_triggers() -> None:
    schema = json.loads((PULUMI / "stack-config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    trigger = {
        "name": "stock-events-updates",
        "function": "stock-events",
        "event_type": "google.cloud.pubsub.topic.v1.messagePublished",
        "topic": "stock-updates",
        "filters": {"serviceName": "pubsub.googleapis.com"},
        "region": "asia-southeast1",
        "external": False,
    }
    data = {"config": {"gcp:project": "p", "input:projects": {"stock": {"triggers": [trigger]}}}}
    assert list(validator.iter_errors(data)) == []
    trigger["fliters"] = {}
    del trigger["function"]
    errors = sorted(e.message for e in validator.iter_errors(data))
    assert errors == [
        "'function' is a required property",
        "Additional properties are not allowed ('fliters' was unexpected)",
    ]
    described = schema["$defs"]["Trigger"]["properties"]["event_type"]["description"]
    assert described.startswith("The CloudEvent type: google.cloud.pubsub.topic.v1.")
