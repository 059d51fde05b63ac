"""A dotenv file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export`` and quotes.

Its values are secrets: no message quotes a line or a value, only the file, the line and the
key.
"""

from __future__ import annotations

import re
from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio import read_text

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_FORMAT = 'write one KEY=VALUE per line (a value may be quoted: KEY="a b"); # starts a comment'


def read_env_file(path: Path) -> dict[str, str]:
    """The variables ``path`` sets (the last line wins for a key given twice); UserError at
    the line of anything else."""
    values: dict[str, str] = {}
    for number, line in enumerate(read_text(path, stream=True).splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("export "):
            text = text.removeprefix("export ").lstrip()
        key, sep, rest = text.partition("=")
        key = key.strip()
        column = len(line) - len(line.lstrip()) + 1
        if not sep or not _KEY.fullmatch(key):
            what = "a line without =" if not sep else "a key that is not a variable name"
            raise UserError(
                f"{what}: expected KEY=VALUE", position=Position(path, number, column), hint=_FORMAT
            )
        values[key] = _value(rest.strip(), key, Position(path, number, column))
    return values


def _value(raw: str, key: str, where: Position) -> str:
    if not raw or raw[0] not in "\"'":
        return re.split(r"\s#", raw, maxsplit=1)[0].rstrip()
    quote = raw[0]
    end = _closing(raw, quote)
    if end < 0:
        raise UserError(
            f"the value of {key} has no closing {quote}",
            position=where,
            hint="close the quote on the same line (values span one line)",
        )
    after = raw[end + 1 :].strip()
    if after and not after.startswith("#"):
        raise UserError(
            f"text after the closing {quote} of {key}'s value", position=where, hint=_FORMAT
        )
    inner = raw[1:end]
    if quote == "'":
        return inner
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), inner)


def _closing(raw: str, quote: str) -> int:
    """Where the quote that opens ``raw`` closes (a double quote may be escaped), else -1."""
    index = 1
    while index < len(raw):
        if raw[index] == "\\" and quote == '"':
            index += 2
            continue
        if raw[index] == quote:
            return index
        index += 1
    return -1
