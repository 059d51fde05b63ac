"""`polyinfra graph`: formats, --output, and an unknown environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import EXAMPLE


def test_mermaid_is_the_default_on_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "-w", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out == (Path(__file__).parents[1] / "graph" / "data" / "example.mmd").read_text()


def test_output_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "graph.json"
    code = main(["graph", "-w", str(EXAMPLE), "--env", "sandbox", "-f", "json", "-o", str(target)])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"Wrote {target}\n"
    data = json.loads(target.read_text())
    assert {node["env"] for node in data["nodes"]} == {None, "sandbox"}


def test_an_unknown_environment_exits_2_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "-w", str(EXAMPLE), "--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert "--env staging: no overlay or stack file for this environment" in err
    assert "environments of this workspace: production, sandbox" in err


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "-w", str(EXAMPLE), "-f", "svg"]) == 2
    assert "'svg' is not one of 'mermaid', 'dot', 'html', 'json'" in capsys.readouterr().err


def test_an_output_in_a_missing_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "graph.html"
    assert main(["graph", "-w", str(EXAMPLE), "-f", "html", "-o", str(target)]) == 2
    assert f"--output {target}: cannot write it: No such file or directory" in (
        capsys.readouterr().err
    )
