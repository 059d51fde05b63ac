"""`plan` and the stack-config loaders on stack files that do not read: the shared loader's
errors, at file:line:col, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.errors import UserError
from polyinfra.foundation.config import load_stack_config, load_stack_text
from tests.conftest import copy_example

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            b"owner: data-engineering",
            b"owner: data-engin\xe9ering",
            ":9:26: not UTF-8 text: byte 0xE9 starts a character that the bytes after it do "
            "not complete",
        ),
        (
            b"  gcp:region: asia-southeast1",
            b"  gcp:region: asia-\x00southeast1",
            ":5:20: a NUL byte (0x00) is not allowed in YAML or TOML text",
        ),
        (
            b"  gcp:region: asia-southeast1",
            b"  gcp:region: asia-\x0csoutheast1",
            ":5:20: the control character U+000C is not allowed in YAML or TOML text",
        ),
    ],
    ids=["latin-1", "nul", "form-feed"],
)
def test_plan_reports_bad_bytes_at_their_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: bytes, new: bytes, expected: str
) -> None:
    workspace = copy_example(tmp_path / "ws")
    stack = workspace / STACK
    data = stack.read_bytes()
    assert data.count(old) == 1
    stack.write_bytes(data.replace(old, new))

    assert main(["plan", "-w", str(workspace), "--stack", "sandbox"]) == 2

    assert capsys.readouterr().err.splitlines()[0] == f"error: {stack}{expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n", ":1:1: a stack file must be a mapping, got a list"),
        ("just text\n", ":1:1: a stack file must be a mapping, got a string"),
        ("config: [a]\n", ":1:9: `config` must be a mapping, got a list"),
    ],
)
def test_file_and_text_loaders_agree(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    path.write_text(text)

    with pytest.raises(UserError) as from_file:
        load_stack_config(path)
    with pytest.raises(UserError) as from_text:
        load_stack_text(text, path)

    assert str(from_file.value).splitlines()[0] == f"{path}{expected}"
    assert str(from_text.value) == str(from_file.value)


def test_plan_diff_reports_bad_bytes_at_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stack file as committed at the ``--diff`` revision is read like a file on disk."""
    from tests.affected.conftest import Repo

    repo = Repo(copy_example(tmp_path / "ws")).init()
    stack = repo.root / STACK
    good = stack.read_bytes()
    stack.write_bytes(good.replace(b"owner: data-engineering", b"owner: data-engin\xe9ering"))
    repo.commit("latin-1 owner")
    stack.write_bytes(good)

    assert main(["plan", "-w", str(repo.root), "--stack", "sandbox", "--diff", "HEAD"]) == 2

    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: HEAD:{STACK}:9:26: not UTF-8 text: byte 0xE9 starts a character that the "
        "bytes after it do not complete"
    )
