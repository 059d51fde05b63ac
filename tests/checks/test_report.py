"""Reporters: text with the source line, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.registry import by_id
from polyinfra.checks.report import render, render_github, render_json, render_sarif, render_text
from polyinfra.positions import Position


@pytest.fixture
def problems(tmp_path: Path) -> list[Problem]:
    path = tmp_path / "svc.yaml"
    path.write_text("kind: Service\nspec:\n\tbad: 1\n")
    return [
        Problem(
            Position(path, 1, 7),
            "manifest/invalid-yaml",
            "bad, really: 50%",
            Level.ERROR,
            hint="fix it",
        ),
        Problem(Position(path, 3, 2), "manifest/invalid-yaml", "line\ntwo", Level.WARNING),
        Problem(Position(path), "manifest/invalid-yaml", "whole file", Level.INFO),
    ]


def test_text_shows_location_source_line_caret_hint_and_summary(
    problems: list[Problem], tmp_path: Path
) -> None:
    assert render_text(problems, root=tmp_path) == (
        "svc.yaml:1:7: error: bad, really: 50% [manifest/invalid-yaml]\n"
        "  kind: Service\n"
        "        ^\n"
        "  hint: fix it\n"
        "svc.yaml:3:2: warning: line\ntwo [manifest/invalid-yaml]\n"
        "  \tbad: 1\n"
        "  \t^\n"
        "svc.yaml: info: whole file [manifest/invalid-yaml]\n"
        "Found 3 problems (1 error, 1 warning, 1 info)."
    )
    assert render_text([]) == ""


def test_json(problems: list[Problem], tmp_path: Path) -> None:
    data = json.loads(render_json(problems, root=tmp_path))
    assert data[0] == {
        "file": "svc.yaml",
        "line": 1,
        "col": 7,
        "level": "error",
        "rule": "manifest/invalid-yaml",
        "message": "bad, really: 50%",
        "hint": "fix it",
    }
    assert [d["level"] for d in data] == ["error", "warning", "info"]


def test_sarif(problems: list[Problem], tmp_path: Path) -> None:
    rule = by_id()["manifest/invalid-yaml"]
    log = json.loads(render_sarif(problems, [rule], root=tmp_path))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "polyinfra"
    assert driver["rules"][0]["id"] == "manifest/invalid-yaml"
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][0]["shortDescription"]["text"].startswith("A manifest file must be")
    results = log["runs"][0]["results"]
    assert results[0] == {
        "ruleId": "manifest/invalid-yaml",
        "level": "error",
        "message": {"text": "bad, really: 50% (fix it)"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "svc.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 1, "startColumn": 7},
                }
            }
        ],
        "ruleIndex": 0,
    }
    assert results[2]["level"] == "note"
    assert "region" not in results[2]["locations"][0]["physicalLocation"]


def test_github_annotations_escape_properties_and_data(
    problems: list[Problem], tmp_path: Path
) -> None:
    assert render_github(problems, root=tmp_path).splitlines() == [
        "::error file=svc.yaml,line=1,col=7,title=manifest/invalid-yaml::"
        "bad, really: 50%25 (hint: fix it)",
        "::warning file=svc.yaml,line=3,col=2,title=manifest/invalid-yaml::line%0Atwo",
        "::notice file=svc.yaml,title=manifest/invalid-yaml::whole file",
    ]


def test_render_dispatch(problems: list[Problem], tmp_path: Path) -> None:
    assert render(problems, [], "github", root=tmp_path) == render_github(problems, root=tmp_path)
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(problems, [], "xml")
