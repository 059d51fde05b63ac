"""Round-trip edits: only lines are inserted; comments, anchors and layout survive."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from polyinfra.errors import UserError
from polyinfra.yamlio import load_text
from polyinfra.yamlio.outline import outline
from polyinfra.yamlio.roundtrip import (
    Alias,
    Editor,
    Flow,
    add_mapping_entry,
    add_sequence_item,
)

FILE = Path("Pulumi.test.yaml")

STACK = """\
config:
  gcp:project: acme-sandbox # the GCP project
  shared: &shared
    - keep: 10

  input:projects:
    a:
      roles:
        - one # first
        - two

    b:
      roles:
      - three
      # trailing comment inside b

  # next section
  input:monitoring: {}
"""


def test_mapping_entry_goes_after_the_last_entry_with_the_same_spacing() -> None:
    result = add_mapping_entry(
        STACK, FILE, ("config", "input:projects"), "c", {"x": Alias("shared")}
    )

    assert result == STACK.replace(
        "      # trailing comment inside b\n",
        "      # trailing comment inside b\n\n    c:\n      x: *shared\n",
    )
    data = load_text(result, FILE).data
    assert data["config"]["input:projects"]["c"] == {"x": [{"keep": 10}]}


def test_a_flow_mapping_is_written_on_one_line() -> None:
    grant = {"role": "roles/run.invoker", "resource": Flow({"job": "nightly"})}
    result = add_sequence_item(STACK, FILE, ("config", "input:projects", "a", "roles"), grant)
    assert result == STACK.replace(
        "        - two\n",
        "        - two\n        - role: roles/run.invoker\n          resource: {job: nightly}\n",
    )
    data = load_text(result, FILE).data
    assert data["config"]["input:projects"]["a"]["roles"][-1] == {
        "role": "roles/run.invoker",
        "resource": {"job": "nightly"},
    }


def test_sequence_item_is_appended_in_the_sequence_style() -> None:
    indented = add_sequence_item(STACK, FILE, ("config", "input:projects", "a", "roles"), "new")
    assert indented == STACK.replace("        - two\n", "        - two\n        - new\n")

    compact = add_sequence_item(STACK, FILE, ("config", "input:projects", "b", "roles"), "new")
    # a comment indented like the entries belongs to the node: the item goes after it
    assert compact == STACK.replace(
        "      # trailing comment inside b\n", "      # trailing comment inside b\n      - new\n"
    )


def test_sequence_of_mappings_keeps_dash_alignment() -> None:
    text = "jobs:\n  - name: a\n    schedule: '1 * * * *'\nother: 1\n"

    result = add_sequence_item(text, FILE, ("jobs",), {"name": "b", "schedule": "2 * * * *"})

    assert result == (
        "jobs:\n  - name: a\n    schedule: '1 * * * *'\n"
        "  - name: b\n    schedule: 2 * * * *\nother: 1\n"
    )


def test_empty_flow_collections_become_blocks_and_keep_their_comment() -> None:
    text = "config:\n  input:projects: {} # none yet\n  later: [] # empty\n"

    result = add_mapping_entry(text, FILE, ("config", "input:projects"), "a", {"k": "v"})
    assert (
        result == "config:\n  input:projects: # none yet\n    a:\n      k: v\n  later: [] # empty\n"
    )

    result = add_sequence_item(result, FILE, ("config", "later"), "x")
    assert result.endswith("  later: # empty\n    - x\n")


def test_file_without_final_newline() -> None:
    result = add_sequence_item("items:\n  - a", FILE, ("items",), "b")

    assert result == "items:\n  - a\n  - b\n"


def test_existing_key_is_a_user_error_with_its_position() -> None:
    with pytest.raises(UserError) as caught:
        add_mapping_entry(STACK, FILE, ("config", "input:projects"), "b", {})

    assert str(caught.value).startswith("Pulumi.test.yaml:12:5: config.input:projects.b already")


def test_wrong_node_type_is_a_user_error_with_its_position() -> None:
    with pytest.raises(UserError) as caught:
        add_sequence_item(STACK, FILE, ("config", "input:projects"), "x")

    assert str(caught.value).startswith(
        "Pulumi.test.yaml:7:5: config.input:projects must be a list, found a mapping"
    )


def test_flow_style_with_entries_is_refused() -> None:
    text = "config:\n  input:projects: {a: {}}\n"

    with pytest.raises(UserError) as caught:
        add_mapping_entry(text, FILE, ("config", "input:projects"), "b", {})

    assert "Pulumi.test.yaml:2:19: config.input:projects is written in flow style" in str(
        caught.value
    )


def test_invalid_yaml_is_a_user_error_with_its_position() -> None:
    with pytest.raises(UserError) as caught:
        add_mapping_entry("config:\n  a: [1,\n", FILE, ("config",), "b", 1)

    assert str(caught.value).startswith("Pulumi.test.yaml:3:1: invalid YAML")


def test_line_breaks_of_the_file_are_kept() -> None:
    text = STACK.replace("\n", "\r\n")

    result = add_mapping_entry(text, FILE, ("config", "input:projects"), "c", {"x": [1]})

    assert result == text.replace(
        "      # trailing comment inside b\r\n",
        "      # trailing comment inside b\r\n\r\n    c:\r\n      x:\r\n        - 1\r\n",
    )


def test_an_alias_is_not_edited_through() -> None:
    text = "config:\n  base: &base\n    a: 1\n  input:projects: *base\n"

    with pytest.raises(UserError) as caught:
        add_mapping_entry(text, FILE, ("config", "input:projects"), "b", {})

    assert str(caught.value) == (
        "Pulumi.test.yaml:4:19: config.input:projects is an alias (*base) of a node written "
        "elsewhere; entries can only be added where a node is written\n"
        "  hint: write the node out here instead of *base, or add the entry under &base"
    )


def test_a_value_from_a_merge_key_is_not_edited_through() -> None:
    text = "base: &base\n  roles:\n    - a\nentry:\n  <<: *base\n  name: x\n"

    with pytest.raises(UserError) as caught:
        add_sequence_item(text, FILE, ("entry", "roles"), "b")

    assert str(caught.value).startswith(
        "Pulumi.test.yaml:3:5: entry.roles is not written at this path (it comes from an alias "
        "or a merge key)"
    )


def test_an_alias_to_an_anchor_further_down_is_written_out() -> None:
    text = "projects:\n  a: {}\npolicies: &policies\n  - keep: 10\n"

    result = add_mapping_entry(text, FILE, ("projects",), "b", {"p": Alias("policies")})

    assert result == (
        "projects:\n  a: {}\n  b:\n    p:\n      - keep: 10\npolicies: &policies\n  - keep: 10\n"
    )


def test_editor_chains_edits_and_finds_anchors() -> None:
    editor = Editor(STACK, FILE)
    assert editor.anchor(("config", "shared")) == "shared"
    assert editor.anchor(("config", "input:projects")) is None

    after = editor.add_sequence_item(("config", "input:projects", "a", "roles"), "three")
    after = after.add_sequence_item(("config", "input:projects", "a", "roles"), "four")

    assert after.document.get(("config", "input:projects", "a", "roles")) == [
        "one",
        "two",
        "three",
        "four",
    ]
    assert after.text == STACK.replace(
        "        - two\n", "        - two\n        - three\n        - four\n"
    )


@pytest.mark.parametrize(
    "path",
    [
        *sorted(
            p
            for p in (Path(__file__).resolve().parents[2] / "examples").rglob("*.yaml")
            if "<<" not in p.read_text() and "---" not in p.read_text()
        ),
        None,
    ],
    ids=lambda p: p.name if p else "STACK",
)
def test_outline_agrees_with_ruamel_round_trip_positions(path: Path | None) -> None:
    """The outline is read from parser events; ruamel.yaml's round-trip document is the oracle
    for each collection's flow style, anchor, size and where its last entry starts."""
    text = path.read_text() if path else STACK
    reference = YAML(typ="rt").load(text)
    collections = outline(text).collections
    assert collections

    for at, mine in collections.items():
        node = reference
        for part in at:
            node = node[part]
        if mine.kind == "alias":
            assert node.anchor.value == mine.anchor, at  # the node the alias names
            continue
        assert isinstance(node, CommentedMap if mine.kind == "mapping" else CommentedSeq), at
        anchor = node.anchor.value or None
        assert (mine.anchor, mine.size) == (anchor, len(node)), at
        if len(node):  # ruamel.yaml leaves the style of an empty collection unset
            assert mine.flow == node.fa.flow_style(), at
            if isinstance(node, CommentedMap):
                last = node.lc.key(list(node)[-1])
            else:
                last = node.lc.item(len(node) - 1)
            assert mine.last == tuple(last), at
