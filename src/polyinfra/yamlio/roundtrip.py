"""Round-trip YAML edits: add entries to a mapping or a sequence and leave every other byte alone.

The new entry is rendered by ruamel.yaml and spliced into the original text after the last line
of the node it goes in; where that node stands comes from the document's outline
(:mod:`polyinfra.yamlio.outline`). Only lines are inserted, so comments, key order, quoting,
blank lines and anchors survive exactly; aliases to existing anchors are written as ``*name``.
The result is loaded again before it is returned, and must hold the old data plus the new entry.

Every step is linear in the size of the text: one event pass for the outline, one scan of the
lines after the node's last entry, one load of the result to check it.
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

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.positions import Position
from polyinfra.yamlio.document import KeyPath, YamlDocument, format_path
from polyinfra.yamlio.load import load_text
from polyinfra.yamlio.loader import describe
from polyinfra.yamlio.outline import Collection, Outline, outline

_ALIAS_PREFIX = "__polyinfra_alias__"


@dataclass(frozen=True)
class Alias:
    """A value to write as ``*anchor``: a reference to a node the file already anchors."""

    anchor: str


@dataclass(frozen=True)
class Flow:
    """A mapping of scalars to write in flow style, on one line: ``{job: nightly}``."""

    items: Mapping[str, Any]


class Editor:
    """One YAML text to edit. Each edit returns a new :class:`Editor` for the edited text, whose
    document is the one the edit was checked against (so a chain of edits loads each text once).

    Loading ``text`` raises :class:`UserError` at the position of invalid YAML.
    """

    def __init__(self, text: str, path: Path, document: YamlDocument | None = None) -> None:
        self.text = text
        self.path = path
        self.document = document if document is not None else load_text(text, path)
        self._outline: Outline | None = None

    @property
    def outline(self) -> Outline:
        if self._outline is None:
            self._outline = outline(self.text)
        return self._outline

    def anchor(self, node_path: KeyPath) -> str | None:
        """The anchor defined on the node at ``node_path`` (``key: &name ...``), if any."""
        found = self.outline.collections.get(tuple(node_path))
        if found is not None and found.kind != "alias":
            return found.anchor
        for anchor in self.outline.anchors:  # an anchored scalar
            if anchor.path == tuple(node_path):
                return anchor.name
        return None

    def add_mapping_entry(self, mapping_path: KeyPath, key: str, value: Any) -> Editor:
        """``key: value`` appended as the last entry of the block mapping at ``mapping_path``
        (an empty flow mapping ``{}`` becomes a block mapping)."""
        mapping = self._require(mapping_path, "mapping", "a mapping")
        existing = self.document.get(mapping_path)
        if isinstance(existing, dict) and key in existing:
            raise UserError(
                f"{format_path((*mapping_path, key))} already exists",
                position=self.document.position((*mapping_path, key)),
            )
        lines = self.text.splitlines(keepends=True)
        if mapping.size and mapping.last is not None:
            start, indent = mapping.last
            separated = mapping.size > 1 and start > 0 and not lines[start - 1].strip()
        else:
            owner_line, owner_col = _owner(mapping)
            lines = _drop_empty_flow(lines, owner_line, "{}", self.path, mapping_path)
            start, indent, separated = owner_line, owner_col + 2, False
        end = _node_end(lines, start, indent)
        written, expected = self._bind({key: value}, end)
        newline = _newline(lines)
        block = _render(written, indent, newline)
        new_lines = [*lines[:end], *([newline] if separated else []), *block, *lines[end:]]
        return self._checked(_joined(new_lines, end, newline), (*mapping_path, key), expected[key])

    def add_sequence_item(self, sequence_path: KeyPath, item: Any) -> Editor:
        """``item`` appended to the block sequence at ``sequence_path`` (an empty flow sequence
        ``[]`` becomes a block sequence)."""
        sequence = self._require(sequence_path, "sequence", "a list")
        lines = self.text.splitlines(keepends=True)
        if sequence.size and sequence.last is not None:
            line, col = sequence.last
            # the item's position is its value's; the dash sits left of it in block style
            start, indent = line, _dash_column(lines[line], col)
        else:
            owner_line, owner_col = _owner(sequence)
            lines = _drop_empty_flow(lines, owner_line, "[]", self.path, sequence_path)
            start, indent = owner_line, owner_col + 2
        end = _node_end(lines, start, indent)
        written, expected = self._bind([item], end)
        newline = _newline(lines)
        block = _render(written, indent, newline)
        new_lines = [*lines[:end], *block, *lines[end:]]
        new_path = (*sequence_path, sequence.size)
        return self._checked(_joined(new_lines, end, newline), new_path, expected[0])

    def _require(self, node_path: KeyPath, kind: str, what: str) -> Collection:
        node_path = tuple(node_path)
        found = self.outline.collections.get(node_path)
        value = self.document.get(node_path, _MISSING)
        if value is _MISSING:
            raise PolyinfraError(f"{self.path}: {format_path(node_path)} is missing")
        position = self.document.position(node_path, value=True)
        if found is not None and found.kind == "alias":
            raise UserError(
                f"{format_path(node_path)} is an alias (*{found.anchor}) of a node written "
                "elsewhere; entries can only be added where a node is written",
                position=Position(self.path, found.line + 1, found.col + 1),
                hint=f"write the node out here instead of *{found.anchor}, or add the entry "
                f"under &{found.anchor}",
            )
        if found is None or found.kind != kind:
            if found is None and isinstance(value, dict | list):
                # reached through an alias or a merge key (<<): not written at this path
                raise UserError(
                    f"{format_path(node_path)} is not written at this path (it comes from an "
                    "alias or a merge key); entries can only be added where a node is written",
                    position=position,
                    hint=f"write {format_path(node_path)} out in this file, then run again",
                )
            raise UserError(
                f"{format_path(node_path)} must be {what}, found {describe(value)}",
                position=position,
                hint=f"make {format_path(node_path)} {what}",
            )
        if found.size and found.flow:
            brackets = "{...}" if kind == "mapping" else "[...]"
            raise UserError(
                f"{format_path(node_path)} is written in flow style ({brackets}); entries can "
                "only be added to block style",
                position=position,
                hint="write it in block style, one entry per line",
            )
        return found

    def _bind(self, value: Any, line: int) -> tuple[Any, Any]:
        """What to write for ``value`` at 0-based ``line`` and the data it must load as. An
        :class:`Alias` stays an alias when its anchor is defined before ``line``; otherwise (an
        anchor defined further down) its data is written out."""
        if isinstance(value, Alias):
            before = self.outline.anchor_before(value.anchor, line)
            if before is not None:
                return value, self.document.get(before.path)
            anywhere = [a for a in self.outline.anchors if a.name == value.anchor]
            if not anywhere:
                raise PolyinfraError(f"{self.path}: no anchor &{value.anchor} to refer to")
            data = self.document.get(anywhere[0].path)
            return data, data
        if isinstance(value, Flow):
            return value, dict(value.items)
        if isinstance(value, Mapping):
            pairs = {key: self._bind(item, line) for key, item in value.items()}
            return {k: w for k, (w, _) in pairs.items()}, {k: e for k, (_, e) in pairs.items()}
        if isinstance(value, Sequence) and not isinstance(value, str):
            bound = [self._bind(item, line) for item in value]
            return [w for w, _ in bound], [e for _, e in bound]
        return value, value

    def _checked(self, after: str, new_path: KeyPath, expected: Any) -> Editor:
        """The edited text must load, hold ``expected`` at ``new_path`` and otherwise equal the
        original data."""
        try:
            new_doc = load_text(after, self.path)
        except UserError as exc:
            raise PolyinfraError(
                f"editing {format_path(new_path)} gave invalid YAML: {exc}"
            ) from exc
        if new_doc.get(new_path, _MISSING) != expected:
            raise PolyinfraError(
                f"{self.path}: editing {format_path(new_path)} did not give the value"
            )
        if _without(new_doc.data, new_path) != self.document.data:
            raise PolyinfraError(
                f"{self.path}: editing {format_path(new_path)} changed other values"
            )
        return Editor(after, self.path, new_doc)


_MISSING: Any = object()


def add_mapping_entry(text: str, path: Path, mapping_path: KeyPath, key: str, value: Any) -> str:
    """``text`` with ``key: value`` appended to the block mapping at ``mapping_path`` (see
    :meth:`Editor.add_mapping_entry`)."""
    return Editor(text, path).add_mapping_entry(mapping_path, key, value).text


def add_sequence_item(text: str, path: Path, sequence_path: KeyPath, item: Any) -> str:
    """``text`` with ``item`` appended to the block sequence at ``sequence_path`` (see
    :meth:`Editor.add_sequence_item`)."""
    return Editor(text, path).add_sequence_item(sequence_path, item).text


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _owner(node: Collection) -> tuple[int, int]:
    """0-based line and column of the key (or dash) that holds ``node``."""
    line, col = node.owner
    return (line, max(col - 2, 0)) if node.owner_is_item else (line, col)


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


def _newline(lines: list[str]) -> str:
    """The line break the text uses (that of its first line): ``\r\n`` or ``\n``."""
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _joined(lines: list[str], index: int, newline: str) -> str:
    """``lines`` as one text, with a line break ending the line before ``index``."""
    if index > 0 and not lines[index - 1].endswith("\n"):
        lines[index - 1] += newline
    return "".join(lines)


def _render(value: Any, indent: int, newline: str) -> list[str]:
    """``value`` as block YAML (mapping indent 2, list dashes indented 2), shifted right by
    ``indent`` columns, each line ending in ``newline``."""
    yaml = _yaml()
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(_plain(value), stream)
    text = re.sub(rf"'?{_ALIAS_PREFIX}([A-Za-z0-9_.-]+)'?", r"*\1", stream.getvalue())
    # ruamel indents a top-level sequence by its dash offset; the caller decides the indent.
    text = textwrap.dedent(text)
    pad = " " * indent
    return [f"{pad}{line}{newline}" if line.strip() else newline for line in text.splitlines()]


def _plain(value: Any) -> Any:
    if isinstance(value, Alias):
        return f"{_ALIAS_PREFIX}{value.anchor}"
    if isinstance(value, Flow):
        flow = CommentedMap(value.items)
        flow.fa.set_flow_style()
        return flow
    if isinstance(value, Mapping):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = _plain(item)
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        return CommentedSeq(_plain(item) for item in value)
    return value


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
