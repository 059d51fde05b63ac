"""The libyaml (C) path of :func:`polyinfra.yamlio.load_all_text`: the same
:class:`YamlDocument` as the ruamel.yaml path, about 20 times faster.

Scalars resolve as YAML 1.2 (like ruamel.yaml: ``on``/``yes`` stay strings), anchors, aliases
and merge keys resolve the same way and the alias bound is the same. Anything unusual (a syntax
error, a duplicate key, no libyaml, a tag it cannot construct) falls back to the ruamel.yaml
loader, so errors and edge cases read exactly as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio.loader import MAX_DEPTH, KeyPath, YamlDocument, value_limit

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Fallback(Exception):
    """Leave this document to the ruamel.yaml loader."""


def fast_documents(text: str, path: Path) -> list[YamlDocument] | None:
    """The documents of ``text`` parsed by libyaml, or None to leave them to ruamel.yaml."""
    try:
        import yaml
    except ImportError:
        return None
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        return None
    documents: list[YamlDocument] = []
    limit = value_limit(text)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=loader_class)):
            if node is None or _is_empty(node):
                continue
            documents.append(_Converter(path, limit).document(node, index))
    except (_Fallback, yaml.YAMLError, RecursionError):
        return None
    return documents


def _is_empty(node: Any) -> bool:
    return bool(
        node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null") and not node.style
    )


class _Converter:
    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.count = 0
        self.key_positions: dict[KeyPath, Position] = {}
        self.value_positions: dict[KeyPath, Position] = {}

    def document(self, node: Any, index: int) -> YamlDocument:
        start = self.pos(node)
        data = self.convert(node, (), 0)
        return YamlDocument(
            path=self.path,
            data=data,
            index=index,
            key_positions=self.key_positions,
            value_positions=self.value_positions,
            start=start,
        )

    def pos(self, node: Any) -> Position:
        mark = node.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def convert(self, node: Any, where: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > self.limit:
            # the reference loader's message, at the same place, without its minutes of work
            raise UserError(
                f"YAML expands to more than {self.limit:,} values once aliases are resolved "
                "(an alias bomb?)",
                position=self.value_positions.get(where) or Position(self.path),
                hint="reduce how many times anchors are repeated through aliases",
            )
        if depth > MAX_DEPTH:
            raise _Fallback  # the reference loader decides (a recursive alias reads as null)
        kind = node.id
        if kind == "mapping":
            return self.mapping(node, where, depth)
        if kind == "sequence":
            items = []
            for index, item in enumerate(node.value):
                self.value_positions[(*where, index)] = self.pos(item)
                items.append(self.convert(item, (*where, index), depth + 1))
            return items
        return _scalar(node)

    def mapping(self, node: Any, where: KeyPath, depth: int) -> dict[Any, Any]:
        pairs: list[tuple[Any, Any]] = []
        merged: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(_merge_pairs(value_node))
            else:
                pairs.append((key_node, value_node))
        result: dict[Any, Any] = {}
        explicit: set[Any] = set()
        for key_node, _value_node in pairs:
            if key_node.id != "scalar":
                raise _Fallback
            key = _scalar(key_node)
            if key in explicit:
                raise _Fallback  # a duplicate key: the reference loader reports it
            explicit.add(key)
        # Merged keys come first and explicit keys override them, as in ruamel.yaml.
        for key_node, value_node in [*merged, *pairs]:
            if key_node.id != "scalar":
                raise _Fallback
            key = _scalar(key_node)
            if key in result and (key_node, value_node) in merged:
                continue  # the first merge source wins among merges
            if value_node.id == "scalar" and not value_node.value and not value_node.style:
                raise _Fallback  # ruamel.yaml places an empty value at the next token
            here = (*where, key)
            self.key_positions[here] = self.pos(key_node)
            self.value_positions[here] = self.pos(value_node)
            result.pop(key, None)
            result[key] = self.convert(value_node, here, depth + 1)
        return result


def _merge_pairs(node: Any) -> list[tuple[Any, Any]]:
    if node.id == "mapping":
        pairs: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                pairs.extend(_merge_pairs(value_node))
            else:
                pairs.append((key_node, value_node))
        return pairs
    if node.id == "sequence":
        combined: list[tuple[Any, Any]] = []
        for source in node.value:
            if source.id != "mapping":
                raise _Fallback
            combined.extend(_merge_pairs(source))
        return combined
    raise _Fallback


_UNCACHED: Any = object()
_CACHE_SIZE = 65_536


class _Scalars:
    """Plain scalars resolved and built by ruamel.yaml itself (YAML 1.2), so values match."""

    def __init__(self) -> None:
        import yaml
        from ruamel.yaml import YAML

        self.reference = YAML(typ="rt")
        # ruamel.yaml's own YAML 1.2 implicit resolvers: first character -> (tag, regexp)
        self.table: dict[Any, list[tuple[Any, Any]]] = dict(
            self.reference.resolver.versioned_resolver
        )
        self.resolver_11 = yaml.resolver.Resolver()
        self.scalar_node_11 = yaml.ScalarNode
        self.cache: dict[tuple[str, str], Any] = {}

    def value(self, node: Any) -> Any:
        value: str = node.value
        if node.style:  # quoted, literal or folded: a string unless tagged otherwise
            if node.tag not in (_STR_TAG, "!"):
                raise _Fallback
            return value
        # A plain scalar's value depends only on its text and tag; a file repeats many of them.
        cache_key = (value, node.tag)
        cached = self.cache.get(cache_key, _UNCACHED)
        if cached is not _UNCACHED:
            return cached
        result = self.plain_value(node, value)
        if len(self.cache) >= _CACHE_SIZE:
            self.cache.clear()
        self.cache[cache_key] = result
        return result

    def plain_value(self, node: Any, value: str) -> Any:
        from ruamel.yaml.nodes import ScalarNode

        from polyinfra.yamlio.loader import _scalar as plain

        tag = self.resolve(value)
        if tag is None and node.tag == _STR_TAG:
            return value  # a string, tagged or not
        resolve_11 = self.resolver_11.resolve
        implicit = resolve_11(self.scalar_node_11, value, (True, False))  # type: ignore[no-untyped-call]
        if node.tag != implicit:  # an explicit tag
            if node.tag == _STR_TAG:
                return value
            raise _Fallback
        if tag is None:
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        full_tag = self.reference.resolver.resolve(ScalarNode, value, (True, False))
        return plain(self.reference.constructor.construct_object(ScalarNode(full_tag, value)))

    def resolve(self, value: str) -> str | None:
        """The implicit YAML 1.2 tag of a plain scalar; None for a string."""
        candidates = self.table.get(value[0] if value else "", []) + self.table.get(None, [])
        for tag, regexp in candidates:
            if regexp.match(value):
                return str(tag)
        return None


_SCALARS: list[_Scalars] = []


def _scalar(node: Any) -> Any:
    if not _SCALARS:
        _SCALARS.append(_Scalars())
    return _SCALARS[0].value(node)


def plain_scalar_tag(value: str) -> str | None:
    """The YAML 1.2 tag an untagged plain scalar resolves to, as the loaders read it; None for a
    string."""
    if not _SCALARS:
        _SCALARS.append(_Scalars())
    return _SCALARS[0].resolve(value)
