"""`polyinfra sync dockerfile`: only the brick COPY lines follow the project's bricks; every
other byte stays; `--check` fails at the line of each difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import copy_real, edit

PYPROJECT = "projects/inventory_api/pyproject.toml"
DOCKERFILE = "projects/inventory_api/Dockerfile"
LOG = '"../../components/data_platform/log" = "data_platform/log"\n'
HTTP = '"../../components/data_platform/http_client" = "data_platform/http_client"\n'
INGEST_PYPROJECT = "projects/dmd_ingest/pyproject.toml"
INGEST_DOCKERFILE = "projects/dmd_ingest/Dockerfile"
SETTINGS = '"../../components/data_platform/settings" = "data_platform/settings"\n'


@pytest.fixture
def changed(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with inventory_api taking http_client where it listed log."""
    monkeypatch.chdir(root)
    edit(root, PYPROJECT, LOG, HTTP)
    return root


def new_brick(root: Path, name: str) -> str:
    """A component ``name`` in the example; its line for a project's brick table."""
    folder = root / "components" / "data_platform" / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    return f'"../../components/data_platform/{name}" = "data_platform/{name}"\n'


def test_every_dockerfile_of_the_example_is_current(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_bytes() for p in root.glob("projects/*/Dockerfile")}
    assert main(["sync", "dockerfile", "--check", "-w", str(root)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["sync", "dockerfile", "-w", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "unchanged projects/dmd_ingest/Dockerfile",
        "unchanged projects/inventory_api/Dockerfile",
        "unchanged projects/stock_webhook/Dockerfile",
    ]
    assert {p: p.read_bytes() for p in root.glob("projects/*/Dockerfile")} == before


def test_check_reports_each_difference_at_its_line(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (changed / DOCKERFILE).read_bytes()
    assert main(["sync", "dockerfile", "--check"]) == 1
    captured = capsys.readouterr()
    # http_client follows inventory in the pyproject: its line goes after inventory's (14)
    assert captured.out.splitlines() == [
        f"{DOCKERFILE}:15:1: error: does not copy brick components/data_platform/http_client, "
        f"which {PYPROJECT} lists (sync adds `COPY components/data_platform/http_client/ "
        "./data_platform/http_client/` here)",
        f"{DOCKERFILE}:15:6: error: copies brick components/data_platform/log, which "
        f"{PYPROJECT} does not list",
    ]
    assert captured.err == "1 Dockerfile(s) out of date: run `polyinfra sync dockerfile`\n"
    assert (changed / DOCKERFILE).read_bytes() == before


def test_sync_rewrites_only_the_brick_lines(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (changed / DOCKERFILE).read_text()
    assert main(["sync", "dockerfile", "inventory-api"]) == 0  # `-` and `_` alike
    assert capsys.readouterr().out.splitlines() == [
        f"update    {DOCKERFILE}  (adds components/data_platform/http_client; drops "
        "components/data_platform/log)"
    ]
    expected = before.replace(
        "COPY components/data_platform/log/ ./data_platform/log/\n",
        "COPY components/data_platform/http_client/ ./data_platform/http_client/\n",
    )
    assert (changed / DOCKERFILE).read_text() == expected
    assert main(["sync", "dockerfile", "--check"]) == 0


def test_a_new_brick_goes_after_the_one_it_follows_in_the_pyproject(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the Dockerfile copies the components, then the base; alerts is listed last
    edit(root, INGEST_PYPROJECT, SETTINGS, SETTINGS + new_brick(root, "alerts"))
    before = (root / INGEST_DOCKERFILE).read_text()
    assert main(["sync", "dockerfile", "dmd_ingest", "--check", "-w", str(root)]) == 1
    assert capsys.readouterr().out.startswith(f"{INGEST_DOCKERFILE}:19:1: error: ")
    assert main(["sync", "dockerfile", "dmd_ingest", "-w", str(root)]) == 0
    settings = "COPY components/data_platform/settings/ ./data_platform/settings/\n"
    assert before.splitlines(keepends=True)[17] == settings  # line 18
    alerts = "COPY components/data_platform/alerts/ ./data_platform/alerts/\n"
    assert (root / INGEST_DOCKERFILE).read_text() == before.replace(settings, settings + alerts)


def test_a_brick_listed_first_goes_before_the_one_it_precedes(root: Path) -> None:
    base = '"../../bases/data_platform/dmd_ingest" = "data_platform/dmd_ingest"\n'
    edit(root, INGEST_PYPROJECT, base, new_brick(root, "alerts") + base)
    # no brick listed before alerts: it goes before the line of the one listed after it
    before = (root / INGEST_DOCKERFILE).read_text()
    assert main(["sync", "dockerfile", "-w", str(root)]) == 0
    dmd = "COPY bases/data_platform/dmd_ingest/ ./data_platform/dmd_ingest/\n"
    alerts = "COPY components/data_platform/alerts/ ./data_platform/alerts/\n"
    assert (root / INGEST_DOCKERFILE).read_text() == before.replace(dmd, alerts + dmd)


def test_the_new_line_takes_the_form_of_its_neighbour(root: Path) -> None:
    text = (root / DOCKERFILE).read_text()
    text = text.replace(
        "COPY components/data_platform/inventory/ ./data_platform/inventory/",
        "COPY  --chown=app:app ./components/data_platform/inventory  /app/data_platform/inventory",
    )
    (root / DOCKERFILE).write_text(text)
    inventory = '"../../components/data_platform/inventory" = "data_platform/inventory"\n'
    edit(root, PYPROJECT, inventory, inventory + HTTP)
    assert main(["sync", "dockerfile", "-w", str(root)]) == 0
    assert (root / DOCKERFILE).read_text() == text.replace(
        "/app/data_platform/inventory\n",
        "/app/data_platform/inventory\n"
        "COPY  --chown=app:app ./components/data_platform/http_client  "
        "/app/data_platform/http_client\n",
    )


def test_line_endings_and_comments_are_kept_byte_for_byte(changed: Path) -> None:
    path = changed / DOCKERFILE
    original = (
        path.read_bytes()
        .replace(b"\n", b"\r\n")
        .replace(b"# The Polylith bricks", b"#  The Polylith bricks  (kept as written)")
    )
    path.write_bytes(original)
    assert main(["sync", "dockerfile"]) == 0
    assert path.read_bytes() == original.replace(
        b"COPY components/data_platform/log/ ./data_platform/log/\r\n",
        b"COPY components/data_platform/http_client/ ./data_platform/http_client/\r\n",
    )


def test_a_brick_removed_from_the_workspace_loses_its_line(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, PYPROJECT, LOG, "")
    edit(root, "projects/dmd_ingest/pyproject.toml", LOG, "")
    edit(root, "projects/stock_webhook/pyproject.toml", LOG, "")
    for file in (root / "components" / "data_platform" / "log").iterdir():
        file.unlink()
    (root / "components" / "data_platform" / "log").rmdir()
    assert main(["sync", "dockerfile", "--check", "-w", str(root)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "projects/dmd_ingest/Dockerfile:17:6: error: copies brick components/data_platform/log, "
        "which projects/dmd_ingest/pyproject.toml does not list",
        f"{DOCKERFILE}:15:6: error: copies brick components/data_platform/log, which "
        f"{PYPROJECT} does not list",
        "projects/stock_webhook/Dockerfile:15:6: error: copies brick "
        "components/data_platform/log, which projects/stock_webhook/pyproject.toml does not list",
    ]
    assert main(["sync", "dockerfile", "-w", str(root)]) == 0
    assert not any("/log/" in p.read_text() for p in root.glob("projects/*/Dockerfile"))


def test_a_wheel_dockerfile_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = copy_real("python-polylith-example-uv", tmp_path / "uv")
    before = {p: p.read_bytes() for p in workspace.glob("projects/*/Dockerfile")}
    assert main(["sync", "dockerfile", "--check", "-w", str(workspace)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"projects/{project}/Dockerfile: info: installs the wheel of {project}, which holds its "
        "bricks: no brick COPY line to sync"
        for project in ("message_fastapi_project", "my_fastapi_project")
    ]
    assert main(["sync", "dockerfile", "-w", str(workspace)]) == 0
    assert {p: p.read_bytes() for p in workspace.glob("projects/*/Dockerfile")} == before


def test_a_dropped_brick_in_a_copy_of_several_is_left_to_the_user(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        root,
        DOCKERFILE,
        "COPY components/data_platform/log/ ./data_platform/log/\n"
        "COPY components/data_platform/settings/ ./data_platform/settings/\n",
        "COPY components/data_platform/log components/data_platform/settings ./data_platform/\n",
    )
    edit(root, PYPROJECT, LOG, "")
    before = (root / DOCKERFILE).read_bytes()
    assert main(["sync", "dockerfile", "inventory_api", "-w", str(root)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{DOCKERFILE}:15:1: error: COPY components/data_platform/log brings in brick "
        f"components/data_platform/log, which {PYPROJECT} does not list, in a form sync does "
        "not edit: change this line by hand",
        f"unchanged {DOCKERFILE}",
    ]
    assert captured.err == "1 Dockerfile(s) need a change by hand (see above)\n"
    assert (root / DOCKERFILE).read_bytes() == before


def test_unknown_projects_and_projects_without_a_dockerfile(
    changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (changed / DOCKERFILE).unlink()
    assert main(["sync", "dockerfile", "inventory-apx", "inventory_api"]) == 2
    assert capsys.readouterr().err == (
        f"error: {changed / 'projects'}: no project named 'inventory-apx' (did you mean "
        "'inventory_api'?)\n"
        "  hint: projects: dmd_ingest, inventory_api, stock_webhook\n"
        f"{changed / 'projects' / 'inventory_api'}: project 'inventory_api' has no "
        "Dockerfile to sync\n"
        "  hint: create projects/inventory_api/Dockerfile: `polyinfra add` writes the spec's "
        "one for the project of a new app\n"
    )
