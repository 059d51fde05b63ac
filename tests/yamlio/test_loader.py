"""The reference (ruamel.yaml) loader: the same documents without comment tokens, bounds that
grow with the input, and positions for values nested too deeply."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from polyinfra.errors import UserError
from polyinfra.yamlio import load_text, loader
from polyinfra.yamlio.document import MAX_NODES
from polyinfra.yamlio.loader import ruamel_documents

ROOT = Path(__file__).resolve().parents[2]

COMMENTED = {
    "empty_value_then_comment": "a:\n  # c\nb: 1\n",
    "comment_runs": "a:\n# c\n  # d\nb:\n",
    "sequence_comments": "a: # c\n  - x # y\n  # z\n  -\n  # w\n  - q\n",
    "flow_comment": "a: {x: 1, # c\n  y: 2}\n",
    "block_scalar_hash": "a: |\n  # not a comment\n  x\n# c\nb: >\n  # y\n",
    "anchor_comment": "a: &x # c\n  k: v\nb: *x # d\n",
    "complex_key": "? # c\n  k\n: v\n",
    "empty_nested": "a:\n  b:\n    # c\n  c:\n",
}


def _with_comments() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _documents(text: str, path: Path) -> list[object]:
    return [
        (doc.data, doc.key_positions, doc.value_positions, doc.start)
        for doc in ruamel_documents(text, path)
    ]


@pytest.mark.parametrize("name", sorted(COMMENTED))
def test_dropping_comments_changes_no_value_and_no_position(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(f"{name}.yaml")
    text = COMMENTED[name]
    without = _documents(text, path)
    monkeypatch.setattr(loader, "_yaml", _with_comments)  # ruamel.yaml's own scanner
    assert _documents(text, path) == without


def test_every_yaml_file_of_the_example_loads_the_same_without_comments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert files
    without = {path: _documents(path.read_text(), path) for path in files}
    monkeypatch.setattr(loader, "_yaml", _with_comments)
    for path in files:
        assert _documents(path.read_text(), path) == without[path], path


def test_a_large_file_is_not_taken_for_an_alias_bomb() -> None:
    """More values than MAX_NODES, but fewer than characters: a long list, not a bomb."""
    text = "items:\n" + "  - 1\n" * (MAX_NODES + 10)

    assert len(load_text(text, Path("big.yaml")).data["items"]) == MAX_NODES + 10


def test_a_bomb_in_a_large_file_is_still_one() -> None:
    padding = "# padding\n" * 30_000  # 300,000 characters: the bound is one value per character
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdef":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join(['*' + previous] * 10)}]\n"

    with pytest.raises(UserError) as caught:
        load_text(padding + bomb, Path("bomb.yaml"))

    assert str(caught.value).startswith(
        f"bomb.yaml:30001:11: YAML expands to more than {len(padding + bomb):,} values"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x: " + "[" * 300 + "]" * 300 + "\n", "1:204"),  # composed, then converted
        ("a: " + "[" * 1500 + "]" * 1500 + "\n", "1:204"),  # too deep for the composer
        (
            "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 600)) + "  " * 600 + "v\n",
            "202:403",
        ),
    ],
    ids=["flow", "recursion", "block"],
)
def test_nesting_too_deep_is_placed_at_the_first_value_too_deep(text: str, expected: str) -> None:
    for load in (load_text, ruamel_documents):
        with pytest.raises(UserError) as caught:
            load(text, Path("deep.yaml"))
        assert str(caught.value) == (
            f"deep.yaml:{expected}: YAML nests more than 200 levels deep\n"
            "  hint: flatten the structure; an alias may not refer to a node that contains it"
        )
