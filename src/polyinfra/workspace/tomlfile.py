"""Reading TOML files with errors that point at a line, and finding where a key is written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace.tomlfast import parse_plain

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_toml(path: Path) -> dict[str, Any]:
    """Parse ``path``; a syntax error becomes a :class:`UserError` at its line and column."""
    from polyinfra.yamlio.text import read_text

    text = read_text(path)  # not UTF-8, or a NUL byte: an error at the first bad byte
    plain = parse_plain(text)  # most project files: the same answer, several times faster
    if plain is not None:
        return plain
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _AT.search(str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = _AT.sub("", str(exc)).strip()
        raise UserError(
            f"invalid TOML: {message}", position=Position(path, line, col), hint="fix the syntax"
        ) from exc


def key_position(path: Path, table: tuple[str, ...], key: str | None = None) -> Position:
    """Best-effort position of ``key`` inside ``[table]`` (or of the table header).

    Handles ``[a.b]`` headers, quoted parts and dotted keys written inside a parent table
    (``[a]`` then ``b.key = ...``). Returns the file's first line when nothing matches.
    """
    lines = _lines(path)
    if lines is None:
        return Position(path)
    current: tuple[str, ...] = ()
    header_pos: Position | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("["):  # a table, or an array of tables ([[a.b]])
            current = _split_dotted(line.split("#", 1)[0].strip().strip("[] "))
            if key is not None and current[: len(table) + 1] == (*table, key):
                return Position(path, number, raw.index("[") + 1)
            if current == table and header_pos is None:
                header_pos = Position(path, number, raw.index("[") + 1)
                if key is None:
                    return header_pos
            continue
        if key is None or "=" not in line or line.startswith("#"):
            continue
        left = _split_dotted(line.split("=", 1)[0].strip())
        full = current + left
        if full[: len(table) + 1] == (*table, key):
            return Position(path, number, raw.index(raw.lstrip()[0]) + 1)
    return header_pos or Position(path, 1, 1)


def line_of(path: Path, needles: tuple[str, ...], after: Position) -> Position:
    """Position of the first of ``needles`` at or after ``after`` (an array item of a key)."""
    lines = _lines(path)
    if lines is None:
        return after
    for number in range(max(after.line, 1), len(lines) + 1):
        for needle in needles:
            col = lines[number - 1].find(needle)
            if col >= 0:
                return Position(path, number, col + 1)
    return after


def _lines(path: Path) -> list[str] | None:
    """The lines of ``path`` (read as every input is), None when it cannot be read."""
    from polyinfra.yamlio.text import read_quietly

    data = read_quietly(path)
    return None if data is None else data.decode("utf-8", errors="replace").splitlines()


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', text)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)
