"""Round-trip edits: only lines are inserted; comments, anchors and layout survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import load_text
from polyinfra.yamlio.roundtrip import Alias, add_mapping_entry, add_sequence_item

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
