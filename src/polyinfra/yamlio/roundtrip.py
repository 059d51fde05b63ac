"""Round-trip YAML edits: add entries to a mapping or a sequence and leave every other byte alone.

ruamel.yaml (round-trip mode) parses the file and says where each node starts; the new entry is
rendered by ruamel.yaml too and spliced into the original text after the node's last line. Only
lines are inserted, so comments, key order, quoting, blank lines and anchors survive exactly;
aliases to existing anchors are written as ``*name``. The result is re-parsed before it is
returned, and must hold the old data plus the new entry.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.positions import Position
from polyinfra.yamlio.loader import KeyPath, YamlDocument, _convert, format_path, load_text

_ALIAS_PREFIX = "__polyinfra_alias__"


@dataclass(frozen=True)
class Alias:
    """A value to write as ``*anchor``: a reference to a node the file already anchors."""

    anchor: str


def parse(text: str, path: Path) -> Any:
    """The round-trip document (CommentedMap/CommentedSeq tree) of ``text``."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)
        raise UserError(
            f"invalid YAML: {exc.problem or exc.context}",
            position=position,
            hint="fix the syntax, then run the command again",
        ) from exc


def anchor_of(node: Any) -> str | None:
    """The anchor name defined on ``node`` (``&name``), if any."""
    anchor = getattr(node, "anchor", None)
    value = getattr(anchor, "value", None)
    return value if isinstance(value, str) and value else None


def node_at(doc: Any, path: KeyPath) -> Any:
    node = doc
    for part in path:
        node = node[part]
    return node


def add_mapping_entry(text: str, path: Path, mapping_path: KeyPath, key: str, value: Any) -> str:
    """``text`` with ``key: value`` appended as the last entry of the block mapping at
    ``mapping_path`` (an empty flow mapping ``{}`` becomes a block mapping)."""
    doc = parse(text, path)
    mapping = _require(doc, mapping_path, CommentedMap, "a mapping", path, text)
    if key in mapping:
        raise UserError(
            f"{format_path((*mapping_path, key))} already exists",
            position=_key_position(doc, (*mapping_path, key), path),
        )
    lines = text.splitlines(keepends=True)
    if len(mapping):
        last_key = list(mapping)[-1]
        line, col = mapping.lc.key(last_key)
        indent = col
        separated = _blank_separated(lines, mapping)
        start = line
    else:
        owner_line, owner_col = _owner_position(doc, mapping_path)
        lines = _drop_empty_flow(lines, owner_line, "{}", path, mapping_path)
        indent = owner_col + 2
        separated = False
        start = owner_line
    end = _node_end(lines, start, indent)
    block = _render({key: value}, indent)
    new_lines = [*lines[:end], *(["\n"] if separated else []), *block, *lines[end:]]
    result = _ensure_newline_before(new_lines, end)
    _verify(doc, result, path, (*mapping_path, key), value)
    return result


def add_sequence_item(text: str, path: Path, sequence_path: KeyPath, item: Any) -> str:
    """``text`` with ``item`` appended to the block sequence at ``sequence_path`` (an empty flow
    sequence ``[]`` becomes a block sequence)."""
    doc = parse(text, path)
    sequence = _require(doc, sequence_path, CommentedSeq, "a list", path, text)
    lines = text.splitlines(keepends=True)
    if len(sequence):
        line, col = sequence.lc.item(len(sequence) - 1)
        # lc.item gives the position of the item's value; the dash sits two columns left of it
        # in block style (``- value``).
        dash_col = _dash_column(lines[line], col)
        start, indent = line, dash_col
    else:
        owner_line, owner_col = _owner_position(doc, sequence_path)
        lines = _drop_empty_flow(lines, owner_line, "[]", path, sequence_path)
        start, indent = owner_line, owner_col + 2
    end = _node_end(lines, start, indent)
    block = _render([item], indent)
    new_lines = [*lines[:end], *block, *lines[end:]]
    result = _ensure_newline_before(new_lines, end)
    _verify(doc, result, path, (*sequence_path, len(sequence)), item)
    return result


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _require(doc: Any, node_path: KeyPath, kind: type, what: str, path: Path, text: str) -> Any:
    node = doc
    for depth, part in enumerate(node_path):
        container_ok = isinstance(node, CommentedMap) and part in node
        container_ok = container_ok or (
            isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node)
        )
        if not container_ok:
            raise PolyinfraError(f"{path}: {format_path(node_path[: depth + 1])} is missing")
        node = node[part]
    if not isinstance(node, kind):
        raise UserError(
            f"{format_path(node_path)} must be {what}, found {_yaml_type(node)}",
            position=load_text(text, path).position(node_path, value=True),
            hint=f"make {format_path(node_path)} {what}",
        )
    found: Any = node
    if len(found) and found.fa.flow_style():
        brackets = "{...}" if kind is CommentedMap else "[...]"
        raise UserError(
            f"{format_path(node_path)} is written in flow style ({brackets}); entries can only "
            "be added to block style",
            position=load_text(text, path).position(node_path, value=True),
            hint="write it in block style, one entry per line",
        )
    return node


def _yaml_type(node: Any) -> str:
    if node is None:
        return "an empty value"
    if isinstance(node, CommentedMap):
        return "a mapping"
    if isinstance(node, CommentedSeq):
        return "a list"
    return f"the scalar {node!r}"


def _key_position(doc: Any, key_path: KeyPath, path: Path) -> Position:
    parent = node_at(doc, key_path[:-1])
    line, col = parent.lc.key(key_path[-1])
    return Position(path, line + 1, col + 1)


def _owner_position(doc: Any, node_path: KeyPath) -> tuple[int, int]:
    """0-based line and column of the key (or dash) that holds the node at ``node_path``."""
    parent = node_at(doc, node_path[:-1])
    last = node_path[-1]
    if isinstance(parent, CommentedSeq) and isinstance(last, int):
        line, col = parent.lc.item(last)
        return line, max(col - 2, 0)
    line, col = parent.lc.key(last)
    return int(line), int(col)


def _drop_empty_flow(
    lines: list[str], line: int, token: str, path: Path, node_path: KeyPath
) -> list[str]:
    """Remove the ``{}`` / ``[]`` that follows the key on ``line``, keeping any comment."""
    match = re.match(rf"^(.*?:)\s*{re.escape(token)}(\s*#.*)?(\r?\n)?$", lines[line])
    if match is None:
        raise UserError(
            f"{format_path(node_path)} is an empty flow collection written across lines",
            position=Position(path, line + 1),
            hint=f"write it as `{token}` on the key's line, or add one entry by hand",
        )
    head, comment, newline = match.group(1), match.group(2) or "", match.group(3) or "\n"
    return [*lines[:line], f"{head}{comment}{newline}", *lines[line + 1 :]]


def _dash_column(line: str, value_col: int) -> int:
    before = line[:value_col]
    dash = before.rstrip().rfind("-")
    return dash if dash >= 0 else max(value_col - 2, 0)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _node_end(lines: list[str], start: int, column: int) -> int:
    """Index of the first line after the node whose entries sit at ``column`` and whose last
    entry starts on line ``start``. Trailing blank lines and comments indented less than
    ``column`` belong to what follows, so the end is moved back over them."""
    end = start + 1
    index = start + 1
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if stripped in ("---", "...") or raw.startswith(("--- ", "... ")):
            break
        if not stripped:
            index += 1
            continue
        indent = _indent(raw)
        if stripped.startswith("#"):
            if indent >= column:
                end = index + 1
            index += 1
            continue
        if indent > column or (indent == column and stripped.startswith("-")):
            end = index + 1
            index += 1
            continue
        break
    return end


def _blank_separated(lines: list[str], mapping: CommentedMap) -> bool:
    """Whether the mapping's entries are separated by blank lines (then the new one is too)."""
    keys = list(mapping)
    if len(keys) < 2:
        return False
    line = mapping.lc.key(keys[-1])[0]
    return line > 0 and not lines[line - 1].strip()


def _ensure_newline_before(lines: list[str], index: int) -> str:
    if index > 0 and not lines[index - 1].endswith("\n"):
        lines[index - 1] += "\n"
    return "".join(lines)


def _render(value: Any, indent: int) -> list[str]:
    """``value`` as block YAML (mapping indent 2, list dashes indented 2), shifted right by
    ``indent`` columns."""
    yaml = _yaml()
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(_plain(value), stream)
    text = re.sub(rf"'?{_ALIAS_PREFIX}([A-Za-z0-9_.-]+)'?", r"*\1", stream.getvalue())
    # ruamel indents a top-level sequence by its dash offset; the caller decides the indent.
    text = textwrap.dedent(text)
    pad = " " * indent
    return [f"{pad}{line}\n" if line.strip() else "\n" for line in text.splitlines()]


def _plain(value: Any) -> Any:
    if isinstance(value, Alias):
        return f"{_ALIAS_PREFIX}{value.anchor}"
    if isinstance(value, Mapping):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = _plain(item)
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        return CommentedSeq(_plain(item) for item in value)
    return value


def _resolved(value: Any, anchors: Mapping[str, Any]) -> Any:
    if isinstance(value, Alias):
        return anchors[value.anchor]
    if isinstance(value, Mapping):
        return {key: _resolved(item, anchors) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_resolved(item, anchors) for item in value]
    return value


def _anchors(doc: Any, plain: YamlDocument) -> dict[str, Any]:
    """Anchor name -> plain (resolved) value, for every anchored node of the document."""
    found: dict[str, KeyPath] = {}

    def walk(node: Any, at: KeyPath) -> None:
        name = anchor_of(node)
        if name is not None and name not in found:
            found[name] = at
        if isinstance(node, CommentedMap):
            for key, item in node.items():
                walk(item, (*at, key))
        elif isinstance(node, CommentedSeq):
            for index, item in enumerate(node):
                walk(item, (*at, index))

    walk(doc, ())
    return {name: plain.get(at) for name, at in found.items()}


def _has_alias(value: Any) -> bool:
    if isinstance(value, Alias):
        return True
    if isinstance(value, Mapping):
        return any(_has_alias(item) for item in value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return any(_has_alias(item) for item in value)
    return False


def _verify(doc: Any, after: str, path: Path, new_path: KeyPath, value: Any) -> None:
    """The edited text must parse, hold the new value at ``new_path`` and otherwise equal the
    original data (``doc`` is the round-trip document of ``before``)."""
    old = _convert(doc, path, 0)
    try:
        new_doc = load_text(after, path)
    except UserError as exc:
        raise PolyinfraError(f"editing {format_path(new_path)} gave invalid YAML: {exc}") from exc
    anchors = _anchors(doc, old) if _has_alias(value) else {}
    if new_doc.get(new_path) != _resolved(value, anchors):
        raise PolyinfraError(f"{path}: editing {format_path(new_path)} did not give the value")
    if _without(new_doc.data, new_path) != old.data:
        raise PolyinfraError(f"{path}: editing {format_path(new_path)} changed other values")


def _without(data: Any, node_path: KeyPath) -> Any:
    """``data`` with the node at ``node_path`` removed (copies only along the path)."""
    head, rest = node_path[0], node_path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if rest:
            copy[head] = _without(copy[head], rest)
        else:
            copy.pop(head, None)
        return copy
    if isinstance(data, list) and isinstance(head, int):
        items = list(data)
        if rest:
            items[head] = _without(items[head], rest)
        else:
            del items[head]
        return items
    return data
