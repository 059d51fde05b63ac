"""JSON files a stack file names (BigQuery schemas, dashboards) that do not read: not UTF-8,
nested far too deep, or one enormous line. Each is an error at its position in `check` and
`plan` (exit 1 and 2), never an internal error, and the excerpt stays a few columns wide."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.report import EXCERPT_WIDTH
from polyinfra.cli.main import main

SCHEMA = "infrastructure/pulumi/bigquery/bronze_dmd/inventory_movement.json"


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        (
            b'[{"name": "id", "type": "STRING", "description": "caf\xe9"}]\n',
            "1:54",
            "not UTF-8 text: byte 0xE9 starts a character that the bytes after it do not complete",
        ),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "1:201", "JSON nests more than 200 levels deep"),
        (b'[{"name": "id",\n  "type": STRING}]\n', "2:11", "invalid JSON: Expecting value"),
    ],
    ids=["latin-1", "deep", "syntax"],
)
def test_check_and_plan_report_it_at_its_position(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    where: str,
    message: str,
) -> None:
    monkeypatch.chdir(root)
    (root / SCHEMA).write_bytes(content)

    assert main(["check", "-w", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{SCHEMA}:{where}: error: {message} [config/stack-valid]"
    assert len(out[1]) <= EXCERPT_WIDTH + 4  # two spaces and the two ellipses

    assert main(["plan", "-w", str(root), "--stack", "sandbox"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: {root / SCHEMA}:{where}: {message}"
    assert "internal error" not in err


def test_a_long_line_is_cut_around_the_column(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    fields = ", ".join(f'{{"name": "f{i}", "type": "STRING"}}' for i in range(2000))
    (root / SCHEMA).write_text(f"[{fields}, oops, {fields}]\n", encoding="utf-8")
    col = len(f"[{fields}, ") + 1

    assert main(["check", "-w", str(root)]) == 1
    first, excerpt, caret = capsys.readouterr().out.splitlines()[:3]
    assert first == f"{SCHEMA}:1:{col}: error: invalid JSON: Expecting value [config/stack-valid]"
    assert excerpt.startswith("  …")
    assert excerpt.endswith("…")
    assert len(excerpt) == 2 + EXCERPT_WIDTH + 2
    # the caret is under the first letter of `oops`
    assert excerpt[len(caret) - 1 : len(caret) + 3] == "oops"
