"""docs/rules.md is generated from the rule docstrings and committed up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.docs import rules_markdown, rules_table, summary
from polyinfra.checks.registry import ALL_RULES, by_id
from polyinfra.cli.main import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_committed_rule_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == rules_markdown(ALL_RULES), (
        "docs/rules.md is stale: run `python -m polyinfra.checks.docs > docs/rules.md`"
    )


def test_reference_turns_examples_into_yaml_blocks() -> None:
    text = rules_markdown([by_id()["cloudrun/reserved-env"]])
    assert "### cloudrun/reserved-env\n\nDefault level: **error**." in text
    assert (
        "**Bad**\n\n```yaml\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - image: gcr.io/acme/api:v1\n          env:\n            - name: PORT\n"
        '              value: "8080"\n```'
    ) in text
    assert "          ports:\n            - containerPort: 8080\n```" in text


def test_summary_is_the_first_sentence() -> None:
    assert summary(by_id()["cloudrun/containers"]) == (
        "The object has a `metadata.name` and 1 to 10 containers; every container has an "
        "`image`; with several containers each has a unique `name` "
        "(sidecars are addressed by name, e.g. in `run.googleapis.com/container-dependencies`, "
        "whose names must exist)."
    )
    assert summary(by_id()["cloudrun/startup-probe"]) == (
        "A Service's ingress container may declare a `startupProbe` on its health endpoint."
    )


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["manifest/invalid-yaml", "error"]
    assert "cloudrun/misplaced-field" in out
    assert rules_table([by_id()["cloudrun/job-max-retries"]]).startswith(
        "cloudrun/job-max-retries  info (off by default)  Say how often"
    )
    assert rules_table([by_id()["cloudrun/image-tag"]]).startswith(
        "cloudrun/image-tag  warning  Deploy an image"
    )
