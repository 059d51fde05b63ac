"""Position-keeping YAML loader built on ruamel.yaml's round-trip parser."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import RoundTripScanner

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio.document import (
    MAX_DEPTH,
    MAX_NODES,
    KeyPath,
    YamlDocument,
    recursive_alias,
    too_deep,
    value_limit,
)

if TYPE_CHECKING:
    pass


class _CommentlessScanner(RoundTripScanner):
    """The round-trip scanner without comments, which the loaded data never holds.

    ruamel.yaml joins each comment line that follows a value onto the ones before it with a
    fresh string each time, so a long run of comment lines takes time quadratic in its length
    (minutes for a few megabytes of commented-out YAML). Positions do not depend on comments.
    """

    def fetch_comment(self, comment: Any) -> None:
        return None


class _RecursiveAlias(YAMLError):
    def __init__(self, anchor: str, line: int, column: int) -> None:
        super().__init__(anchor)
        self.anchor, self.line, self.column = anchor, line, column


class _CheckedComposer(Composer):
    """The composer, refusing an alias to a node that is still being composed."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            target = self.anchors.get(event.anchor)
            if isinstance(target, MappingNode | SequenceNode) and target.end_mark is None:
                mark = event.start_mark
                raise _RecursiveAlias(event.anchor, mark.line, mark.column)
        return super().compose_node(parent, index)


def describe(value: Any) -> str:
    """What a loaded YAML value is, in words (not the value itself: it may be a secret)."""
    if value is None:
        return "an empty value"
    for kind, words in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a mapping"),
    ):
        if isinstance(value, kind):
            return words
    return type(value).__name__


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Scanner = _CommentlessScanner
    yaml.Composer = _CheckedComposer
    return yaml


def ruamel_documents(text: str, path: Path) -> list[YamlDocument]:
    """:func:`load_all_text` through ruamel.yaml only: the reference behaviour."""
    yaml = _yaml()
    documents: list[YamlDocument] = []
    try:
        for index, raw in enumerate(yaml.load_all(text)):
            if raw is None:
                continue
            documents.append(_convert(raw, path, index, value_limit(text)))
    except ReaderError as exc:
        raise _reader_error(text, path) from exc
    except DuplicateKeyError as exc:
        raise _marked_error(exc, path, "duplicate key", "remove or rename one of them") from exc
    except _RecursiveAlias as exc:
        position = Position(path, exc.line + 1, exc.column + 1)
        raise recursive_alias(exc.anchor, position) from exc
    except MarkedYAMLError as exc:
        raise _marked_error(exc, path, "invalid YAML", "fix the YAML syntax") from exc
    except YAMLError as exc:
        raise UserError(f"invalid YAML: {exc}", position=Position(path)) from exc
    except RecursionError as exc:
        raise too_deep(_deep_position(text, path)) from exc
    return documents


class MappedPositions(Mapping[KeyPath, Position]):
    """``positions`` with ``move`` applied to each position as it is looked up."""

    def __init__(self, positions: Mapping[KeyPath, Position], move: Callable[[Position], Position]):
        self._positions = positions
        self._move = move

    def __getitem__(self, path: KeyPath) -> Position:
        return self._move(self._positions[path])

    def __iter__(self) -> Iterator[KeyPath]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, path: object) -> bool:
        return path in self._positions


def _deep_position(text: str, path: Path) -> Position:
    """Where the first value nested more than :data:`MAX_DEPTH` levels deep starts, found from
    the parser's events (the parser keeps a stack where the composer recurses)."""
    try:
        return first_too_deep(YAML(typ="safe", pure=True).parse(text), path) or Position(path)
    except YAMLError:
        return Position(path)


def first_too_deep(events: Iterable[Any], path: Path) -> Position | None:
    """Where, in a parser's ``events``, the first value nested more than :data:`MAX_DEPTH`
    levels deep starts (keys are not values); None when none is."""
    open_mappings: list[bool] = []  # per open collection: a mapping waiting for a key?
    is_mapping: list[bool] = []
    for event in events:
        name = type(event).__name__
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            open_mappings.pop()
            is_mapping.pop()
            continue
        if name not in ("MappingStartEvent", "SequenceStartEvent", "ScalarEvent", "AliasEvent"):
            continue
        is_key = bool(is_mapping and is_mapping[-1] and open_mappings[-1])
        if is_mapping and is_mapping[-1]:
            open_mappings[-1] = not open_mappings[-1]
        if not is_key and len(is_mapping) > MAX_DEPTH:
            mark = event.start_mark
            return Position(path, mark.line + 1, mark.column + 1)
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            is_mapping.append(name == "MappingStartEvent")
            open_mappings.append(True)
    return None


def _reader_error(text: str, path: Path) -> UserError:
    """A character YAML does not allow, at its line and column."""
    from polyinfra.yamlio.text import NOT_TEXT, not_text

    found = NOT_TEXT.search(text)
    if found is None:  # not expected: the reader refuses exactly these characters
        return UserError("invalid YAML: a character YAML does not allow", position=Position(path))
    return not_text(text, found.start(), path)


def _marked_error(exc: MarkedYAMLError, path: Path, what: str, hint: str) -> UserError:
    mark = exc.problem_mark or exc.context_mark
    position = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    detail = "; ".join(part for part in (context, problem) if part)
    if isinstance(exc, DuplicateKeyError):
        detail = problem or detail
    return UserError(f"{what}: {detail}" if detail else what, position=position, hint=hint)


class _Converter:
    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.count = 0
        self.key_positions: dict[KeyPath, Position] = {}
        self.value_positions: dict[KeyPath, Position] = {}
        self.first_bomb_position: Position | None = None

    def pos(self, line: int | None, col: int | None) -> Position:
        if line is None:
            return Position(self.path)
        return Position(self.path, line + 1, (col or 0) + 1)

    def tick(self, where: KeyPath) -> None:
        self.count += 1
        if self.count > self.limit:
            raise UserError(
                f"YAML expands to more than {self.limit:,} values once aliases are resolved "
                "(an alias bomb?)",
                position=self.value_positions.get(where) or Position(self.path),
                hint="reduce how many times anchors are repeated through aliases",
            )

    def convert(self, node: Any, where: KeyPath, depth: int = 0) -> Any:
        self.tick(where)
        if depth > MAX_DEPTH:
            raise too_deep(self.value_positions.get(where) or Position(self.path))
        if isinstance(node, CommentedMap):
            return self.convert_map(node, where, depth)
        if isinstance(node, CommentedSeq):
            items = []
            for index, item in enumerate(node):
                line_col = _safe_item(node, index)
                if line_col is not None:
                    self.value_positions[(*where, index)] = self.pos(*line_col)
                items.append(self.convert(item, (*where, index), depth + 1))
            return items
        return _scalar(node)

    def convert_map(self, node: CommentedMap, where: KeyPath, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in node.items():
            plain_key = _scalar(key)
            here = (*where, plain_key)
            owner = _owner_of(node, key)
            key_lc = _safe_key(owner, key)
            value_lc = _safe_value(owner, key)
            if key_lc is not None:
                self.key_positions[here] = self.pos(*key_lc)
            if value_lc is not None:
                self.value_positions[here] = self.pos(*value_lc)
            result[plain_key] = self.convert(value, here, depth + 1)
        return result


def _owner_of(node: CommentedMap, key: Any) -> CommentedMap:
    """The mapping that literally holds ``key``: ``node`` or one of its merge (``<<``) sources."""
    if key in (getattr(node.lc, "data", None) or {}) or not getattr(node, "merge", None):
        return node
    for source in _merge_sources(node):
        if isinstance(source, CommentedMap) and key in source:
            return _owner_of(source, key)
    return node


def _merge_sources(node: CommentedMap) -> Iterator[Any]:
    for entry in node.merge:
        # older ruamel releases keep (index, mapping) pairs, newer ones the mappings
        yield entry[1] if isinstance(entry, tuple) else entry


def _safe_key(node: CommentedMap, key: Any) -> tuple[int, int] | None:
    try:
        line, col = node.lc.key(key)
    except (KeyError, TypeError, AttributeError):
        return None
    return int(line), int(col)


def _safe_value(node: CommentedMap, key: Any) -> tuple[int, int] | None:
    try:
        line, col = node.lc.value(key)
    except (KeyError, TypeError, AttributeError):
        return None
    return int(line), int(col)


def _safe_item(node: CommentedSeq, index: int) -> tuple[int, int] | None:
    try:
        line, col = node.lc.item(index)
    except (KeyError, TypeError, AttributeError, IndexError):
        return None
    return int(line), int(col)


def _scalar(node: Any) -> Any:
    """ruamel scalar subclasses -> plain Python values."""
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime.datetime | datetime.date):
        return node.isoformat()
    value = getattr(node, "value", None)  # TaggedScalar
    if value is not None:
        return _scalar(value)
    return node


def _convert(raw: Any, path: Path, index: int, limit: int = MAX_NODES) -> YamlDocument:
    converter = _Converter(path, limit)
    start: Position | None = None
    lc = getattr(raw, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        start = Position(path, int(lc.line) + 1, int(lc.col or 0) + 1)
    data = converter.convert(raw, ())
    return YamlDocument(
        path=path,
        data=data,
        index=index,
        key_positions=converter.key_positions,
        value_positions=converter.value_positions,
        start=start,
    )
