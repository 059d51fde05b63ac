"""The libyaml (C) path of :func:`polyinfra.yamlio.load_all_text`: the documents the
ruamel.yaml path gives, built straight from libyaml's events, in time and memory linear in the
text.

No node tree is built: each event becomes plain data as it arrives, and positions are left to a
:class:`~polyinfra.yamlio.index.StreamIndex`, which reads the events again only when a position
is asked for. Scalars resolve as YAML 1.2 (:mod:`~polyinfra.yamlio.scalars`, like ruamel.yaml:
``on``/``yes`` stay strings), anchors, aliases and merge keys resolve the same way, and the same
bounds hold: nesting deeper than :data:`~polyinfra.yamlio.document.MAX_DEPTH` and aliases
expanding past :func:`~polyinfra.yamlio.document.value_limit` are errors at the line and column
of the value that crosses the bound, found as soon as it is read.

What libyaml does not read the way ruamel.yaml does (a syntax error, a duplicate key, a tag it
cannot construct, a complex key) goes to the ruamel.yaml loader, so errors and edge cases read
exactly as before; except in a text larger than :data:`REFERENCE_TEXT_SIZE`, where ruamel.yaml
(pure Python) would take minutes: its errors are then worded from libyaml's own message.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio.document import (
    MAX_DEPTH,
    KeyPath,
    YamlDocument,
    recursive_alias,
    too_deep,
    value_limit,
)
from polyinfra.yamlio.index import PositionTable, StreamIndex, generated_empty
from polyinfra.yamlio.scalars import Fallback, index_key, scalars

#: The largest text whose errors the ruamel.yaml loader words (it reads about 200 KB a second).
REFERENCE_TEXT_SIZE = 256 * 1024


class _Reference(Exception):
    """An error the ruamel.yaml loader words in a small text; in a large one, this one."""

    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error


class _Past(Exception):
    """A copied alias crosses a bound; ``steps`` (innermost first) say where inside it."""

    def __init__(self, too_deep: bool) -> None:
        super().__init__()
        self.too_deep = too_deep
        self.steps: list[str | int] = []


_RECURSIVE: Any = object()  # an anchor whose node is still being read
_MISSING: Any = object()


def fast_documents(text: str, path: Path) -> list[YamlDocument] | None:
    """The documents of ``text`` built from libyaml's events, or None to leave them to
    ruamel.yaml. :class:`UserError` for input that is wrong either way."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    index = StreamIndex(text, path, index_key)
    builder = _Builder(text, path, index)
    try:
        with _collector_paused():
            return builder.documents()
    except Fallback:
        return None
    except _Reference as exc:
        if len(text) <= REFERENCE_TEXT_SIZE:
            return None
        raise exc.error from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):
            raise too_deep(_deep_position(text, path, exc)) from None
        if len(text) <= REFERENCE_TEXT_SIZE:
            return None
        raise _syntax_error(exc, text, path) from None
    finally:
        builder.dispose()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building data makes millions of containers, each of which can trigger a pass of the
    cyclic garbage collector over every container alive: ten times the time of the build, for
    no garbage (loaded data has no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Builder:
    def __init__(self, text: str, path: Path, index: StreamIndex) -> None:
        self.path = path
        self.index = index
        self.limit = value_limit(text)
        self.count = 0
        self.document = 0
        self.anchors: dict[str, Any] = {}
        #: the key or index that leads to the node being read at each depth
        self.steps: list[Any] = [None] * (MAX_DEPTH + 2)
        self.parser = yaml.CSafeLoader(text)
        self.get: Callable[[], Any] = self.parser.get_event
        self.scalars = scalars()

    def dispose(self) -> None:
        self.parser.dispose()

    def documents(self) -> list[YamlDocument]:
        get = self.get
        get()  # stream start
        documents: list[YamlDocument] = []
        number = 0
        while type(get()) is not StreamEndEvent:  # a document start
            self.document = number
            self.anchors = {}
            self.count = 0
            root = get()
            data = self.node(root, 0)
            get()  # document end
            if data is not None:
                mark = root.start_mark
                documents.append(
                    YamlDocument(
                        path=self.path,
                        data=data,
                        index=number,
                        key_positions=PositionTable(self.index, number, keys=True),
                        value_positions=PositionTable(self.index, number, keys=False),
                        start=Position(self.path, mark.line + 1, mark.column + 1),
                    )
                )
            number += 1
        return documents

    def node(self, event: Any, depth: int) -> Any:
        cls = type(event)
        if cls is AliasEvent:
            return self.alias(event, depth)
        self.count += 1  # no more values than characters without an alias: never past the limit
        if depth > MAX_DEPTH:
            raise too_deep(self.place(event, depth))
        if cls is ScalarEvent:
            value = self.scalars.value(event)
        else:
            anchor = event.anchor
            if anchor is not None:
                self.anchors[anchor] = _RECURSIVE
            value = self.mapping(depth) if cls is MappingStartEvent else self.sequence(depth)
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def sequence(self, depth: int) -> list[Any]:
        end = SequenceEndEvent
        get, steps, node = self.get, self.steps, self.node
        items: list[Any] = []
        index = 0
        inner = depth + 1
        while True:
            event = get()
            if type(event) is end:
                return items
            steps[inner] = index
            items.append(node(event, inner))
            index += 1

    def mapping(self, depth: int) -> dict[Any, Any]:
        end, scalar = MappingEndEvent, ScalarEvent
        get, steps, node, value_of = self.get, self.steps, self.node, self.scalars.value
        result: dict[Any, Any] = {}
        merges: list[dict[Any, Any]] | None = None
        inner = depth + 1
        while True:
            event = get()
            cls = type(event)
            if cls is end:
                break
            if cls is not scalar:
                raise Fallback  # a mapping, sequence or alias as a key
            if event.value == "<<" and not event.style and event.tag is None:
                if merges is not None:
                    raise _Reference(self.duplicate(event, 'found duplicate merge key "<<"'))
                if event.anchor is not None:
                    raise Fallback
                merges = self.merge_sources(get(), inner)
                continue
            key = value_of(event)
            if event.anchor is not None:
                self.anchors[event.anchor] = key
            if key in result:
                if not isinstance(key, str):  # True == 1 == 1.0: the reference decides
                    raise Fallback
                raise _Reference(self.duplicate(event, f'found duplicate key "{key}"'))
            steps[inner] = key
            result[key] = node(get(), inner)
        if merges:
            return self.merged(result, merges, depth)
        return result

    def merged(
        self, own: dict[Any, Any], sources: list[dict[Any, Any]], depth: int
    ) -> dict[Any, Any]:
        """The mapping's own keys, then the merged ones it does not have (the first source that
        has a key wins), in ruamel.yaml's order."""
        for source in sources:
            for key, value in source.items():
                if key not in own:
                    self.steps[depth + 1] = key
                    own[key] = self.copy(value, depth + 1)
        return own

    def merge_sources(self, event: Any, depth: int) -> list[dict[Any, Any]]:
        """The mappings a merge key's value names: an alias or a mapping, or a sequence of
        them; anything else is left to the reference loader."""
        cls = type(event)
        if cls is AliasEvent:
            source = self.anchors.get(event.anchor, _MISSING)
            if source is _RECURSIVE:
                self.alias(event, depth)  # the error, at the alias
            if not isinstance(source, dict):
                raise Fallback
            return [source]
        if cls is MappingStartEvent:
            source = self.node(event, depth)
            return [source]
        if cls is not SequenceStartEvent or event.anchor is not None:
            raise Fallback
        sources: list[dict[Any, Any]] = []
        while True:
            item = self.get()
            if type(item) is SequenceEndEvent:
                return sources
            if type(item) is AliasEvent:
                source = self.anchors.get(item.anchor or "", _MISSING)
                if source is _RECURSIVE:
                    self.alias(item, depth + 1)  # the error, at the alias
            elif type(item) is MappingStartEvent:
                source = self.node(item, depth + 1)
            else:
                source = None
            if not isinstance(source, dict):
                raise Fallback
            sources.append(source)

    def alias(self, event: Any, depth: int) -> Any:
        value = self.anchors.get(event.anchor, _MISSING)
        if value is _MISSING:
            mark = event.start_mark
            raise UserError(
                f"invalid YAML: found undefined alias {event.anchor!r}",
                position=Position(self.path, mark.line + 1, mark.column + 1),
                hint="fix the YAML syntax",
            )
        if value is _RECURSIVE:  # inside the node it names: a value that contains itself
            mark = event.start_mark
            position = Position(self.path, mark.line + 1, mark.column + 1)
            raise _Reference(recursive_alias(event.anchor, position))
        return self.copy(value, depth)

    def copy(self, value: Any, depth: int) -> Any:
        """A copy of the anchored ``value`` (each use of an alias is data of its own), every
        value counted against the limit; an error at the first value past a bound."""
        try:
            return self._copy(value, depth)
        except _Past as past:
            where: KeyPath = (*self.steps[1 : depth + 1], *reversed(past.steps))
            position = self.index_position(where)
            if past.too_deep:
                raise too_deep(position) from None
            raise UserError(
                f"YAML expands to more than {self.limit:,} values once aliases are resolved "
                "(an alias bomb?)",
                position=position,
                hint="reduce how many times anchors are repeated through aliases",
            ) from None

    def _copy(self, value: Any, depth: int) -> Any:
        self.count += 1
        if self.count > self.limit:
            raise _Past(too_deep=False)
        if depth > MAX_DEPTH:
            raise _Past(too_deep=True)
        kind = type(value)
        if kind is dict:
            result = {}
            for key, item in value.items():
                try:
                    result[key] = self._copy(item, depth + 1)
                except _Past as past:
                    past.steps.append(key)
                    raise
            return result
        if kind is list:
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(self._copy(item, depth + 1))
                except _Past as past:
                    past.steps.append(index)
                    raise
            return items
        return value

    def index_position(self, where: KeyPath) -> Position:
        found = PositionTable(self.index, self.document, keys=False).get(where)
        return found or Position(self.path)

    def place(self, event: Any, depth: int) -> Position:
        """Where the value ``event`` starts, as the reference loader places it."""
        if type(event) is ScalarEvent and generated_empty(event):  # placed by the next token
            return self.index_position(tuple(self.steps[1 : depth + 1]))
        mark = event.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def duplicate(self, event: Any, problem: str) -> UserError:
        mark = event.start_mark
        return UserError(
            f"duplicate key: {problem}",
            position=Position(self.path, mark.line + 1, mark.column + 1),
            hint="remove or rename one of them",
        )


def _syntax_error(exc: Any, text: str, path: Path) -> UserError:
    """libyaml's own message for a syntax error, worded like the reference loader's."""
    if isinstance(exc, yaml.reader.ReaderError):
        from polyinfra.yamlio.loader import _reader_error

        return _reader_error(text, path)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    position = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)
    problem = (getattr(exc, "problem", None) or "").strip()
    context = (getattr(exc, "context", None) or "").strip()
    detail = "; ".join(part for part in (context, problem) if part) or str(exc)
    return UserError(f"invalid YAML: {detail}", position=position, hint="fix the YAML syntax")


def _deep_position(text: str, path: Path, exc: Any) -> Position:
    """Where the first value nested more than :data:`MAX_DEPTH` levels deep starts, when
    libyaml stopped at its own, deeper, limit before handing over that value (it reads ahead
    through flow collections): the events of the text up to where it stopped, which now come
    out."""
    from polyinfra.yamlio.loader import first_too_deep

    mark = exc.problem_mark
    cut = mark.index + (1 if text.startswith("\ufeff") else 0)
    found = first_too_deep(_events_until_error(text[:cut]), path)
    return found or Position(path, mark.line + 1, mark.column + 1)


def _events_until_error(text: str) -> Iterator[Any]:
    parser = yaml.CSafeLoader(text)
    next_event: Callable[[], Any] = parser.get_event
    try:
        while True:
            event = next_event()
            yield event
            if type(event) is StreamEndEvent:
                return
    except yaml.YAMLError:
        return
    finally:
        parser.dispose()
