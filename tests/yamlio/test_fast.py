"""The libyaml path gives exactly the document the ruamel.yaml path gives, or defers to it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import YamlDocument, load_all_text, load_text
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
    "empty_values": "a:\nb:\n  c:\n  # x\nd: 1\n? e\nf:\n- \n-\n",
    "empty_explicit_keys": "? a\n? b\n: 1\n? c\n:\nd:\n",
    "empty_flow_values": "a: {b: , c :\n  , d, e: 1}\nf: [g: , h]\n",
    "merge_own_keys_first": "a: &a {x: 1, y: 2}\nb:\n  y: 3\n  <<: *a\n  z: 4\n",
    "merge_of_merged": "a: &a {x: 1}\nb: &b\n  <<: *a\n  x: 5\nc:\n  <<: *b\n",
    "local_tags": "a: !foo bar\nb: !foo {x: 1}\nd: ! 12\ne: !!str\n",
    "null_document": "--- Null\n---\nx: 1\n",
    "anchored_empty": "a: &x\nb: *x\n",
    "byte_order_mark": "\ufeffa: {b: }\nc:\n",
    "crlf": "a:\r\n  b:\r\n  c: {d: }\r\n",
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
    for text in ("a: !!binary aGVsbG8=\n", "? [1, 2]\n: x\n", 'a: !!int "3"\n'):
        assert fast_documents(text, path) is None
        assert load_text(text, path) == reference_text(text, path)


class _Random:
    """Random YAML streams with everything a position can depend on: block and flow
    collections, empty values (``a:``, ``? a``, ``{a: }``), anchors, aliases, merge keys,
    comments, quoting styles, tags, several documents, a byte order mark and CRLF."""

    SCALARS = (
        "a", "b c", "1", "0x1F", "017", "1.5", "1e3", "true", "yes", "on", "null", "~",
        "2024-01-01", "'q'", '"d q"', "'it''s'", '"e\\"x"', "-1", ".inf", "é€", "x/y",
        "v-1", "<<x", "=", "2592000s", "!!str 12", "!foo bar", "! 12",
    )  # fmt: skip
    KEYS = ("k", "name", "value", "7", "x y", "'q'", '"d"', "k2", "k3", "80")

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.anchors: list[str] = []
        self.merge_sources: list[str] = []
        self.count = 0

    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def anchor(self) -> str | None:
        if not self.chance(0.12):
            return None
        self.count += 1
        return f"a{self.count}"

    def comment(self) -> str:
        return " # c" if self.chance(0.1) else ""

    def inline(self, depth: int) -> str:
        if self.anchors and self.chance(0.12):
            return "*" + self.random.choice(self.anchors)
        if depth < 6 and self.chance(0.1):
            return self.flow(depth)
        if self.chance(0.08):
            return ""
        scalar = self.random.choice(self.SCALARS)
        anchor = self.anchor()
        if anchor:
            self.anchors.append(anchor)
            return f"&{anchor} {scalar}"
        return scalar

    def flow(self, depth: int) -> str:
        anchor = self.anchor()
        head = f"&{anchor} " if anchor else ""
        items = []
        if self.chance(0.5):
            for _ in range(self.random.randint(0, 3)):
                if depth < 6 and self.chance(0.2):
                    items.append(self.flow(depth + 1))
                elif self.chance(0.1):
                    items.append(f"{self.random.choice(self.KEYS)}: {self.inline(6)}")
                else:
                    items.append(self.inline(6) or "~")
            text = head + "[" + ", ".join(items) + "]"
        else:
            for key in self.random.sample(self.KEYS, self.random.randint(0, 3)):
                items.append(
                    self.random.choice(
                        [f"{key}: ", key, f"{key} : ", f"{key}: {self.inline(depth)}"]
                    )
                )
            text = head + "{" + ", ".join(items) + "}"
        if anchor:
            self.anchors.append(anchor)
        return text

    def mapping(self, indent: int, depth: int) -> list[str]:
        pad = " " * indent
        lines = []
        if self.merge_sources and self.chance(0.3):
            names = self.random.sample(self.merge_sources, min(2, len(self.merge_sources)))
            lines.append(pad + "<<: " + ("*" + names[0] if self.chance(0.5) else
                         "[" + ", ".join("*" + n for n in names) + "]"))  # fmt: skip
        for key in self.random.sample(self.KEYS, self.random.randint(1, 4)):
            if self.chance(0.08):
                lines.append(pad + "# comment line")
            kind = self.random.random() if depth < 5 else 0.0
            if kind > 0.65:
                anchor = self.anchor() if depth and self.chance(0.5) else None
                lines.append(pad + f"{key}:" + (f" &{anchor}" if anchor else "") + self.comment())
                lines.extend(self.mapping(indent + 2, depth + 1))
                if anchor and not any("<<" in line for line in lines[-8:]):
                    self.anchors.append(anchor)
                    self.merge_sources.append(anchor)
            elif kind > 0.35:
                lines.append(pad + f"{key}:" + self.comment())
                lines.extend(self.sequence(indent + self.random.choice((0, 2)), depth + 1))
            else:
                value = self.inline(depth)
                if self.chance(0.05):
                    lines.append(pad + f"? {key}")
                    lines.extend([pad + f": {value}"] if value else [])
                else:
                    lines.append(pad + f"{key}:" + (" " + value if value else "") + self.comment())
        return lines

    def sequence(self, indent: int, depth: int) -> list[str]:
        pad = " " * indent
        lines = []
        for _ in range(self.random.randint(1, 3)):
            kind = self.random.random() if depth < 5 else 0.0
            if kind > 0.65:
                inner = self.mapping(indent + 2, depth + 1)
                lines.append(pad + "- " + inner[0].lstrip())
                lines.extend(inner[1:])
            elif kind > 0.5:
                lines.append(pad + "-")
                lines.extend(self.sequence(indent + 2, depth + 1))
            else:
                value = self.inline(depth)
                lines.append(pad + "-" + (" " + value if value else "") + self.comment())
        return lines

    def stream(self) -> str:
        text = ""
        for number in range(self.random.randint(1, 3)):
            self.anchors, self.merge_sources = [], []
            roll = self.random.random()
            if roll < 0.75:
                lines = self.mapping(0, 0)
            elif roll < 0.9:
                lines = self.sequence(0, 0)
            else:
                lines = [self.flow(0)]
            text += ("---\n" if number or self.chance(0.3) else "") + "\n".join(lines) + "\n"
            text += "...\n" if self.chance(0.1) else ""
        if self.chance(0.05):
            text = "\ufeff" + text
        if self.chance(0.05):
            text = text.replace("\n", "\r\n")
        return text


def _summary(document: YamlDocument) -> object:
    data = document.data
    return (
        data,
        list(data) if isinstance(data, dict) else None,
        document.index,
        document.start,
        dict(document.key_positions.items()),
        dict(document.value_positions.items()),
    )


def test_random_streams_load_as_the_reference_loader_reads_them(tmp_path: Path) -> None:
    """Data, key order and every key and value position, as a whole table and looked up one
    by one; or the same error."""
    path = tmp_path / "random.yaml"
    compared = 0
    for seed in range(300):
        text = _Random(seed).stream()
        try:
            reference = ruamel_documents(text, path)
        except UserError as exc:
            expected = str(exc)
        else:
            expected = ""
        if expected:
            with pytest.raises(UserError) as caught:
                load_all_text(text, path)
            assert str(caught.value) == expected, seed
            continue
        documents = fast_documents(text, path)
        if documents is None:  # left to the reference loader (a duplicate key, a True key)
            continue
        compared += 1
        assert [_summary(d) for d in documents] == [_summary(d) for d in reference], seed
        for fast, slow in zip(documents, reference, strict=True):
            for key, position in slow.key_positions.items():
                assert fast.key_positions.get(key) == position, (seed, key)
            for key, position in slow.value_positions.items():
                assert fast.value_positions[key] == position, (seed, key)
    assert compared > 200
