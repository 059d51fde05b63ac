"""`polyinfra provision` with a stub `pulumi` on PATH that records how it was called."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.pulumi import logged_in_elsewhere, plan_provision
from polyinfra.workspace import Workspace
from tests.stub_pulumi import calls, install_stub

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROGRAM = EXAMPLE / "infrastructure" / "pulumi"

STUB_BODY = """\
print("Previewing update (" + sys.argv[sys.argv.index("--stack") + 1] + "):", flush=True)
print("  + gcp:storage:Bucket bucket_raw create", flush=True)
code = int(os.environ.get("PULUMI_STUB_EXIT", "0"))
if code:
    print("error: stub failure: quota exceeded", file=sys.stderr, flush=True)
sys.exit(code)
"""


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the stub as `pulumi`; returns the log of its calls."""
    return install_stub(tmp_path, monkeypatch, STUB_BODY)


def test_preview_runs_in_the_program_folder_with_the_stack_bucket_backend(
    stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provision", "--stack", "sandbox", "--preview", "-w", str(EXAMPLE)]) == 0
    assert calls(stub) == [
        {
            "args": ["preview", "--stack", "sandbox", "--non-interactive"],
            "cwd": str(PROGRAM),
            "backend": "gs://data-platform-sandbox-pulumi-state",
        }
    ]
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "State backend from Pulumi.sandbox.yaml: gs://data-platform-sandbox-pulumi-state",
        "Previewing update (sandbox):",
        "  + gcp:storage:Bucket bucket_raw create",
    ]


def test_yes_runs_pulumi_up(stub: Path) -> None:
    assert main(["provision", "--stack", "production", "--yes", "-w", str(EXAMPLE)]) == 0
    [call] = calls(stub)
    assert call["args"] == ["up", "--stack", "production", "--non-interactive", "--yes"]


def test_a_chosen_backend_is_left_alone(
    stub: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")
    assert main(["provision", "--stack", "sandbox", "--preview", "-w", str(EXAMPLE)]) == 0
    monkeypatch.delenv("PULUMI_BACKEND_URL")
    credentials = tmp_path / "home" / ".pulumi" / "credentials.json"
    credentials.parent.mkdir(parents=True)
    credentials.write_text(json.dumps({"current": "https://api.pulumi.com"}))
    assert main(["provision", "--stack", "sandbox", "--preview", "-w", str(EXAMPLE)]) == 0
    assert [c["backend"] for c in calls(stub)] == ["file:///srv/state", None]


def test_logged_in_elsewhere(tmp_path: Path) -> None:
    assert logged_in_elsewhere({"PULUMI_BACKEND_URL": "gs://x"}, tmp_path)
    assert not logged_in_elsewhere({}, tmp_path)
    (tmp_path / ".pulumi").mkdir()
    (tmp_path / ".pulumi" / "credentials.json").write_text('{"current": ""}')
    assert not logged_in_elsewhere({}, tmp_path)


def test_without_yes_it_previews_asks_then_updates(tmp_path: Path) -> None:
    ws = Workspace.discover(EXAMPLE)
    plan = plan_provision(ws, "sandbox", "preview-then-up", environ={}, home=tmp_path)
    assert plan.commands == (
        ("pulumi", "preview", "--stack", "sandbox", "--non-interactive"),
        ("pulumi", "up", "--stack", "sandbox", "--non-interactive", "--yes", "--skip-preview"),
    )


def test_declining_runs_only_the_preview(stub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polyinfra.deploy.pulumi import provision

    ws = Workspace.discover(EXAMPLE)
    lines: list[str] = []
    applied = provision(
        ws, "sandbox", "preview-then-up", on_line=lines.append, confirm=lambda question: False
    )
    assert not applied
    assert [c["args"][0] for c in calls(stub)] == ["preview"]
    applied = provision(
        ws, "sandbox", "preview-then-up", on_line=lines.append, confirm=lambda question: True
    )
    assert applied
    assert [c["args"][0] for c in calls(stub)] == ["preview", "preview", "up"]


def test_no_terminal_and_no_yes_is_a_usage_error(
    stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provision", "--stack", "sandbox", "-w", str(EXAMPLE)]) == 2
    assert "pass --yes to apply without asking" in capsys.readouterr().err
    assert calls(stub) == []


def test_missing_pulumi_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["provision", "--stack", "sandbox", "--preview", "-w", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "error: the `pulumi` CLI is not installed (not found on PATH)" in err
    assert "https://get.pulumi.com" in err


@pytest.mark.parametrize(("option", "command"), [("--yes", "up"), ("--preview", "preview")])
def test_failed_pulumi_is_a_failure_that_shows_its_output(
    stub: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    command: str,
) -> None:
    monkeypatch.setenv("PULUMI_STUB_EXIT", "255")
    # 1: the stack ran and failed; 2 would say the command line or the files were wrong.
    assert main(["provision", "--stack", "sandbox", option, "-w", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: pulumi {command} of stack sandbox: `{shutil.which('pulumi')} {command} --stack "
        "sandbox --non-interactive"
    )
    assert "failed with exit code 255" in err
    assert "error: stub failure: quota exceeded" in err
    assert "hint:" not in err


# A `pulumi up` that, like Pulumi, cancels cleanly on the first SIGINT: it says so, finishes
# what it was doing, and exits. Each signal it gets is logged.
CANCELLING_STUB = """#!{python}
import json, os, signal, sys, time
log = open(os.environ["PULUMI_STUB_LOG"], "a")
def on_interrupt(number, frame):
    log.write(json.dumps({{"signal": "SIGINT"}}) + "\\n")
    log.flush()
    print("^C received; cancelling the update (press ^C again to stop at once)", flush=True)
    time.sleep(0.3)
    for line in range(2000):  # more than a pipe holds: it must be read for pulumi to finish
        print(f"  ~ gcp:storage:Bucket bucket_{{line}} cancelled", flush=True)
    print("error: update canceled", flush=True)
    log.write(json.dumps({{"exited": 255}}) + "\\n")
    log.close()
    os._exit(255)
signal.signal(signal.SIGINT, on_interrupt)
print("Updating (" + sys.argv[sys.argv.index("--stack") + 1] + "):", flush=True)
time.sleep(30)
print("not interrupted", flush=True)
"""


def test_ctrl_c_is_passed_to_pulumi_and_its_output_read_until_it_has_stopped(
    stub: Path, tmp_path: Path
) -> None:
    script = tmp_path / "bin" / "pulumi"
    script.write_text(CANCELLING_STUB.format(python=sys.executable))
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "polyinfra", "provision", "--stack", "sandbox", "--yes"),
            *("-w", str(EXAMPLE)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test runner started in the background ignores SIGINT, and children inherit that;
        # a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        first = [process.stdout.readline() for _ in range(2)]
        assert first[1] == "Updating (sandbox):\n", first
        # Only polyinfra gets the signal, as from `kill -INT`: it must pass it on.
        process.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        out, err = process.communicate(timeout=20)
        exited = time.monotonic()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    lines = out.splitlines()
    assert lines[0] == "^C received; cancelling the update (press ^C again to stop at once)"
    assert len(lines) == 2002
    assert lines[-1] == "error: update canceled"
    assert "not interrupted" not in out
    assert err.splitlines() == [
        "Interrupted: pulumi up of stack sandbox has stopped; its output above says what it "
        "changed and what it did not."
    ]
    assert [call for call in calls(stub) if "args" not in call] == [
        {"signal": "SIGINT"},
        {"exited": 255},
    ]
    assert exited - signalled < 5


def test_unknown_stack(stub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "--stack", "staging", "--preview", "-w", str(EXAMPLE)]) == 2
    assert "no stack 'staging'" in capsys.readouterr().err
    assert calls(stub) == []


def test_check_errors_stop_before_pulumi(
    stub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    stack_file = copy / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    text = stack_file.read_text()
    line = "        display_name: Cloud Run Service inventory-api\n"
    assert text.index(line) > 0
    stack_file.write_text(text.replace(line, line + "        dispaly_nam: typo\n", 1))
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(copy)]) == 1
    err = capsys.readouterr().err
    assert (
        "infrastructure/pulumi/Pulumi.sandbox.yaml:34:9: error: input:projects.inventory-api."
        "service_account.dispaly_nam: unknown key 'dispaly_nam' [config/stack-valid]"
    ) in err
    assert "provision stopped: `polyinfra check` found 1 error(s) for stack 'sandbox'" in err
    assert calls(stub) == []
