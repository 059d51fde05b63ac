"""The SARIF that `polyinfra lint` and `polyinfra check` print validates against the official
OASIS SARIF 2.1.0 JSON schema (data/sarif-schema-2.1.0.json, see data/SOURCES.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from polyinfra.cli.main import main
from tests.checks.conftest import DATA, GOOD, variant
from tests.conftest import EXAMPLE

SCHEMA_PATH = DATA / "sarif-schema-2.1.0.json"
REALWORLD = DATA / "realworld"
BROKEN_TEMPLATE = REALWORLD / "18-bento-backend-tf-template-broken.yaml"
JOB_PROD = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/production/kustomization.yaml"
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"


@pytest.fixture(scope="module")
def validator() -> Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validator_for(schema)  # the draft the schema's "$schema" names (draft-04)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def sarif_of(args: list[str], exit_code: int, capsys: pytest.CaptureFixture[str]) -> Any:
    assert main(args) == exit_code
    return json.loads(capsys.readouterr().out)


def assert_valid(log: Any, validator: Validator) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


def assert_facts(log: Any) -> list[dict[str, Any]]:
    """The facts beyond the schema that consumers rely on; returns the run's results."""
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "polyinfra"
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert result["ruleId"] in ids
        if "ruleIndex" in result:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        region = physical.get("region", {})
        assert region.get("startLine", 1) >= 1
        assert region.get("startColumn", 1) >= 1
    results: list[dict[str, Any]] = run["results"]
    return results


def levels(results: list[dict[str, Any]]) -> set[str]:
    return {result["level"] for result in results}


def test_the_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_lint_errors_and_warnings(
    tmp_path: Path,
    validator: Validator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "svc.yaml").write_text(
        variant(
            "service",
            ("timeoutSeconds: 300", "timeoutSeconds: 7200"),
            ("my-service:1.4.2", "my-service:latest"),
            ("containerPort: 8080", "containerPort: 80800"),
        ),
        encoding="utf-8",
    )
    shutil.copy(BROKEN_TEMPLATE, tmp_path / BROKEN_TEMPLATE.name)
    monkeypatch.chdir(tmp_path)
    log = sarif_of(["lint", ".", "--format", "sarif"], 1, capsys)
    assert_valid(log, validator)
    results = assert_facts(log)
    assert levels(results) == {"error", "warning"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"svc.yaml", BROKEN_TEMPLATE.name}
    assert "manifest/unrendered-template" in {r["ruleId"] for r in results}


def test_lint_realworld_folder(validator: Validator, capsys: pytest.CaptureFixture[str]) -> None:
    # unreadable templates in the folder make the exit code 2
    log = sarif_of(["lint", str(REALWORLD), "--format", "sarif"], 2, capsys)
    assert_valid(log, validator)
    results = assert_facts(log)
    assert len(results) > 10
    assert levels(results) == {"error", "warning"}


def test_lint_clean_file_has_no_results(
    validator: Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    log = sarif_of(["lint", str(GOOD["service"]), "--format", "sarif"], 0, capsys)
    assert_valid(log, validator)
    assert assert_facts(log) == []
    assert log["runs"][0]["tool"]["driver"]["rules"]


def test_check_clean_example(
    workspace: Path, validator: Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    log = sarif_of(["check", "-w", str(workspace), "--format", "sarif"], 0, capsys)
    assert_valid(log, validator)
    assert assert_facts(log) == []
    assert log["runs"][0]["tool"]["driver"]["rules"]


def test_check_error_warning_and_note(
    workspace: Path,
    validator: Validator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for rel, old, new in (
        (JOB_PROD, "dmd-ingest@data-platform-prod", "dmd-ingest@data-platform-sandbox"),
        (SANDBOX_STACK, "target_job: dmd-inv-mov-api2bq", "target_job: dmd-inv-mov-api2bq-x"),
    ):
        path = workspace / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1
        path.write_text(text.replace(old, new), encoding="utf-8")
    # the stock-webhook project then builds an image no app deploys: a warning
    shutil.rmtree(workspace / "infrastructure/cloudrun_function/stock-webhook")
    monkeypatch.chdir(workspace)
    log = sarif_of(["check", "-w", ".", "--format", "sarif"], 1, capsys)
    assert_valid(log, validator)
    results = assert_facts(log)
    assert levels(results) == {"error", "warning", "note"}
    assert "crossstack/service-account-exists" in {r["ruleId"] for r in results}


def test_an_invalid_log_is_rejected(validator: Validator) -> None:
    """The validator is not vacuous: a wrong version and a zero startLine fail it."""
    log = {
        "version": "2.0.0",
        "runs": [
            {
                "tool": {"driver": {"name": "polyinfra"}},
                "results": [
                    {
                        "ruleId": "x/y",
                        "level": "fatal",
                        "message": {"text": "m"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "a.yaml"},
                                    "region": {"startLine": 0},
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }
    paths = {e.json_path for e in validator.iter_errors(log)}
    assert paths >= {
        "$.version",
        "$.runs[0].results[0].level",
        "$.runs[0].results[0].locations[0].physicalLocation.region.startLine",
    }
