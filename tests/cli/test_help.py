"""Every command's help: metavars in the user's words, never Python types; `add` per kind."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer.main

from polyinfra.cli.main import app, main

#: What Typer or Click print for a parameter declared without a metavar.
PYTHON_TYPES = (
    "<list",
    "<int",
    "<float",
    "<str>",
    "<bool",
    "<path>",
    "<dir>",
    "<file>",
    "[str]",
    "[Path]",
    "range>",
    "RANGE",
    "TEXT",
    "INTEGER",
    "FLOAT",
    "DIRECTORY",
    "FILENAME",
)
OPTION_ROW = re.compile(
    r"(-[a-zA-Z], )?--([a-z][a-z-]*)( / --no-\2)?( [A-Z][A-Z0-9_]*(=[A-Z][A-Z0-9_]*)?)?"
)
ARGUMENT_ROW = re.compile(r"[A-Z][A-Z0-9_]*(\.\.\.)?")


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every command and sub-command of the CLI, read from the CLI itself."""

    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


COMMAND_PATHS = list(command_paths())


def test_every_command_is_walked() -> None:
    assert {p for p in COMMAND_PATHS if len(p) == 2} == {
        ("add", "function"),
        ("add", "job"),
        ("add", "service"),
        ("cache", "clear"),
        ("cache", "dir"),
        ("ci", "generate"),
        ("migrate", "three-stack"),
        ("schema", "stack-config"),
        ("sync", "dockerfile"),
    }
    assert len(COMMAND_PATHS) == 34


def sections(text: str) -> dict[str, list[str]]:
    """The first column of each row of the Arguments and Options sections of a help text."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line in ("Arguments:", "Options:", "Commands:"):
            current = found.setdefault(line[:-1], [])
        elif not line.strip():
            continue
        elif current is not None and re.match(r"  \S", line):
            current.append(re.split(r"\s{2,}", line.strip())[0])
        elif not line.startswith(" "):
            current = None
    return found


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "polyinfra")
def test_help_shows_metavars_not_python_types(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: polyinfra {' '.join(path)}".rstrip() + " ")
    rows = sections(out)
    assert rows["Options"], out
    for name in PYTHON_TYPES:
        assert not any(name in row for row in rows["Options"] + rows.get("Arguments", [])), out
    for row in rows["Options"]:
        assert OPTION_ROW.fullmatch(row), row
    for row in rows.get("Arguments", []):
        assert ARGUMENT_ROW.fullmatch(row), row
    usage = out.splitlines()[0]
    assert not any(name in usage for name in PYTHON_TYPES), usage


@pytest.mark.parametrize(
    ("command", "rows"),
    [
        (
            ["deploy"],
            [
                "--all",
                "--changed",
                "-e, --env ENV",
                "--version VERSION",
                "--image APP=IMAGE",
                "--registry URL",
                "--region REGION",
                "--endpoint URL",
                "--emulator",
                "--concurrency N",
                "--max-writes-per-minute N",
                "--fail-fast",
                "--timeout SECONDS",
                "--http-timeout SECONDS",
                "--execute",
                "--traffic N",
                "--no-traffic",
                "--tag TAG",
                "--dry-run",
                "--skip-checks",
                "--prune",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["execute"],
            [
                "-e, --env ENV",
                "--args ARG",
                "--clear-args",
                "--env-var KEY=VALUE",
                "--update-env-vars KEY=VALUE",
                "--tasks N",
                "--task-timeout SECONDS",
                "--wait / --no-wait",
                "--timeout SECONDS",
                "--region REGION",
                "--endpoint URL",
                "--http-timeout SECONDS",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["executions"],
            [
                "-e, --env ENV",
                "--limit N",
                "-f, --format FORMAT",
                "--region REGION",
                "--endpoint URL",
                "--http-timeout SECONDS",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["remove"],
            [
                "-e, --env ENV",
                "-y, --yes",
                "--dry-run",
                "--region REGION",
                "--endpoint URL",
                "--http-timeout SECONDS",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["promote"],
            [
                "-e, --env ENV",
                "--percent N",
                "--region REGION",
                "--endpoint URL",
                "--timeout SECONDS",
                "--http-timeout SECONDS",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["status"],
            [
                "-e, --env ENV",
                "--all-envs",
                "-f, --format FORMAT",
                "--diff",
                "--exit-code",
                "--image APP=IMAGE",
                "--registry URL",
                "--region REGION",
                "--endpoint URL",
                "--http-timeout SECONDS",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["rollback"],
            [
                "-e, --env ENV",
                "--to VERSION",
                "--image APP=IMAGE",
                "--registry URL",
                "--region REGION",
                "--endpoint URL",
                "--timeout SECONDS",
                "--http-timeout SECONDS",
                "--dry-run",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["run"],
            [
                "-e, --env ENV",
                "--port PORT",
                "--event FILE",
                "--env-file FILE",
                "--python PATH",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["init"],
            [
                "-w, --workspace DIR",
                "-e, --env ENV",
                "--gcp-project ENV=PROJECT_ID",
                "--region REGION",
                "--force",
                "--dry-run",
                "--polyinfra-source SOURCE",
                "--python VERSION",
                "--stacks N",
                "--no-lock",
                "-h, --help",
            ],
        ),
        (
            ["affected"],
            [
                "--base REF",
                "--head REF",
                "-f, --format FORMAT",
                "--link-base URL",
                "--fallback MODE",
                "--env ENV",
                "--all",
                "--version VERSION",
                "--released-tag TAG",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["check"],
            [
                "-w, --workspace DIR",
                "-e, --env ENV",
                "-f, --format FORMAT",
                "--link-base URL",
                "--select RULE",
                "--ignore RULE",
                "--strict",
                "--timings",
                "--list-rules",
                "--no-cache",
                "-h, --help",
            ],
        ),
        (
            ["plan"],
            [
                "-s, --stack STACK",
                "-f, --format FORMAT",
                "--json",
                "--link-base URL",
                "--diff REF",
                "--detailed-exitcode",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
        (
            ["provision"],
            [
                "-s, --stack STACK",
                "-y, --yes",
                "--preview",
                "-w, --workspace DIR",
                "-h, --help",
            ],
        ),
    ],
)
def test_option_rows(
    command: list[str], rows: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--help"]) == 0
    assert sections(capsys.readouterr().out)["Options"] == rows


def test_provision_help_says_how_several_programs_are_provisioned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["provision", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "Three-stack layout (infrastructure/pulumi/platform/ and services/): every program's "
        "stack is checked first, then each program is provisioned in its own folder, platform "
        "before services, stopping at the first that fails or is declined (the later ones are "
        "not run). -w with a program's folder (-w infrastructure/pulumi/services) provisions "
        "that program only."
    ) in text
    assert "preview, ask, then update (per program)" in text
    assert "each stack file's `input:bucket`" in text


def test_arguments_by_metavar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Usage: polyinfra render [OPTIONS] [APP]..."
    assert sections(out)["Arguments"] == ["APP..."]
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Usage: polyinfra check [OPTIONS] [PATH]"
    assert sections(out)["Arguments"] == ["PATH"]


COMMON_ADD = ["-w, --workspace DIR", "-p, --project PROJECT", "-e, --env ENV"]
TAIL_ADD = ["--region REGION", "--force", "--dry-run", "-h, --help"]


@pytest.mark.parametrize(
    ("kind", "own"),
    [
        ("service", []),
        ("job", ["--schedule CRON", "--time-zone TZ"]),
        ("function", ["--target FUNCTION", "--trigger TRIGGER"]),
    ],
)
def test_add_kinds_each_have_their_own_help(
    kind: str, own: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", kind, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Usage: polyinfra add {kind} [OPTIONS] {{NAME}}"
    assert out.splitlines()[2].startswith(f"  Add a Cloud Run {kind}")
    rows = sections(out)
    assert rows["Arguments"] == ["NAME"]
    assert rows["Options"] == [*COMMON_ADD, *own, *TAIL_ADD]


def test_add_lists_its_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "--help"]) == 0
    assert sections(capsys.readouterr().out)["Commands"] == ["service", "job", "function"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["add", "service", "api", "--schedule", "0 4 * * *"], "--schedule"),
        (["add", "service", "api", "--target", "main"], "--target"),
        (["add", "function", "hook", "--time-zone", "Etc/UTC"], "--time-zone"),
        (["add", "job", "ingest", "--target", "main"], "--target"),
    ],
)
def test_add_rejects_another_kind_s_option(
    args: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"Error: No such option: {option}" in err
    assert f"Try 'polyinfra add {args[1]} -h' for help." in err


def test_add_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "worker", "x"]) == 2
    assert "Error: No such command 'worker'." in capsys.readouterr().err
