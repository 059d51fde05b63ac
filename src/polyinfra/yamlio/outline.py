"""Where each collection of a YAML document is written: what a round-trip edit needs to know to
splice new lines into the text.

The outline is read from the parser's event stream in one pass (libyaml when it is installed,
else ruamel.yaml's pure-Python parser), so its cost grows linearly with the text and stays a
small fraction of loading the document. It keeps, for every mapping, sequence and alias that a
path of string keys and list indexes reaches: its kind, position, flow style, anchor, number of
entries and where its last entry starts; and every anchor with the path of its node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from polyinfra.errors import PolyinfraError
from polyinfra.yamlio.document import KeyPath

T = TypeVar("T")

_STR_TAG = "tag:yaml.org,2002:str"

Kind = Literal["mapping", "sequence", "alias"]


@dataclass
class Collection:
    """A mapping, sequence or alias of the document. Lines and columns are 0-based.

    ``owner`` is where the key that holds it starts (or, for a sequence item, the item itself);
    ``last`` is where its last entry starts: the key of a mapping's last entry, a sequence's last
    item. ``anchor`` is the anchor it defines (``&name``) or, for an alias, the one it names.
    """

    kind: Kind
    line: int
    col: int
    owner: tuple[int, int]
    owner_is_item: bool
    flow: bool = False
    anchor: str | None = None
    size: int = 0
    last: tuple[int, int] | None = None


@dataclass(frozen=True)
class Anchor:
    """An anchor definition: its name, the 0-based line it is written on and its node's path."""

    name: str
    line: int
    path: KeyPath


@dataclass(frozen=True)
class Outline:
    collections: dict[KeyPath, Collection]
    anchors: tuple[Anchor, ...]

    def anchor_before(self, name: str, line: int) -> Anchor | None:
        """The definition of anchor ``name`` an alias written on ``line`` refers to."""
        found = None
        for anchor in self.anchors:
            if anchor.name == name and anchor.line < line:
                found = anchor
        return found


class _Frame:
    """An open collection while its events are read."""

    __slots__ = ("collection", "expect_key", "index", "is_mapping", "key", "key_at", "path")

    def __init__(self, path: KeyPath | None, collection: Collection | None, is_mapping: bool):
        self.path = path
        self.collection = collection
        self.is_mapping = is_mapping
        self.expect_key = True
        self.key: str | None = None
        self.key_at = (0, 0)
        self.index = 0


def outline(text: str) -> Outline:
    """The outline of the first document of ``text``, which must be valid YAML (load it first:
    the loaders report syntax errors with their position)."""
    return from_events(text, _build, "its outline")


def from_events(text: str, build: Callable[[Iterable[Any]], T], what: str) -> T:
    """``build`` over the parser events of ``text`` (valid YAML): libyaml's when it reads the
    text, else the reference parser's; ``what`` names the result in the error raised when
    neither can (``its outline``)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        yaml = None  # type: ignore[assignment]
    loader = getattr(yaml, "CSafeLoader", None) if yaml is not None else None
    if loader is not None:
        try:
            return build(yaml.parse(text, Loader=loader))
        except yaml.YAMLError:
            pass  # something libyaml does not read (a YAML 1.2 directive): the reference parser
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return build(YAML(typ="safe", pure=True).parse(text))
    except YAMLError as exc:
        raise PolyinfraError(f"the YAML loaded but {what} did not: {exc}") from exc


def _build(events: Iterable[Any]) -> Outline:
    collections: dict[KeyPath, Collection] = {}
    anchors: list[Anchor] = []
    stack: list[_Frame] = []
    started = False
    for event in events:
        name = type(event).__name__
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            stack.pop()
            continue
        if name not in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"):
            if name == "DocumentEndEvent" and started:
                break
            continue
        started = True
        mark = event.start_mark
        at = (mark.line, mark.column)
        parent = stack[-1] if stack else None
        path: KeyPath | None = ()
        owner, owner_is_item = at, False
        if parent is not None:
            if parent.is_mapping and parent.expect_key:
                # a key: remembered for the value that follows; a collection key is not a path
                parent.expect_key = False
                parent.key = _key_text(event) if name == "ScalarEvent" else None
                parent.key_at = at
                if parent.collection is not None:
                    parent.collection.size += 1
                    parent.collection.last = at
                path = None
            elif parent.is_mapping:
                parent.expect_key = True
                key = parent.key
                path = None if parent.path is None or key is None else (*parent.path, key)
                owner = parent.key_at
            else:
                path = None if parent.path is None else (*parent.path, parent.index)
                parent.index += 1
                owner_is_item = True
                if parent.collection is not None:
                    parent.collection.size += 1
                    parent.collection.last = at
        anchor = getattr(event, "anchor", None)
        if name == "AliasEvent":
            if path is not None:
                collections[path] = Collection("alias", *at, owner, owner_is_item, anchor=anchor)
            continue
        if anchor and path is not None:
            anchors.append(Anchor(anchor, mark.line, path))
        if name == "ScalarEvent":
            continue
        collection = None
        if path is not None:
            kind: Kind = "mapping" if name == "MappingStartEvent" else "sequence"
            flow = bool(getattr(event, "flow_style", False))
            collection = Collection(kind, *at, owner, owner_is_item, flow=flow, anchor=anchor)
            collections[path] = collection
        stack.append(_Frame(path, collection, name == "MappingStartEvent"))
    return Outline(collections, tuple(anchors))


def _key_text(event: Any) -> str | None:
    """The key as the loaders read it when that is a string; None for other keys (numbers,
    booleans, merge keys, explicitly tagged ones)."""
    from polyinfra.yamlio.scalars import plain_scalar_tag

    value: str = event.value
    tag = event.tag
    if tag not in (None, "!", _STR_TAG):
        return None
    if tag is None and not event.style:  # plain and untagged: resolved as YAML 1.2
        return value if plain_scalar_tag(value) is None else None
    return value
