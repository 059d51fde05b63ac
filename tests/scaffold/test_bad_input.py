"""Broken copies of the example: every command that reads a stack file reports it the same way,
at file:line:col with the fix, exits 2 and changes no file of the workspace."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import EXAMPLE, copy_example

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
ORIGINAL = (EXAMPLE / STACK).read_bytes()


def replaced(old: bytes, new: bytes) -> bytes:
    assert ORIGINAL.count(old) == 1, old
    return ORIGINAL.replace(old, new)


UTF8_HINT = "  hint: save the file as UTF-8 (the encoding setting of your editor), then run again"

#: name -> (stack file bytes, the error line after the file name, its hint line)
BROKEN: dict[str, tuple[bytes, str, str]] = {
    "list": (
        b"- config\n- gcp:project\n",
        ":1:1: a stack file must be a mapping, got a list",
        "  hint: start the file with `config:`",
    ),
    "scalar": (
        b"# not a mapping\nconfig\n",
        ":2:1: a stack file must be a mapping, got a string",
        "  hint: start the file with `config:`",
    ),
    "latin-1": (
        replaced(b"owner: data-engineering", b"owner: data-engin\xe9ering"),
        ":9:26: not UTF-8 text: byte 0xE9 starts a character that the bytes after it do not "
        "complete",
        UTF8_HINT + "; in Latin-1 (ISO-8859-1) this byte is 'é'",
    ),
    "nul": (
        replaced(b"owner: data-engineering", b"owner: data-\x00engineering"),
        ":9:21: a NUL byte (0x00) is not allowed in YAML or TOML text",
        "  hint: delete it (editors show it as ^@ or \\0); NUL bytes all through the file mean "
        "it was saved as UTF-16: save the file as UTF-8 (the encoding setting of your editor), "
        "then run again",
    ),
    "utf-16": (
        codecs.BOM_UTF16_LE + ORIGINAL.decode().encode("utf-16-le"),
        ":1:1: the file is UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8",
        UTF8_HINT,
    ),
    "config-list": (
        b"config:\n  - gcp:project\n",
        ":2:3: `config` must be a mapping, got a list",
        "  hint: write each setting under `config:` as `namespace:key: value`, one per line",
    ),
}

CASES = sorted(BROKEN)


def tree_hash(root: Path) -> str:
    """One hash of every file's path and bytes under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


COMMANDS = {
    "add service": ["add", "service", "orders-api", "-p", "inventory_api"],
    "add job": ["add", "job", "nightly", "-p", "dmd_ingest", "--schedule", "0 4 * * *"],
    "add function": ["add", "function", "hook-two", "-p", "stock_webhook"],
    "init": ["init"],
    "plan": ["plan", "--stack", "sandbox"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES)
def test_bad_stack_file_is_exit_2_at_its_position_and_nothing_changes(
    workspace: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    data, error, hint = BROKEN[case]
    stack = workspace / STACK
    stack.write_bytes(data)
    before = tree_hash(workspace)

    code = main([*COMMANDS[command], "-w", str(workspace)])

    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.splitlines() == [f"error: {stack}{error}", hint]
    assert tree_hash(workspace) == before


@pytest.mark.parametrize("case", CASES)
def test_check_reports_the_same_error_at_the_same_place(
    workspace: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    data, error, _hint = BROKEN[case]
    stack = workspace / STACK
    stack.write_bytes(data)
    before = tree_hash(workspace)

    code = main(["check", str(workspace), "--env", "sandbox", "--format", "json"])

    out = capsys.readouterr().out
    assert code == 1
    position, message = error[1:].split(": ", 1)
    line, col = (int(part) for part in position.split(":"))
    assert (line, col, message) in _stack_findings(out, stack)
    assert tree_hash(workspace) == before


def _stack_findings(out: str, stack: Path) -> list[tuple[int, int, str]]:
    """(line, column, message) of each finding in ``stack`` of `check --format json`."""
    import json

    problems = json.loads(out[: out.rindex("]") + 1])
    return [
        (problem["line"], problem["col"], problem["message"])
        for problem in problems
        if Path(problem["file"]).name == stack.name
    ]


def test_init_with_force_replaces_a_broken_stack_file(workspace: Path) -> None:
    """A stack file `init --force` replaces is not read: replacing it is the fix."""
    stack = workspace / STACK
    stack.write_bytes(BROKEN["nul"][0])

    assert main(["init", "-w", str(workspace), "--force"]) == 0

    assert b"\x00" not in stack.read_bytes()


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            b"        roles:\n          - roles/logging.logWriter\n      artifact_registry:\n"
            b"        repository_id: inventory-api",
            b"        roles: roles/logging.logWriter\n      artifact_registry:\n"
            b"        repository_id: inventory-api",
            ":36:16: config.input:projects.inventory-api.service_account_iam.roles must be a "
            "list, found a string",
        ),
        (
            b"      service_account_iam:\n        account_id: inventory-api\n        roles:\n"
            b"          - roles/logging.logWriter\n      artifact_registry:\n"
            b"        repository_id: inventory-api",
            b"      service_account_iam: inventory-api\n      artifact_registry:\n"
            b"        repository_id: inventory-api",
            ":34:28: config.input:projects.inventory-api.service_account_iam must be a mapping, "
            "found a string",
        ),
    ],
    ids=["roles-scalar", "iam-scalar"],
)
def test_add_to_an_existing_project_entry_of_the_wrong_shape(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    old: bytes,
    new: bytes,
    error: str,
) -> None:
    """`add` for a second app of a project edits its entry; a part of the wrong shape is an
    error where it is written, not a silent skip."""
    stack = workspace / STACK
    stack.write_bytes(replaced(old, new))
    before = tree_hash(workspace)

    args = ["add", "job", "nightly", "-p", "inventory_api", "--schedule", "0 4 * * *"]
    code = main([*args, "-w", str(workspace)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0] == f"error: {stack}{error}"
    assert tree_hash(workspace) == before


def test_non_utf8_pyproject_is_exit_2_at_its_byte(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    pyproject.write_bytes(pyproject.read_bytes() + b"# caf\xe9\n")
    line = pyproject.read_bytes().count(b"\n")
    before = tree_hash(workspace)

    for args in (["add", "service", "orders-api", "-p", "inventory_api"], ["init"]):
        assert main([*args, "-w", str(workspace)]) == 2
        assert capsys.readouterr().err.splitlines()[0] == (
            f"error: {pyproject}:{line}:6: not UTF-8 text: byte 0xE9 starts a character "
            "that the bytes after it do not complete"
        )
    assert tree_hash(workspace) == before
