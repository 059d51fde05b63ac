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
