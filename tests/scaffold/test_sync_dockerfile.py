"""`polyinfra sync dockerfile`: only the brick COPY lines follow the project's bricks; every
other byte stays; `--check` fails at the line that copies a dropped brick."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import edit

PYPROJECT = "projects/inventory_api/pyproject.toml"
DOCKERFILE = "projects/inventory_api/Dockerfile"
LOG = '"../../components/data_platform/log" = "data_platform/log"\n'
HTTP = '"../../components/data_platform/http_client" = "data_platform/http_client"\n'


@pytest.fixture
def changed(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with inventory_api dropping the log brick and taking http_client."""
    monkeypatch.chdir(root)
    edit(root, PYPROJECT, LOG, HTTP)
    return root


def test_every_dockerfile_of_the_example_is_current(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "dockerfile", "--check", "-w", str(root)]) == 0
    assert capsys.readouterr().out == ""


def test_check_reports_the_dropped_brick_at_its_line(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (changed / DOCKERFILE).read_bytes()
    assert main(["sync", "dockerfile", "--check"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{DOCKERFILE}:15:6: error: copies brick components/data_platform/log, which "
        f"{PYPROJECT} no longer lists",
        f"{DOCKERFILE}:17:1: error: does not copy brick components/data_platform/http_client, "
        f"which {PYPROJECT} lists",
    ]
    assert "1 Dockerfile(s) out of date: run `polyinfra sync dockerfile`" in captured.err
    assert (changed / DOCKERFILE).read_bytes() == before


def test_sync_rewrites_only_the_brick_lines(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (changed / DOCKERFILE).read_text().splitlines(keepends=True)
    assert main(["sync", "dockerfile", "inventory_api"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"update    {DOCKERFILE}  (+1 -1 brick(s))"]
    after = (changed / DOCKERFILE).read_text().splitlines(keepends=True)
    dropped = "COPY components/data_platform/log/ ./data_platform/log/\n"
    added = "COPY components/data_platform/http_client/ ./data_platform/http_client/\n"
    expected = [line for line in before if line != dropped]
    expected.insert(expected.index("COPY bases/data_platform/inventory_api/ "
                                   "./data_platform/inventory_api/\n") + 1, added)  # fmt: skip
    assert after == expected
    assert main(["sync", "dockerfile", "--check"]) == 0


def test_crlf_line_endings_are_kept(changed: Path) -> None:
    path = changed / DOCKERFILE
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["sync", "dockerfile"]) == 0
    data = path.read_bytes()
    assert b"http_client/\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_unknown_project_and_project_without_dockerfile(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "dockerfile", "inventory-apx"]) == 2
    assert "no project named 'inventory-apx'" in capsys.readouterr().err
    (changed / DOCKERFILE).unlink()
    assert main(["sync", "dockerfile", "inventory_api"]) == 2
    assert "project 'inventory_api' has no Dockerfile" in capsys.readouterr().err
