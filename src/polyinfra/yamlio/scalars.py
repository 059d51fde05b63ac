"""Scalars as the loaders read them: libyaml's scalar events resolved and built by ruamel.yaml's
own YAML 1.2 rules (``on``/``yes`` stay strings), mapping keys for the position index, and the
tag a plain scalar resolves to."""

from __future__ import annotations

from typing import Any

import yaml
from yaml import ScalarEvent

from polyinfra.yamlio.index import MERGE

_STR_TAG = "tag:yaml.org,2002:str"
_YAML_TAGS = "tag:yaml.org,2002:"
_TEXT_TAGS = frozenset(_YAML_TAGS + name for name in ("merge", "value", "yaml"))
_CACHE_SIZE = 65_536
_MISSING: Any = object()


class Fallback(Exception):
    """Leave the text to the ruamel.yaml loader."""


class Scalars:
    """Scalars resolved and built by ruamel.yaml's own rules (YAML 1.2), so values match."""

    def __init__(self) -> None:
        from ruamel.yaml import YAML

        self.reference = YAML(typ="rt")
        # ruamel.yaml's own YAML 1.2 implicit resolvers: first character -> (tag, regexp)
        self.table: dict[Any, list[tuple[Any, Any]]] = dict(
            self.reference.resolver.versioned_resolver
        )
        self.resolver_11 = yaml.resolver.Resolver()
        self.scalar_node_11 = yaml.ScalarNode
        self.cache: dict[str, Any] = {}

    def value(self, event: Any) -> Any:
        value: str = event.value
        tag = event.tag
        if event.style:  # quoted, literal or folded: a string unless tagged otherwise
            if tag is None or tag == "!" or tag == _STR_TAG or not tag.startswith(_YAML_TAGS):
                return value
            raise Fallback
        if tag is None or tag == "!":
            return self.plain(value)
        if tag == _STR_TAG or not tag.startswith(_YAML_TAGS):
            return value  # a local tag: ruamel.yaml keeps the text
        implicit = self.resolver_11.resolve(self.scalar_node_11, value, (True, False))  # type: ignore[no-untyped-call]
        if tag == implicit:  # the tag the value has anyway
            return self.plain(value)
        raise Fallback

    def plain(self, value: str) -> Any:
        """An untagged plain scalar: a string unless YAML 1.2 resolves it to something else."""
        candidates = self.table.get(value[:1])
        if candidates is None:
            return value
        # A plain scalar's value depends only on its text; a file repeats many of them.
        cached = self.cache.get(value, _MISSING)
        if cached is not _MISSING:
            return cached
        result = self.resolved(value, candidates)
        if len(self.cache) >= _CACHE_SIZE:
            self.cache.clear()
        self.cache[value] = result
        return result

    def resolved(self, value: str, candidates: list[tuple[Any, Any]]) -> Any:
        from ruamel.yaml.nodes import ScalarNode

        from polyinfra.yamlio.loader import _scalar as plain

        tag = None
        for candidate, regexp in candidates:
            if regexp.match(value):
                tag = str(candidate)
                break
        if tag is None:
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag in _TEXT_TAGS:  # ruamel.yaml keeps ``<<`` and ``=`` as written
            return value
        full_tag = self.reference.resolver.resolve(ScalarNode, value, (True, False))
        try:
            built = self.reference.constructor.construct_object(ScalarNode(full_tag, value))
        except Exception as exc:  # a value ruamel.yaml cannot build (``<<`` as a value)
            raise Fallback from exc
        return plain(built)

    def resolve(self, value: str) -> str | None:
        """The implicit YAML 1.2 tag of a plain scalar; None for a string."""
        for tag, regexp in self.table.get(value[:1], []):
            if regexp.match(value):
                return str(tag)
        return None


_SCALARS: list[Scalars] = []


def scalars() -> Scalars:
    if not _SCALARS:
        _SCALARS.append(Scalars())
    return _SCALARS[0]


def index_key(event: Any) -> Any:
    """A mapping key as the loaders read it, for :class:`StreamIndex`: :data:`MERGE` for a
    merge key; a key no loader reads (not a scalar) is None."""
    if type(event) is not ScalarEvent:
        return None
    if event.value == "<<" and not event.style and event.tag is None:
        return MERGE
    try:
        return scalars().value(event)
    except Fallback:
        return event.value


def plain_scalar_tag(value: str) -> str | None:
    """The YAML 1.2 tag an untagged plain scalar resolves to, as the loaders read it; None for a
    string."""
    return scalars().resolve(value)
