"""The libyaml path gives exactly the document the ruamel.yaml path gives, or defers to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import load_text
from polyinfra.yamlio.fast import fast_documents
from polyinfra.yamlio.loader import ruamel_documents


def reference_text(text: str, path: Path) -> object:
    [document] = ruamel_documents(text, path)
    return document


ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "merge": "base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\n  z: 4\n",
    "merge_list": "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  w: 0\n  <<: [*a, *b]\n",
    "nested_merge": "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc:\n  <<: *b\n  z: 3\n",
    "yaml_1_2_scalars": (
        "a: yes\nb: on\nc: 017\nd: 1_000\ne: 1e3\nf: '1'\ng: !!str 12\nh: 2024-01-01\n"
        "i: null\nk: ~\nl: |\n  text\nm: >\n  folded\nn: 0x1F\no: .inf\np: 2592000s\n"
    ),
    "flow": "a: {b: [1, 2, {c: d}], e: 'f'}\n",
    "aliases": "x: &x [1, 2]\ny: *x\nz:\n  - *x\n  - 3\n",
    "comments": "# c\na: 1 # t\n# d\nb:\n  - 1 # x\n  - 2\n",
    "document_start": "---\na: 1\n",
    "sequence_root": "- a: 1\n  b: 2\n- c\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_document_as_the_reference_loader(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    text = CASES[name]
    reference = reference_text(text, path)
    docs = fast_documents(text, path)
    assert docs is not None, "expected the libyaml path, not the fallback"
    [fast] = docs
    assert fast.data == reference.data
    if isinstance(reference.data, dict):
        assert list(fast.data) == list(reference.data)  # key order too
    assert fast.key_positions == reference.key_positions
    assert fast.value_positions == reference.value_positions
    assert fast.start == reference.start


def test_every_yaml_file_of_the_example_workspace(tmp_path: Path) -> None:
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        reference = ruamel_documents(text, path)
        fast = fast_documents(text, path)
        # infrastructure files take the libyaml path; others may defer (e.g. workflows with
        # empty values such as `workflow_dispatch:`), which is ruamel by construction
        if "infrastructure" in path.parts:
            assert fast is not None, path
        assert fast in (None, reference), path
        assert [load_text(text, path)] == reference, path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", ":2:1: duplicate key"),
        ("a: [1\n", ":2:1: invalid YAML"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, n in zip("abcde", "bcdef", strict=True)
            ),
            ":1:32: YAML expands to more than",
        ),
    ],
)
def test_errors_read_exactly_as_the_reference_loaders(
    text: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    with pytest.raises(UserError) as reference:
        ruamel_documents(text, path)
    with pytest.raises(UserError) as fast:
        load_text(text, path)
    assert str(fast.value) == str(reference.value)
    assert str(fast.value).startswith(f"{path}{expected}")


def test_unusual_input_defers_to_the_reference_loader(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    for text in ("a:\nb: 1\n", "a: !!binary aGVsbG8=\n", "? [1, 2]\n: x\n"):
        assert fast_documents(text, path) is None
        assert load_text(text, path) == reference_text(text, path)
