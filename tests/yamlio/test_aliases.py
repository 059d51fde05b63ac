"""An alias inside the value its own anchor names is an error at the alias, whichever loader
reads the text; it never reads as null."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import load_text
from polyinfra.yamlio.fast import REFERENCE_TEXT_SIZE, fast_documents
from polyinfra.yamlio.loader import ruamel_documents

HINT = (
    "  hint: an alias may not refer to a value that contains it: repeat the values instead, or "
    "anchor a part that does not contain the alias"
)


@pytest.mark.parametrize(
    ("text", "where", "anchor"),
    [
        ("a: &x\n  b: *x\n", "2:6", "x"),
        ("a: &x [1, *x]\n", "1:11", "x"),
        ("a: &x {b: *x, c: *x}\n", "1:11", "x"),
        ("&top [*top]\n", "1:7", "top"),
        ("config:\n  input:loop: &loop\n    - keep: 1\n    - *loop\n", "4:7", "loop"),
        ("a: &x\n  b:\n    <<: *x\n", "3:9", "x"),
    ],
    ids=["mapping", "sequence", "twice", "document", "stack-file", "merge-key"],
)
def test_a_recursive_alias_is_an_error_at_the_alias(
    text: str, where: str, anchor: str, tmp_path: Path
) -> None:
    path = tmp_path / "loop.yaml"
    expected = (
        f"{path}:{where}: invalid YAML: recursive alias *{anchor}: it is inside the value its "
        f"anchor &{anchor} names\n{HINT}"
    )
    with pytest.raises(UserError) as loaded:
        load_text(text, path)
    with pytest.raises(UserError) as reference:
        ruamel_documents(text, path)
    assert str(loaded.value) == expected
    assert str(reference.value) == expected


def test_the_libyaml_path_words_it_the_same_in_a_large_text(tmp_path: Path) -> None:
    path = tmp_path / "large.yaml"
    filler = "".join(f"k{n}: {'v' * 60}\n" for n in range(REFERENCE_TEXT_SIZE // 60))
    text = filler + "a: &x\n  b: *x\n"
    line = filler.count("\n") + 2
    with pytest.raises(UserError) as caught:
        fast_documents(text, path)
    assert str(caught.value) == (
        f"{path}:{line}:6: invalid YAML: recursive alias *x: it is inside the value its anchor "
        f"&x names\n{HINT}"
    )


def test_an_anchor_used_after_its_value_ends_is_no_loop(tmp_path: Path) -> None:
    text = "a: &x [1]\nb: *x\nc: {d: *x, e: &x 2, f: *x}\n"
    assert load_text(text, tmp_path / "ok.yaml").data == {
        "a": [1],
        "b": [1],
        "c": {"d": [1], "e": 2, "f": 2},
    }
