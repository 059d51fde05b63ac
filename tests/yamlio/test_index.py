"""Positions found on demand: nothing is indexed until a position is asked for, a look-up walks
only its path, and what is found is what the reference loader records."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio import load_all_text, load_text
from polyinfra.yamlio.document import MAX_NODES
from polyinfra.yamlio.index import PositionTable
from polyinfra.yamlio.loader import ruamel_documents

PATH = Path("big.yaml")


def _index_of(table: object) -> object:
    assert isinstance(table, PositionTable)
    return table._index


def test_no_position_is_indexed_until_one_is_asked_for() -> None:
    doc = load_text("a:\n  b: [1, 2]\n", PATH)
    index = _index_of(doc.value_positions)
    assert not index.kinds  # type: ignore[attr-defined]

    assert doc.position(("a", "b", 1), value=True) == Position(PATH, 2, 10)
    assert doc.key_positions[("a", "b")] == Position(PATH, 2, 3)
    assert len(index.kinds) == 7  # type: ignore[attr-defined]


def test_documents_of_one_stream_share_one_index() -> None:
    first, second = load_all_text("a: 1\n---\n- x\n- y: 2\n", PATH)

    assert second.value_positions[(1, "y")] == Position(PATH, 4, 6)
    assert first.key_positions[("a",)] == Position(PATH, 1, 1)
    assert _index_of(first.key_positions) is _index_of(second.value_positions)
    assert (1, "y") not in first.value_positions
    assert ("a",) not in second.key_positions


def test_a_path_that_is_not_there_has_no_position() -> None:
    doc = load_text("a: {b: [1]}\nc: *x\n".replace("*x", "1"), PATH)
    for path in [("z",), ("a", "b", 1), ("a", "b", -1), ("a", "b", "0"), ("c", 0), ()]:
        assert doc.value_positions.get(path) is None, path
        assert path not in doc.key_positions
    with pytest.raises(KeyError):
        doc.value_positions[("a", "z")]
    assert doc.position(("a", "z", 3)) == Position(PATH, 1, 1)  # the nearest ancestor's key


def test_aliases_and_merge_keys_point_at_the_text_written() -> None:
    text = "base: &b\n  x: 1\n  y: [2]\nother:\n  <<: *b\n  y: 3\nlist: *b\n"
    doc = load_text(text, PATH)
    reference = ruamel_documents(text, PATH)[0]

    assert doc.key_positions[("other", "x")] == Position(PATH, 2, 3)  # merged from base
    assert doc.key_positions[("other", "y")] == Position(PATH, 6, 3)  # its own
    assert doc.value_positions[("list", "y", 0)] == Position(PATH, 3, 7)  # through the alias
    assert dict(doc.key_positions) == dict(reference.key_positions)
    assert dict(doc.value_positions) == dict(reference.value_positions)


def test_looking_up_every_item_of_a_long_list_takes_linear_time() -> None:
    count = 100_000
    text = "env:\n" + "".join(f"- name: N{i}\n  value: v{i}\n" for i in range(count))
    doc = load_text(text, PATH)

    start = time.perf_counter()
    for i in range(count):
        assert doc.value_positions[("env", i, "value")].line == 2 * i + 3
    assert time.perf_counter() - start < 10  # quadratic would be hours


def test_a_large_file_without_aliases_is_never_taken_for_an_alias_bomb() -> None:
    """The densest text there is: a value per two characters, five times MAX_NODES."""
    count = 5 * MAX_NODES
    doc = load_text("[" + "1," * count + "1]\n", PATH)

    assert len(doc.data) == count + 1


def test_an_alias_bomb_is_reported_in_its_file_at_a_value_it_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join(['*' + previous] * 10)}]\n"
    padding = "# padding\n" * 30_000

    start = time.perf_counter()
    with pytest.raises(UserError) as caught:
        load_text(padding + bomb, PATH)

    assert str(caught.value).startswith(
        f"big.yaml:30001:35: YAML expands to more than {len(padding + bomb):,} values once "
        "aliases are resolved (an alias bomb?)"
    )
    assert time.perf_counter() - start < 10  # 10^8 values if it were expanded


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "1:204"),
        ("a: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n", "1:804"),
        ("".join(" " * i + "a:\n" for i in range(3_000)) + " " * 3_000 + "v\n", "202:202"),
        ("- " * 50_000 + "x\n", "1:403"),
    ],
    ids=["flow-sequences", "flow-mappings", "block", "block-sequences"],
)
def test_nesting_too_deep_is_an_error_at_the_first_value_too_deep_at_once(
    text: str, where: str
) -> None:
    start = time.perf_counter()
    with pytest.raises(UserError) as caught:
        load_text(text, PATH)

    assert str(caught.value) == (
        f"big.yaml:{where}: YAML nests more than 200 levels deep\n"
        "  hint: flatten the structure; an alias may not refer to a node that contains it"
    )
    assert time.perf_counter() - start < 5


def test_nesting_too_deep_through_an_alias_is_placed_as_the_reference_places_it() -> None:
    text = "a: &x " + "[" * 150 + "]" * 150 + "\nb: " + "[" * 60 + "*x" + "]" * 60 + "\n"
    with pytest.raises(UserError) as reference:
        ruamel_documents(text, PATH)
    with pytest.raises(UserError) as caught:
        load_text(text, PATH)

    assert str(caught.value) == str(reference.value)
    assert str(caught.value).startswith("big.yaml:1:147: YAML nests more than 200 levels deep")
