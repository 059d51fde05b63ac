"""Where each key and value of a YAML stream stands, found on demand.

The libyaml loader (:mod:`polyinfra.yamlio.fast`) builds plain data only. The first time a
position is asked for, :class:`StreamIndex` reads the stream's events once more (libyaml, in C)
into a few flat arrays: one entry per node (kind, line, column, where its subtree ends) and the
value of each mapping key. A key path is then found by walking those arrays from the document
root, through aliases and merge keys, in time proportional to the path, not to the file; the
arrays take a few bytes per node, and none at all for a document nobody asks a position of.

Positions follow the ruamel.yaml loader, the reference: a node stands where its first token
(anchor, tag or content) starts, a value reached through an alias where the anchored node
stands, a merged key where the mapping that holds it writes it, and an empty value where
ruamel.yaml places it (the next token in a block mapping, just after the ``:`` in a flow
mapping).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from polyinfra.positions import Position

KeyPath = tuple[str | int, ...]

SCALAR, SEQUENCE, MAPPING, ALIAS = 0, 1, 2, 3

#: The value stored for a ``<<`` merge key.
MERGE = object()

_BREAKS = "\n\r\x85\u2028\u2029"


class StreamIndex:
    """The nodes of every document of one YAML stream, for position look-ups (built lazily)."""

    def __init__(self, text: str, path: Path, key_of: Callable[[Any], Any]) -> None:
        """``key_of`` reads a mapping key's event as the loader does (:data:`MERGE` for a merge
        key, None for a key no loader reads)."""
        self.text = text
        self.path = path
        self.key_of = key_of
        self._built = False
        self.kinds = bytearray()
        self.lines = array("I")
        self.cols = array("I")
        self.ends = array("I")
        self.keys: list[Any] = []
        self.targets: dict[int, int] = {}
        self.roots: dict[int, int] = {}
        self._entries: dict[int, tuple[dict[Any, tuple[int, int]], list[int]]] = {}
        self._items: dict[int, array[int]] = {}

    # -- building -------------------------------------------------------------------------

    def build(self) -> None:
        """One pass over the stream's events. A syntax error ends the pass: what came before
        it is indexed (an error found while loading is placed this way)."""
        if self._built:
            return
        self._built = True
        import yaml
        from yaml import (
            AliasEvent,
            DocumentStartEvent,
            MappingEndEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceEndEvent,
            SequenceStartEvent,
            StreamEndEvent,
        )

        index_key = self.key_of

        kinds, lines, cols, ends, keys = self.kinds, self.lines, self.cols, self.ends, self.keys
        targets, roots = self.targets, self.roots
        anchors: dict[str, int] = {}
        interned: dict[Any, Any] = {}
        # per open collection: [node, is a mapping, flow style, next is a key, end of last key]
        stack: list[list[Any]] = []
        pending = -1  # an empty block-mapping value, placed at the next event
        after_colon = False  # ... written with its ``:``
        document = -1
        start_events = (MappingStartEvent, SequenceStartEvent)
        parser = yaml.CSafeLoader(self.text)
        next_event: Callable[[], Any] = parser.get_event
        try:
            while True:
                event = next_event()
                cls = type(event)
                mark = event.start_mark
                if pending >= 0:
                    lines[pending], cols[pending] = self._next_token(mark, after_colon)
                    pending = -1
                if cls is ScalarEvent or cls is AliasEvent or cls in start_events:
                    node = len(kinds)
                    kinds.append(
                        SCALAR
                        if cls is ScalarEvent
                        else ALIAS
                        if cls is AliasEvent
                        else MAPPING
                        if cls is MappingStartEvent
                        else SEQUENCE
                    )
                    lines.append(mark.line)
                    cols.append(mark.column)
                    ends.append(node + 1)
                    keys.append(None)
                    if not stack:
                        roots[document] = node
                    else:
                        frame = stack[-1]
                        if frame[1]:
                            if frame[3]:
                                key = index_key(event)
                                keys[node] = interned.setdefault(key, key)
                                frame[4] = event.end_mark
                            elif cls is ScalarEvent and generated_empty(event):
                                if frame[2]:
                                    self._after_colon(node, frame[4])
                                else:
                                    pending = node
                                    after_colon = self._follows_colon(mark)
                            frame[3] = not frame[3]
                    if cls is AliasEvent:
                        targets[node] = anchors.get(event.anchor, -1)
                    else:
                        if event.anchor is not None:
                            anchors[event.anchor] = node
                        if cls is not ScalarEvent:
                            stack.append(
                                [node, cls is MappingStartEvent, event.flow_style, True, 0]
                            )
                elif cls is MappingEndEvent or cls is SequenceEndEvent:
                    ends[stack.pop()[0]] = len(kinds)
                elif cls is DocumentStartEvent:
                    document += 1
                    anchors = {}
                elif cls is StreamEndEvent:
                    break
        except yaml.YAMLError:
            for frame in stack:
                ends[frame[0]] = len(kinds)
        finally:
            parser.dispose()

    def _follows_colon(self, mark: Any) -> bool:
        """Whether an empty value libyaml placed at ``mark`` has a ``:`` (libyaml places it
        just after the ``:``, else at the next token)."""
        at = mark.index + (1 if self.text.startswith("\ufeff") else 0) - 1
        return at >= 0 and self.text[at] == ":"

    def _next_token(self, mark: Any, after_colon: bool) -> tuple[int, int]:
        """Where ruamel.yaml places an empty block-mapping value: at the next token, the next
        event (``mark``) or the ``?`` before it; past a ``?`` when the value has its ``:``."""
        text = self.text
        at = mark.index + (1 if text.startswith("\ufeff") else 0) - 1
        col = mark.column - 1
        while col >= 0 and text[at] in " \t":
            at -= 1
            col -= 1
        if col >= 0 and text[at] == "?":
            return mark.line, col + 1 if after_colon else col
        return mark.line, mark.column

    def _after_colon(self, node: int, key_end: Any) -> None:
        """An empty flow-mapping value stands just after its ``:`` (ruamel.yaml), where libyaml
        places it at the next token; comments and line breaks may come between key and ``:``."""
        text = self.text
        offset = 1 if text.startswith("\ufeff") else 0
        at = key_end.index + offset
        line, col = key_end.line, key_end.column
        while at < len(text):
            char = text[at]
            if char == ":":
                self.lines[node], self.cols[node] = line, col + 1
                return
            if char == "#":
                while at < len(text) and text[at] not in _BREAKS:
                    at += 1
                continue
            if char in _BREAKS:
                if char == "\r" and text[at + 1 : at + 2] == "\n":
                    at += 1
                line, col = line + 1, 0
            elif char in " \t":
                col += 1
            else:
                return
            at += 1

    # -- look-ups ---------------------------------------------------------------------------

    def position(self, node: int) -> Position:
        return Position(self.path, self.lines[node] + 1, self.cols[node] + 1)

    def root(self, document: int) -> int | None:
        self.build()
        return self.roots.get(document)

    def deref(self, node: int) -> tuple[int, bool]:
        """The node ``node`` stands for (an alias: its anchored node), and whether its content
        is out of reach: an alias inside the node it refers to reads as null."""
        if self.kinds[node] != ALIAS:
            return node, False
        target = self.targets.get(node, -1)
        if target < 0:
            return node, True
        return target, target <= node < self.ends[target]

    def items(self, node: int) -> array[int]:
        """The item nodes of the sequence ``node``."""
        found = self._items.get(node)
        if found is None:
            found = array("I")
            ends, at, end = self.ends, node + 1, self.ends[node]
            while at < end:
                found.append(at)
                at = ends[at]
            self._items[node] = found
        return found

    def entries(self, node: int) -> tuple[dict[Any, tuple[int, int]], list[int]]:
        """The mapping ``node``'s own entries (key -> (key node, value node)) and the value
        nodes of its merge keys."""
        found = self._entries.get(node)
        if found is None:
            own: dict[Any, tuple[int, int]] = {}
            merges: list[int] = []
            ends, keys, at, end = self.ends, self.keys, node + 1, self.ends[node]
            while at < end:
                value = ends[at]
                if value >= end:
                    break
                key = keys[at]
                if key is MERGE:
                    merges.append(value)
                else:
                    own.setdefault(key, (at, value))
                at = ends[value]
            found = (own, merges)
            self._entries[node] = found
        return found

    def merge_sources(self, value: int) -> list[int]:
        """The mappings a merge key's value ``value`` names, in order."""
        target, cut = self.deref(value)
        if cut:
            return []
        if self.kinds[target] == MAPPING:
            return [target]
        if self.kinds[target] == SEQUENCE:
            sources = []
            for item in self.items(target):
                source, cut = self.deref(item)
                if not cut and self.kinds[source] == MAPPING:
                    sources.append(source)
            return sources
        return []

    def _layers(self, node: int) -> Iterator[dict[Any, tuple[int, int]]]:
        """The own entries of the mapping ``node``, then of each merge source (depth first,
        in order), each mapping once."""
        pending = [node]
        seen: set[int] = set()
        while pending:
            here = pending.pop()
            if here in seen:
                continue
            seen.add(here)
            own, merges = self.entries(here)
            yield own
            for value in reversed(merges):
                pending.extend(reversed(self.merge_sources(value)))

    def entry(self, node: int, key: Any) -> tuple[int, int] | None:
        """(key node, value node) of ``key`` in the mapping ``node``: its own entry, else the
        first merge source (depth first, in order) that has one."""
        return next((own[key] for own in self._layers(node) if key in own), None)

    def visible(self, node: int) -> dict[Any, tuple[int, int]]:
        """Every entry of the mapping ``node`` once merge keys are applied."""
        result: dict[Any, tuple[int, int]] = {}
        for own in self._layers(node):
            for key, found in own.items():
                result.setdefault(key, found)
        return result

    def locate(self, document: int, path: KeyPath) -> tuple[int, int] | None:
        """(key node or -1, value node) of ``path`` in ``document``; None when not there."""
        node = self.root(document)
        if node is None:
            return None
        key = -1
        for step in path:
            node, cut = self.deref(node)
            if cut:
                return None
            kind = self.kinds[node]
            if kind == MAPPING:
                found = self.entry(node, step)
                if found is None:
                    return None
                key, node = found
            elif kind == SEQUENCE and type(step) is int:
                items = self.items(node)
                if not 0 <= step < len(items):
                    return None
                key, node = -1, items[step]
            else:
                return None
        return key, node

    def walk(self, document: int) -> Iterator[tuple[KeyPath, int, int]]:
        """Every (path, key node or -1, value node) of ``document``, aliases expanded."""
        root = self.root(document)
        if root is None:
            return
        pending: list[tuple[KeyPath, int]] = [((), root)]
        while pending:
            path, node = pending.pop()
            node, cut = self.deref(node)
            if cut:
                continue
            kind = self.kinds[node]
            if kind == MAPPING:
                for key, (key_node, value) in self.visible(node).items():
                    here = (*path, key)
                    yield here, key_node, value
                    pending.append((here, value))
            elif kind == SEQUENCE:
                for index, item in enumerate(self.items(node)):
                    here = (*path, index)
                    yield here, -1, item
                    pending.append((here, item))


class PositionTable(Mapping[KeyPath, Position]):
    """Key path -> position of its key (``keys``) or of its value, for one document of a
    :class:`StreamIndex`; found on demand (see the module)."""

    def __init__(self, index: StreamIndex, document: int, *, keys: bool) -> None:
        self._index = index
        self._document = document
        self._keys = keys

    def get(self, path: KeyPath, default: Any = None) -> Any:
        if not path:  # the document itself: its start, not an entry
            return default
        found = self._index.locate(self._document, tuple(path))
        if found is None:
            return default
        key, value = found
        if self._keys:
            return default if key < 0 else self._index.position(key)
        return self._index.position(self._index.deref(value)[0])

    def __getitem__(self, path: KeyPath) -> Position:
        found = self.get(path)
        if found is None:
            raise KeyError(path)
        return found  # type: ignore[no-any-return]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.get(path) is not None

    def __iter__(self) -> Iterator[KeyPath]:
        for path, key, _value in self._index.walk(self._document):
            if key >= 0 or not self._keys:
                yield path

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"<positions of {self._index.path} document {self._document}>"


def generated_empty(event: Any) -> bool:
    """An empty value the parser made up (``a:`` with nothing after it): plain, untagged,
    without anchor."""
    return not event.value and not event.style and event.tag is None and event.anchor is None
