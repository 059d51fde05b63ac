"""scripts/refresh_roles.py rewrites the shipped list of predefined IAM roles from the dataset its
header names; offline here, from a small copy of the dataset's file (``--from-file``)."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "refresh_roles.py"
SHIPPED = ROOT / "src" / "polyinfra" / "data" / "gcp-predefined-roles.tsv"
FIXTURE = Path(__file__).parent / "fixtures" / "predefined_roles.json"
HEADER = (
    "# Predefined Google Cloud IAM roles: name, launch stage, title. 4 roles as listed by "
    "Google on 2026-09-01,\n"
    "# taken from the public dataset iann0036/iam-dataset (MIT licence), file "
    "gcp/predefined_roles.json, commit 0123abc.\n"
    "# Data for checking role names offline; refresh it from the same source when Google adds "
    "roles.\n"
)
ROWS = (
    "roles/bigquery.dataEditor\tBETA\tBigQuery Data Editor\n"
    "roles/run.admin\tGA\tCloud Run Admin\n"
    "roles/run.invoker\tGA\tCloud Run Invoker\n"
    "roles/servicebroker.admin\tDEPRECATED\tService Broker Admin\n"
)
OFFLINE = ["--from-file", str(FIXTURE), "--ref", "0123abcdef", "--date", "2026-09-01"]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_roles", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["refresh_roles"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_it_rewrites_the_file_sorted_under_the_header(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "roles.tsv"
    assert script.main([*OFFLINE, "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == HEADER + ROWS
    assert capsys.readouterr().out == (
        f"wrote {output}: 4 roles from iann0036/iam-dataset at 0123abc (2026-09-01), "
        "4 difference(s)\n"
    )


def test_check_reports_each_difference_and_writes_nothing(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "roles.tsv"
    old = (
        "# an older header\n"
        "roles/bigquery.dataEditor\tGA\tBigQuery Data Editor\n"
        "roles/run.admin\tGA\tCloud Run Administrator\n"
        "roles/run.invoker\tGA\tCloud Run Invoker\n"
        "roles/run.viewer\tGA\tCloud Run Viewer\n"
    )
    output.write_text(old, encoding="utf-8")
    assert script.main([*OFFLINE, "--output", str(output), "--check"]) == 1
    assert output.read_text(encoding="utf-8") == old
    assert capsys.readouterr().out.splitlines() == [
        "~ roles/bigquery.dataEditor: stage GA -> BETA",
        "~ roles/run.admin: title 'Cloud Run Administrator' -> 'Cloud Run Admin'",
        "- roles/run.viewer (GA, 'Cloud Run Viewer')",
        "+ roles/servicebroker.admin (DEPRECATED, 'Service Broker Admin')",
        f"{output}: 4 difference(s) with iann0036/iam-dataset at 0123abc",
    ]


def test_check_of_an_up_to_date_file_exits_0(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "roles.tsv"
    output.write_text(HEADER.replace("0123abc", "fedcba9") + ROWS, encoding="utf-8")
    assert script.main([*OFFLINE, "--output", str(output), "--check"]) == 0
    assert capsys.readouterr().out == (
        f"{output}: up to date with iann0036/iam-dataset at 0123abc (4 roles)\n"
    )


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{}", "expected a non-empty JSON list of roles"),
        ('[{"name": "roles/a", "title": "A"}]', "entry 0 has no stage (a non-empty string)"),
        (
            '[{"name": "admin", "stage": "GA", "title": "A"}]',
            "entry 0: 'admin' is not roles/<name>",
        ),
        ("[", "not JSON: Expecting value: line 1 column 2 (char 1)"),
    ],
)
def test_a_source_that_is_not_the_list_of_roles_exits_2(
    script: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    error: str,
) -> None:
    source = tmp_path / "predefined_roles.json"
    source.write_text(content, encoding="utf-8")
    output = tmp_path / "roles.tsv"
    args = ["--from-file", str(source), "--ref", "0123abc", "--output", str(output)]
    assert script.main(args) == 2
    assert capsys.readouterr().err == f"error: {source}: {error}\n"
    assert not output.exists()


def test_from_file_needs_the_commit_it_was_taken_at(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "roles.tsv"
    assert script.main(["--from-file", str(FIXTURE), "--output", str(output)]) == 2
    assert capsys.readouterr().err == (
        "error: --ref 'main': with --from-file, give the commit of iann0036/iam-dataset the "
        "file was taken at (hexadecimal), for the header\n"
    )


def test_the_shipped_file_is_what_the_script_writes(script: ModuleType) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    found = re.search(r"listed by Google on (\S+),\n.* commit (\w+)\.\n", text)
    assert found is not None
    date, commit = found.groups()
    assert script.render(script.read_tsv(SHIPPED), commit, date) == text


def test_the_script_needs_the_standard_library_only() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names
