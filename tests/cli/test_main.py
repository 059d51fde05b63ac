"""The CLI entry point: help, exit codes, error rendering and what ``--help`` imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from polyinfra import __version__
from polyinfra.cli.main import COMMAND_MODULES, main

COMMANDS = (
    "init",
    "migrate",
    "add",
    "sync",
    "schema",
    "plan",
    "render",
    "image-ref",
    "build",
    "run",
    "lint",
    "check",
    "affected",
    "graph",
    "ci",
    "deploy",
    "status",
    "promote",
    "rollback",
    "execute",
    "executions",
    "remove",
    "provision",
    "cache",
)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"  {command} " in out, command
    assert len(COMMAND_MODULES) == len(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: polyinfra {command}")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"polyinfra {__version__}\n"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--no-such-flag"]) == 2
    assert "No such option: --no-such-flag" in capsys.readouterr().err


def test_bad_input_is_one_message_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path.resolve()}: not inside a Polylith workspace")
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "not inside a Polylith workspace" in err


def test_internal_error_exits_3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyinfra.workspace import Workspace

    def broken(cls: type, path: object = ".") -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Workspace, "discover", classmethod(broken))
    assert main(["check", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: boom" in err
    assert "--debug" in err
    assert "Traceback" not in err


def test_help_imports_no_heavy_modules() -> None:
    # `polyinfra --help` must not pay for the Pulumi provider or the HTTP and auth stack
    code = (
        "import sys\n"
        "from polyinfra.cli.main import main\n"
        "main(['--help'])\n"
        "heavy = [m for m in ('pulumi', 'pulumi_gcp', 'requests', 'google.auth')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "HEAVY="
