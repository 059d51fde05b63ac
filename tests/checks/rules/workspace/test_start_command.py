"""The command a Dockerfile's image starts with, read as Docker builds it: the final stage's
ENTRYPOINT and CMD, inherited from the stage it is built from, exec or shell form."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.rules.workspace.start_command import StartCommand, start_command
from polyinfra.positions import Position

PATH = Path("Dockerfile")


def read(text: str) -> StartCommand:
    found = start_command(text, PATH)
    assert found is not None
    return found


def at(line: int) -> Position:
    return Position(PATH, line, 1)


def test_a_shell_form_cmd_runs_the_framework_with_its_options() -> None:
    command = read(
        "FROM python:3.13-slim\n"
        "CMD exec functions-framework --source=acme/hook/core.py \\\n"
        "    --target=${FUNCTION_TARGET:-handle} --signature-type cloudevent\n"
    )
    assert (command.keyword, command.position, command.framework) == ("CMD", at(2), at(2))
    assert command.target is not None
    assert command.signature_type is not None
    assert (command.target.value, command.target.literal, command.target.default) == (
        "${FUNCTION_TARGET:-handle}",
        None,
        "handle",
    )
    assert command.signature_type.literal == "cloudevent"
    assert command.unexpanded is None


def test_an_exec_form_passes_variables_through_as_text() -> None:
    command = read('FROM python\nCMD ["functions-framework", "--target", "$FUNCTION_TARGET"]\n')
    assert command.target is not None
    assert command.target.default is None
    assert command.unexpanded == ("$FUNCTION_TARGET", at(2))


@pytest.mark.parametrize(
    "text",
    [
        'FROM python\nCMD ["python3.13", "-m", "functions_framework", "--target=f"]\n',
        "FROM python\nCMD /app/.venv/bin/functions-framework --target=f\n",
        'FROM python\nCMD ["uv", "run", "--no-sync", "ff", "--target=f"]\n',
        'FROM python\nENTRYPOINT ["tini", "--"]\n'
        'CMD ["bash", "-c", "cd /app && exec ff --target=f"]\n',
        'FROM python\nENTRYPOINT ["functions-framework"]\nCMD ["--target=f"]\n',
    ],
)
def test_the_ways_to_start_the_framework(text: str) -> None:
    command = read(text)
    assert command.framework is not None
    assert command.target is not None
    assert command.target.literal == "f"


def test_a_stage_inherits_the_command_of_the_stage_it_is_built_from() -> None:
    text = "FROM python AS base\nCMD exec functions-framework\nFROM base\nUSER app\n"
    assert read(text).framework == at(2)
    assert read(text.replace("FROM base", "FROM 0")).framework == at(2)
    assert read(text.replace("FROM base", "FROM python")).keyword is None


def test_an_entrypoint_drops_the_inherited_cmd_but_not_its_own_stages() -> None:
    inherited = 'FROM python AS base\nCMD ["--target=f"]\nFROM base\nENTRYPOINT ["ff"]\n'
    command = read(inherited)
    assert (command.keyword, command.target) == ("ENTRYPOINT", None)
    own = 'FROM python\nCMD ["--target=f"]\nENTRYPOINT ["ff"]\n'
    command = read(own)
    assert command.target is not None
    assert command.position == at(2)


def test_a_shell_form_entrypoint_ignores_the_cmd() -> None:
    command = read('FROM python\nENTRYPOINT exec python main.py\nCMD ["functions-framework"]\n')
    assert (command.keyword, command.position, command.framework) == ("ENTRYPOINT", at(2), None)


def test_no_command_is_the_last_from_and_no_from_is_none() -> None:
    command = read("FROM python AS build\nRUN true\n\nFROM python:3.13-slim\nCOPY . .\n")
    assert (command.keyword, command.position, command.framework) == (None, at(4), None)
    assert start_command("# nothing\n", PATH) is None
    assert start_command('CMD ["ff"]\n', PATH) is None


def test_a_command_it_cannot_read_starts_nothing() -> None:
    command = read('FROM python\nCMD ["functions-framework", \n')
    assert command.framework is None
    assert read("FROM python\nCMD exec 'functions-framework\n").framework is None
