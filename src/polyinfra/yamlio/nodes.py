"""The node tree of a YAML document as it is written: every node's kind, the span of text it
occupies, its anchor, and, for a mapping, each key with where it is written; plus every alias
with where it stands. What a line-based edit that moves whole entries between files needs.

Read from the parser's event stream in one pass (libyaml when it is installed, else
ruamel.yaml's pure-Python parser). Lines and columns are 0-based.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

NodeKind = Literal["scalar", "mapping", "sequence", "alias"]
Mark = tuple[int, int]


@dataclass
class Node:
    """One node. ``start`` is where it begins (its anchor or tag included), ``end`` where its
    text ends (for a block collection: where the next token starts)."""

    kind: NodeKind
    start: Mark
    end: Mark
    anchor: str | None = None  # defined here (&name) or, for an alias, named (*name)
    flow: bool = False
    value: str | None = None  # a scalar's text
    entries: list[Entry] = field(default_factory=list)  # a mapping's
    items: list[Node] = field(default_factory=list)  # a sequence's

    def get(self, key: str) -> Node | None:
        """The value of this mapping's entry ``key`` (None when absent or not a mapping)."""
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None


@dataclass
class Entry:
    """A mapping entry: its key as text (None for a key that is not a plain string: a merge
    key ``<<``, a collection), where the key is written, and its value."""

    key: str | None
    key_node: Node
    value: Node


@dataclass(frozen=True)
class Tree:
    """The first document's root node, every anchor definition and every alias (each in the
    order they are written)."""

    root: Node | None
    anchors: tuple[Node, ...]
    aliases: tuple[Node, ...]
    _by_name: dict[str, list[Node]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for node in self.anchors:
            self._by_name.setdefault(node.anchor or "", []).append(node)

    def defined(self, alias: Node) -> Node | None:
        """The anchored node ``alias`` refers to: the last one of its name written before it."""
        candidates = self._by_name.get(alias.anchor or "", [])
        index = bisect.bisect_left([node.start for node in candidates], alias.start)
        return candidates[index - 1] if index else None

    def aliased(self, anchor: str) -> bool:
        """Whether some alias names ``anchor``."""
        return any(alias.anchor == anchor for alias in self.aliases)


def node_tree(text: str) -> Tree:
    """The node tree of the first document of ``text``, which must be valid YAML (load it
    first: the loaders report syntax errors with their position)."""
    from polyinfra.yamlio.outline import from_events

    return from_events(text, _build, "its node tree")


def _build(events: Iterable[Any]) -> Tree:
    anchors: list[Node] = []
    aliases: list[Node] = []
    stack: list[tuple[Node, list[Node]]] = []  # open collection, its pending key (mappings)
    root: Node | None = None
    for event in events:
        name = type(event).__name__
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            closed, _ = stack.pop()
            closed.end = (event.end_mark.line, event.end_mark.column)
            continue
        if name not in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"):
            if name == "DocumentEndEvent" and root is not None:
                break
            continue
        start = (event.start_mark.line, event.start_mark.column)
        end = (event.end_mark.line, event.end_mark.column)
        anchor = getattr(event, "anchor", None)
        node: Node
        if name == "ScalarEvent":
            node = Node("scalar", start, end, anchor, value=_key_text(event))
        elif name == "AliasEvent":
            node = Node("alias", start, end, anchor)
            aliases.append(node)
        else:
            kind: NodeKind = "mapping" if name == "MappingStartEvent" else "sequence"
            node = Node(kind, start, end, anchor, flow=bool(getattr(event, "flow_style", False)))
        if anchor and node.kind != "alias":
            anchors.append(node)
        if stack:
            parent, pending = stack[-1]
            if parent.kind == "sequence":
                parent.items.append(node)
            elif not pending:
                pending.append(node)
            else:
                key = pending.pop()
                text = key.value if key.kind == "scalar" else None
                parent.entries.append(Entry(text, key, node))
        elif root is None:
            root = node
        if node.kind in ("mapping", "sequence"):
            stack.append((node, []))
    return Tree(root, tuple(anchors), tuple(aliases))


def _key_text(event: Any) -> str | None:
    """A scalar's text as the loaders read it when that is a string; None for other scalars
    (numbers, booleans, null, merge keys, explicitly tagged ones)."""
    from polyinfra.yamlio.scalars import plain_scalar_tag

    value: str = event.value
    tag = event.tag
    if tag not in (None, "!", "tag:yaml.org,2002:str"):
        return None
    if tag is None and not event.style:  # plain and untagged: resolved as YAML 1.2
        return value if plain_scalar_tag(value) is None else None
    return value
