"""`polyinfra provision` in the three-stack layout: platform, then services, each in its own
folder with its own backend, stopping at the first program that fails, with a stub `pulumi` on
PATH that records how it was called."""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from polyinfra.cli.main import main
from polyinfra.deploy.pulumi import plan_provisions, programs_to_provision
from polyinfra.workspace import Workspace
from tests.stub_pulumi import calls, install_stub

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"

#: What platform's stack files keep of each project; services keep the rest.
PLATFORM_SECTIONS = ("artifact_registry", "apis")

STUB_BODY = """\
print("Previewing update (" + sys.argv[sys.argv.index("--stack") + 1] + "):", flush=True)
print("  + program " + here, flush=True)
if here == os.environ.get("PULUMI_STUB_FAIL_IN"):
    print("error: stub failure in " + here, file=sys.stderr, flush=True)
    sys.exit(255)
"""


def split_into_programs(dest: Path) -> Path:
    """A copy of the example at ``dest`` with infrastructure/pulumi split into a platform
    program (project, region, state bucket, registries) and a services program (the rest, its
    environment read from platform, its state in a bucket of its own)."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    pulumi = dest / "infrastructure" / "pulumi"
    platform, services = pulumi / "platform", pulumi / "services"
    services.mkdir()
    for entry in list(pulumi.iterdir()):
        if entry != services:
            shutil.move(entry, services / entry.name)
    platform.mkdir()
    for name in ("__main__.py", "stack-config.schema.json"):
        shutil.copy(services / name, platform / name)
    project = yaml.safe_load((services / "Pulumi.yaml").read_text())
    for folder in (platform, services):
        named = {**project, "name": f"{project['name']}-{folder.name}"}
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(named, sort_keys=False))
    for stack_file in sorted(services.glob("Pulumi.*.yaml")):
        if stack_file.name == "Pulumi.yaml":
            continue
        config = yaml.safe_load(stack_file.read_text())["config"]
        shared = {
            key: value
            for key, value in config.items()
            if key in ("gcp:region", "input:environment") or key.startswith("label:")
        }
        projects = config["input:projects"]
        own = {
            "gcp:project": config["gcp:project"],
            **shared,
            "input:bucket": config["input:bucket"],
            "input:projects": {
                name: {k: v for k, v in entry.items() if k in PLATFORM_SECTIONS}
                for name, entry in projects.items()
            },
        }
        rest = {
            "gcp:project": config["gcp:project"],
            **shared,
            "input:environment": "${platform.environment}",
            "input:bucket": config["input:bucket"].replace("-pulumi-state", "-services-state"),
            "input:projects": {
                name: {k: v for k, v in entry.items() if k not in PLATFORM_SECTIONS}
                for name, entry in projects.items()
            },
            "input:monitoring": config["input:monitoring"],
        }
        (platform / stack_file.name).write_text(yaml.safe_dump({"config": own}, sort_keys=False))
        stack_file.write_text(yaml.safe_dump({"config": rest}, sort_keys=False))
    return dest


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return split_into_programs(tmp_path / "ws")


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the stub as `pulumi`; returns the log of its calls."""
    monkeypatch.delenv("PULUMI_STUB_FAIL_IN", raising=False)
    return install_stub(tmp_path, monkeypatch, STUB_BODY)


def program(ws: Path, name: str) -> Path:
    return ws / "infrastructure" / "pulumi" / name


def call(ws: Path, name: str, *args: str, backend: str | None) -> dict[str, Any]:
    return {"args": list(args), "cwd": str(program(ws, name)), "backend": backend}


PREVIEW = ("preview", "--stack", "sandbox", "--non-interactive")
UP = ("up", "--stack", "sandbox", "--non-interactive", "--yes")
PLATFORM_STATE = "gs://data-platform-sandbox-pulumi-state"
SERVICES_STATE = "gs://data-platform-sandbox-services-state"


def test_the_fixture_is_two_programs_platform_first(ws: Path) -> None:
    workspace = Workspace.discover(ws)
    assert workspace.layered
    assert [p.path.name for p in workspace.ordered_programs] == ["platform", "services"]
    assert [p.name for p in workspace.ordered_programs] == [
        "data-platform-platform",
        "data-platform-services",
    ]


def test_preview_runs_platform_then_services_each_in_its_folder_with_its_backend(
    ws: Path, stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provision", "--stack", "sandbox", "--preview", "-w", str(ws)]) == 0
    assert calls(stub) == [
        call(ws, "platform", *PREVIEW, backend=PLATFORM_STATE),
        call(ws, "services", *PREVIEW, backend=SERVICES_STATE),
    ]
    assert capsys.readouterr().out.splitlines() == [
        "== platform (infrastructure/pulumi/platform): pulumi preview --stack sandbox",
        "State backend from infrastructure/pulumi/platform/Pulumi.sandbox.yaml: " + PLATFORM_STATE,
        "Previewing update (sandbox):",
        "  + program platform",
        "== services (infrastructure/pulumi/services): pulumi preview --stack sandbox",
        "State backend from infrastructure/pulumi/services/Pulumi.sandbox.yaml: " + SERVICES_STATE,
        "Previewing update (sandbox):",
        "  + program services",
    ]


def test_yes_runs_pulumi_up_in_each_program(ws: Path, stub: Path) -> None:
    assert main(["provision", "--stack", "production", "--yes", "-w", str(ws)]) == 0
    up = ("up", "--stack", "production", "--non-interactive", "--yes")
    assert calls(stub) == [
        call(ws, "platform", *up, backend="gs://data-platform-prod-pulumi-state"),
        call(ws, "services", *up, backend="gs://data-platform-prod-services-state"),
    ]


def test_a_chosen_backend_is_kept_for_every_program(
    ws: Path, stub: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(ws)]) == 0
    assert calls(stub) == [
        call(ws, "platform", *UP, backend="file:///srv/state"),
        call(ws, "services", *UP, backend="file:///srv/state"),
    ]
    assert "State backend" not in capsys.readouterr().out


@pytest.mark.parametrize(("option", "args"), [("--yes", UP), ("--preview", PREVIEW)])
def test_a_failing_platform_stops_before_services(
    ws: Path,
    stub: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    args: tuple[str, ...],
) -> None:
    monkeypatch.setenv("PULUMI_STUB_FAIL_IN", "platform")
    assert main(["provision", "--stack", "sandbox", option, "-w", str(ws)]) == 1
    assert calls(stub) == [call(ws, "platform", *args, backend=PLATFORM_STATE)]
    captured = capsys.readouterr()
    assert "program services" not in captured.out
    err = captured.err
    assert err.startswith(
        f"error: provision stopped at platform: pulumi {args[0]} of stack sandbox: "
        f"`{shutil.which('pulumi')} {' '.join(args)}` failed with exit code 255"
    )
    assert "error: stub failure in platform" in err
    assert err.rstrip().splitlines()[-1] == "services was not run"


def test_a_failing_services_names_it_after_platform_ran(
    ws: Path, stub: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULUMI_STUB_FAIL_IN", "services")
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(ws)]) == 1
    assert [Path(c["cwd"]).name for c in calls(stub)] == ["platform", "services"]
    err = capsys.readouterr().err
    assert err.startswith("error: provision stopped at services: pulumi up of stack sandbox: ")
    assert "error: stub failure in services" in err
    assert "not run" not in err


def add_typo(stack_file: Path, after: str) -> None:
    text = stack_file.read_text()
    assert text.count(after) == 1, text
    indent = after[: len(after) - len(after.lstrip())]
    stack_file.write_text(text.replace(after, f"{after}{indent}dispaly_nam: typo\n"))


def test_a_check_error_in_platform_stops_before_any_pulumi_run(
    ws: Path, stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = program(ws, "platform") / "Pulumi.sandbox.yaml"
    add_typo(stack_file, "        description: Images of the inventory-api service\n")
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(ws)]) == 1
    err = capsys.readouterr().err
    assert (
        "infrastructure/pulumi/platform/Pulumi.sandbox.yaml:15:9: error: input:projects."
        "inventory-api.artifact_registry.dispaly_nam: unknown key 'dispaly_nam' "
        "[config/stack-valid]"
    ) in err
    # and the services stack cannot read the platform's outputs: its reference is the second
    assert err.rstrip().splitlines()[-1] == (
        "provision stopped at platform: `polyinfra check` found 2 error(s) for stack "
        "'sandbox'; pulumi was not run for platform, services"
    )
    assert calls(stub) == []


def test_a_check_error_in_services_stops_before_platform_runs(
    ws: Path, stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = program(ws, "services") / "Pulumi.sandbox.yaml"
    add_typo(stack_file, "      display_name: Cloud Run Service inventory-api\n")
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(ws)]) == 1
    err = capsys.readouterr().err
    assert "infrastructure/pulumi/services/Pulumi.sandbox.yaml:" in err
    assert "unknown key 'dispaly_nam' [config/stack-valid]" in err
    assert err.rstrip().splitlines()[-1] == (
        "provision stopped at services: `polyinfra check` found 1 error(s) for stack "
        "'sandbox'; pulumi was not run for platform, services"
    )
    assert calls(stub) == []


@pytest.mark.parametrize("where", ["services", "services/bigquery"])
def test_the_workspace_option_narrows_to_one_program(
    ws: Path, stub: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    folder = ws / "infrastructure" / "pulumi" / where
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(folder)]) == 0
    assert calls(stub) == [call(ws, "services", *UP, backend=SERVICES_STATE)]
    assert capsys.readouterr().out.splitlines()[0] == (
        "== services (infrastructure/pulumi/services): pulumi up --stack sandbox"
    )


def test_a_narrowed_program_is_checked_alone(ws: Path, stub: Path) -> None:
    add_typo(
        program(ws, "services") / "Pulumi.sandbox.yaml",
        "      display_name: Cloud Run Service inventory-api\n",
    )
    platform = program(ws, "platform")
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(platform)]) == 0
    assert calls(stub) == [call(ws, "platform", *UP, backend=PLATFORM_STATE)]


def test_a_program_without_the_stack_is_an_error_before_anything_runs(
    ws: Path, stub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (program(ws, "services") / "Pulumi.production.yaml").unlink()
    assert main(["provision", "--stack", "production", "--yes", "-w", str(ws)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"error: {program(ws, 'services') / 'Pulumi.production.yaml'}: no stack 'production' "
        "in services (infrastructure/pulumi/services; stacks: sandbox): every program is "
        "provisioned, so each needs the stack"
    )
    assert err.splitlines()[1] == (
        "  hint: create infrastructure/pulumi/services/Pulumi.production.yaml, or provision "
        "platform alone with -w infrastructure/pulumi/platform"
    )
    assert calls(stub) == []
    assert main(["provision", "--stack", "staging", "--yes", "-w", str(ws)]) == 2
    err = capsys.readouterr().err
    for name in ("platform", "services"):
        assert (
            f"{program(ws, name) / 'Pulumi.staging.yaml'}: no stack 'staging' in {name} "
            f"(infrastructure/pulumi/{name}; stacks: "
        ) in err
        assert (
            f"  hint: create infrastructure/pulumi/{name}/Pulumi.staging.yaml, or pick a stack "
            "the programs have"
        ) in err.splitlines()
    assert calls(stub) == []
    # narrowed to the program that has it, it runs
    platform = program(ws, "platform")
    assert main(["provision", "--stack", "production", "--yes", "-w", str(platform)]) == 0
    assert [Path(c["cwd"]).name for c in calls(stub)] == ["platform"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[bool], list[str]]]:
    """The answers the confirmations get, in order, and the questions asked."""
    given: list[bool] = []
    asked: list[str] = []

    def confirm(question: str, default: bool = False) -> bool:
        asked.append(question)
        return given.pop(0)

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(typer, "confirm", confirm)
    yield given, asked
    assert given == [], "every answer was used"


@pytest.mark.parametrize(
    ("given", "ran", "questions", "code", "said"),
    [
        (
            [False],
            ["platform preview"],
            ["platform"],
            1,
            "Not applied at platform; services was not run.",
        ),
        (
            [True, False],
            ["platform preview", "platform up", "services preview"],
            ["platform", "services"],
            1,
            "Not applied at services.",
        ),
        (
            [True, True],
            ["platform preview", "platform up", "services preview", "services up"],
            ["platform", "services"],
            0,
            None,
        ),
    ],
)
def test_each_program_is_confirmed_and_a_decline_stops_there(
    ws: Path,
    stub: Path,
    answers: tuple[list[bool], list[str]],
    capsys: pytest.CaptureFixture[str],
    given: list[bool],
    ran: list[str],
    questions: list[str],
    code: int,
    said: str | None,
) -> None:
    answers[0].extend(given)
    assert main(["provision", "--stack", "sandbox", "-w", str(ws)]) == code
    assert [f"{Path(c['cwd']).name} {c['args'][0]}" for c in calls(stub)] == ran
    assert all(c["args"][-1] == "--skip-preview" for c in calls(stub) if c["args"][0] == "up")
    assert answers[1] == [
        f"Apply these changes to stack 'sandbox' of {name}?" for name in questions
    ]
    err = capsys.readouterr().err
    assert (err.splitlines()[-1] if err else None) == said


def test_plan_provisions_per_program(ws: Path, tmp_path: Path) -> None:
    workspace = Workspace.discover(ws)
    plans = plan_provisions(workspace, "sandbox", "preview-then-up", environ={}, home=tmp_path)
    assert [(p.program, p.program_dir, p.stack_file, p.backend_url) for p in plans] == [
        (
            "platform",
            program(ws, "platform"),
            program(ws, "platform") / "Pulumi.sandbox.yaml",
            PLATFORM_STATE,
        ),
        (
            "services",
            program(ws, "services"),
            program(ws, "services") / "Pulumi.sandbox.yaml",
            SERVICES_STATE,
        ),
    ]
    assert {p.commands for p in plans} == {
        (("pulumi", *PREVIEW), ("pulumi", *UP, "--skip-preview")),
    }
    assert [p.path.name for p in programs_to_provision(workspace, ws / "infrastructure")] == [
        "platform",
        "services",
    ]


def test_ctrl_c_names_the_programs_not_run(ws: Path, stub: Path, tmp_path: Path) -> None:
    script = tmp_path / "bin" / "pulumi"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, sys, time\n"
        "def stop(number, frame):\n"
        "    print('error: update canceled', flush=True)\n"
        "    os._exit(255)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "print('Updating (' + os.path.basename(os.getcwd()) + '):', flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polyinfra",
            "provision",
            *("--stack", "sandbox", "--yes", "-w", str(ws)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        first = [process.stdout.readline() for _ in range(3)]
        assert first[2] == "Updating (platform):\n", first
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert out.splitlines() == ["error: update canceled"]
    assert err.splitlines() == [
        "Interrupted: pulumi up of stack sandbox of platform has stopped; its output above "
        "says what it changed and what it did not.",
        "Services was not run.",
    ]


def test_the_split_workspace_is_clean_with_every_rule(tmp_path: Path) -> None:
    from polyinfra.checks.check import check_workspace

    ws = split_into_programs(tmp_path / "ws")
    result = check_workspace(ws, environments=["sandbox"])
    assert [p.message for p in result.problems] == []
