"""A fast parser for the plain subset of TOML most ``pyproject.toml`` files are written in.

Reading a large workspace parses hundreds of project files; ``tomllib`` spends most of that
time on generality. :func:`parse_plain` reads tables (``[a.b]``), ``key = value`` lines with
bare or quoted keys, strings without escapes, booleans, decimal integers, arrays (over several
lines, with comments) and one-line inline tables. Anything else (an escape, a float, a date, a
dotted key, a duplicate, a control character) returns None and the caller parses the file
with ``tomllib``, so a file either gets exactly ``tomllib``'s answer or ``tomllib`` itself, with
its error. tests/workspace/test_tomlfast.py holds the two to the same answer.
"""

from __future__ import annotations

import re
from typing import Any

# Characters TOML refuses outside strings or in comments (and CR, to keep lines simple): a
# file holding one goes to tomllib, which says where.
_REFUSED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WS = re.compile(r"[ \t]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"')
_LITERAL = re.compile(r"'([^'\x00-\x08\x0a-\x1f\x7f]*)'")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_COMMENT = re.compile(r"#[^\n]*")
#: the line most project files are made of, ``key = "value"``, read in one match
_STRING_LINE = re.compile(
    r'[ \t]*(?:([A-Za-z0-9_-]+)|"([^"\\\x00-\x08\x0a-\x1f\x7f]*)")[ \t]*=[ \t]*'
    r'"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"[ \t]*(?:#[^\n]*)?(?:\n|\Z)'
)
#: what may follow a scalar value
_VALUE_END = frozenset(" \t\n#,]}")


class _NotPlain(Exception):
    """The text leaves the subset: tomllib reads it instead."""


def parse_plain(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)`` for a file in the plain subset, else None."""
    if text.startswith("\ufeff") or _REFUSED.search(text) is not None:
        return None
    try:
        return _Parser(text).document()
    except _NotPlain:
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.root: dict[str, Any] = {}
        #: tables declared by a header, and tables written inline (both closed to headers)
        self.declared: set[int] = set()
        self.inline: set[int] = set()

    def document(self) -> dict[str, Any]:
        table = self.root
        text = self.text
        end = len(text)
        while self.pos < end:
            line = _STRING_LINE.match(text, self.pos)
            if line is not None:
                key, quoted, value = line.groups()
                key = quoted if key is None else key
                if key in table:
                    raise _NotPlain
                table[key] = value
                self.pos = line.end()
                continue
            self._skip(_WS)
            if self.pos >= end:
                break
            char = text[self.pos]
            if char == "\n":
                self.pos += 1
                continue
            if char == "#":
                self._skip(_COMMENT)
            elif char == "[":
                table = self._header()
            else:
                key = self._key()
                self._skip(_WS)
                self._expect("=")
                self._skip(_WS)
                value = self._value(multiline=True)
                if key in table:
                    raise _NotPlain
                table[key] = value
            self._line_end()
        return self.root

    def _header(self) -> dict[str, Any]:
        self.pos += 1  # "["
        if self.text.startswith("[", self.pos):
            raise _NotPlain  # an array of tables
        keys = [self._spaced_key()]
        while self.text.startswith(".", self.pos):
            self.pos += 1
            keys.append(self._spaced_key())
        self._expect("]")
        table = self.root
        for key in keys:
            child = table.setdefault(key, {})
            if not isinstance(child, dict) or id(child) in self.inline:
                raise _NotPlain
            table = child
        if id(table) in self.declared:
            raise _NotPlain  # declared twice
        self.declared.add(id(table))
        return table

    def _spaced_key(self) -> str:
        self._skip(_WS)
        key = self._key()
        self._skip(_WS)
        return key

    def _key(self) -> str:
        for pattern in (_BARE_KEY, _BASIC, _LITERAL):
            match = pattern.match(self.text, self.pos)
            if match is not None:
                self.pos = match.end()
                return match.group(match.lastindex or 0)
        raise _NotPlain

    def _value(self, *, multiline: bool) -> Any:
        text = self.text
        if self.pos >= len(text):
            raise _NotPlain
        char = text[self.pos]
        if char == "[":
            return self._array(multiline=multiline)
        if char == "{":
            return self._inline_table()
        if char == '"':
            if text.startswith('"""', self.pos):
                raise _NotPlain
            value: Any = self._match(_BASIC).group(1)
        elif char == "'":
            if text.startswith("'''", self.pos):
                raise _NotPlain
            value = self._match(_LITERAL).group(1)
        elif text.startswith("true", self.pos):
            self.pos += 4
            value = True
        elif text.startswith("false", self.pos):
            self.pos += 5
            value = False
        else:
            value = int(self._match(_INTEGER).group(0))
        if self.pos < len(text) and text[self.pos] not in _VALUE_END:
            raise _NotPlain  # 1.5, 1979-05-27, trueish: not in the subset
        return value

    def _array(self, *, multiline: bool) -> list[Any]:
        self.pos += 1  # "["
        items: list[Any] = []
        while True:
            self._gap(multiline)
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return items
            items.append(self._value(multiline=multiline))
            self._gap(multiline)
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("]", self.pos):
                self.pos += 1
                return items
            else:
                raise _NotPlain

    def _inline_table(self) -> dict[str, Any]:
        self.pos += 1  # "{"
        table: dict[str, Any] = {}
        self.inline.add(id(table))
        self._skip(_WS)
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return table
        while True:
            key = self._spaced_key()
            self._expect("=")
            self._skip(_WS)
            if key in table:
                raise _NotPlain
            table[key] = self._value(multiline=False)
            self._skip(_WS)
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("}", self.pos):
                self.pos += 1
                return table
            else:
                raise _NotPlain

    def _gap(self, multiline: bool) -> None:
        """Blank space inside an array: newlines and comments too when it may span lines."""
        while True:
            self._skip(_WS)
            if not multiline:
                return
            if self.text.startswith("\n", self.pos):
                self.pos += 1
            elif self.text.startswith("#", self.pos):
                self._skip(_COMMENT)
            else:
                return

    def _line_end(self) -> None:
        self._skip(_WS)
        if self.text.startswith("#", self.pos):
            self._skip(_COMMENT)
        if self.pos < len(self.text):
            self._expect("\n")

    def _expect(self, literal: str) -> None:
        if not self.text.startswith(literal, self.pos):
            raise _NotPlain
        self.pos += len(literal)

    def _match(self, pattern: re.Pattern[str]) -> re.Match[str]:
        match = pattern.match(self.text, self.pos)
        if match is None:
            raise _NotPlain
        self.pos = match.end()
        return match

    def _skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
