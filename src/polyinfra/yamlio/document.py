"""A loaded YAML document and the limits every loader keeps: plain data, where each key and
value stands in the file, how deep values may nest and how far aliases may expand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.positions import Position

KeyPath = tuple[str | int, ...]

#: How many values one document may expand to once aliases are resolved. A legitimate stack
#: file or manifest has a few thousand; an alias bomb has billions.
MAX_NODES = 200_000
#: How deeply values may nest (a legitimate file nests a dozen levels at most).
MAX_DEPTH = 200


def value_limit(text: str) -> int:
    """How many values a document of ``text`` may expand to: :data:`MAX_NODES`, or one per
    character of a larger text. Without aliases a text holds at most one value per two
    characters (a legitimate file about one per 20), so a large file is never taken for an
    alias bomb, and the work stays linear in the input."""
    return max(MAX_NODES, len(text))


@dataclass(frozen=True)
class YamlDocument:
    """One YAML document: plain data plus where each key and value stands in the file.

    ``key_positions`` maps the path of a mapping entry to the position of its key;
    ``value_positions`` maps every path (mapping values and sequence items) to the position of
    the value. Values reached through an alias point at the anchored text, which is what the
    user edits. The libyaml loader finds positions on demand (see
    :mod:`polyinfra.yamlio.index`): a document costs nothing for positions nobody asks for.
    """

    path: Path
    data: Any
    index: int = 0
    key_positions: Mapping[KeyPath, Position] = field(default_factory=dict, repr=False)
    value_positions: Mapping[KeyPath, Position] = field(default_factory=dict, repr=False)
    start: Position | None = None

    def position(self, path: KeyPath = (), *, value: bool = False) -> Position:
        """Position of ``path`` (its key, or its value with ``value=True``).

        Falls back to the nearest ancestor that has one, then to the document start.
        """
        probe = tuple(path)
        while probe:
            table = self.value_positions if value else self.key_positions
            found = table.get(probe) or self.value_positions.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.start or Position(self.path, 1, 1)

    def get(self, path: KeyPath, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when any step is missing."""
        node = self.data
        for step in path:
            in_dict = isinstance(node, dict) and step in node
            in_list = (
                isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node)
            )
            if in_dict or in_list:
                node = node[step]
            else:
                return default
        return node


def format_path(path: KeyPath) -> str:
    """``("a", 0, "b")`` -> ``a[0].b``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += ("." if text else "") + str(step)
    return text


def recursive_alias(anchor: str, position: Position) -> UserError:
    """The error for an alias inside the very value its anchor names (``a: &x {b: *x}``), at
    the alias: a value that contains itself has no plain-data form (ruamel.yaml would read the
    alias as null, which passes for a value the user left empty)."""
    return UserError(
        f"invalid YAML: recursive alias *{anchor}: it is inside the value its anchor &{anchor} "
        "names",
        position=position,
        hint="an alias may not refer to a value that contains it: repeat the values instead, "
        "or anchor a part that does not contain the alias",
    )


def too_deep(position: Position) -> UserError:
    """The error for a value nested more than :data:`MAX_DEPTH` levels deep, at ``position``."""
    return UserError(
        f"YAML nests more than {MAX_DEPTH} levels deep",
        position=position,
        hint="flatten the structure; an alias may not refer to a node that contains it",
    )
