"""The one stack-file loader: a wrong shape is an error at its position, with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import load_stack_file, read_stack_file, stack_document


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- a\n- b\n",
            ":1:1: a stack file must be a mapping, got a list\n"
            "  hint: start the file with `config:`",
        ),
        (
            "# a comment first\nhello\n",
            ":2:1: a stack file must be a mapping, got a string\n"
            "  hint: start the file with `config:`",
        ),
        (
            "config:\n  - a\n",
            ":2:3: `config` must be a mapping, got a list\n"
            "  hint: write each setting under `config:` as `namespace:key: value`, one per line",
        ),
        ("config: 5\n", ":1:9: `config` must be a mapping, got an integer"),
        ("config:\n  a: 1\n---\nconfig: {}\n", ":4:1: expected one YAML document, found 2"),
    ],
    ids=["list", "scalar", "config-list", "config-scalar", "two-documents"],
)
def test_wrong_shapes(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    path.write_text(text)

    with pytest.raises(UserError) as caught:
        load_stack_file(path)

    assert str(caught.value).startswith(f"{path}{expected}"), str(caught.value)
    with pytest.raises(UserError) as again:
        stack_document(text, path)  # text from a git revision reads the same
    assert str(again.value) == str(caught.value)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "config:\n", "config: {}\n"])
def test_empty_stack_files_load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    path.write_text(text)

    read, doc = read_stack_file(path)

    assert read == text
    assert doc.data in (None, {"config": None}, {"config": {}})
