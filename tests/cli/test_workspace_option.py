"""`-w/--workspace` on every command that works on a workspace, `check` and `lint` included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer.main

from polyinfra.cli.main import app, main
from tests.conftest import EXAMPLE

#: Commands that work on one workspace (``schema`` reads none).
WORKSPACE_COMMANDS = (
    ("init",),
    ("add", "service"),
    ("add", "job"),
    ("add", "function"),
    ("plan",),
    ("render",),
    ("run",),
    ("lint",),
    ("check",),
    ("affected",),
    ("ci", "generate"),
    ("deploy",),
    ("provision",),
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def test_every_workspace_command_takes_dash_w() -> None:
    root = typer.main.get_command(app)
    for path in WORKSPACE_COMMANDS:
        command = root
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        options = {opt for param in command.params for opt in param.opts}
        assert {"-w", "--workspace"} <= options, path


def test_check_dash_w_is_the_positional_path(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "-w", str(workspace)]) == 0
    by_option = capsys.readouterr()
    assert main(["check", str(workspace)]) == 0
    by_path = capsys.readouterr()
    assert by_option.out == by_path.out == ""
    assert by_option.err.startswith("Checked 3 app(s), 3 project(s) and production, sandbox with ")
    assert by_option.err.endswith(" rules: no problems.\n")
    assert by_option.err == by_path.err


def test_check_same_folder_twice_is_fine(workspace: Path) -> None:
    assert main(["check", str(workspace), "--workspace", str(workspace)]) == 0


def test_check_two_different_workspaces_is_a_usage_error(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(workspace), "-w", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: the workspace is given twice: {str(workspace)!r} as PATH and "
        f"{str(tmp_path)!r} as --workspace\n"
        "  hint: pass one of them\n"
    )


def test_check_dash_w_outside_a_workspace_names_an_existing_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "-w", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path.resolve()}: not inside a Polylith workspace")
    assert "pass --workspace" in err
    # the option the hint names exists on check
    assert main(["check", "--workspace", str(tmp_path)]) == 2
    assert "No such option" not in capsys.readouterr().err


def test_lint_dash_w_alone_lints_the_workspace(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace.parent)
    assert main(["lint", "-w", "data-platform"]) == 0
    by_option = capsys.readouterr().err
    assert main(["lint", "data-platform"]) == 0
    assert by_option == capsys.readouterr().err
    assert by_option.startswith("No problems in ")


def test_lint_dash_w_with_paths_inside_it(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = workspace / "infrastructure/cloudrun_service/inventory-api"
    assert main(["lint", "-w", str(workspace), str(service)]) == 0
    by_option = capsys.readouterr().err
    assert main(["lint", str(service)]) == 0
    assert by_option == capsys.readouterr().err
    assert by_option.startswith("No problems in ")


def test_lint_dash_w_never_drops_the_option_for_a_path_outside(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "service.yaml"
    shutil.copy(
        workspace / "infrastructure/cloudrun_service/inventory-api/base/service.yaml", manifest
    )
    assert main(["lint", "-w", str(workspace), str(manifest)]) == 2
    assert capsys.readouterr().err == (
        f"error: {manifest}: not inside the workspace {workspace.resolve()} given by --workspace\n"
        "  hint: pass paths inside the workspace, or drop --workspace\n"
    )
