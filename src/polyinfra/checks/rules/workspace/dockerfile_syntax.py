"""Dockerfile text as the reference reads it: instructions (line continuations with the escape
character, comment lines dropped inside them, the ``# escape=`` directive, heredocs),
``ARG``/``ENV`` substitution, the posix paths of the image, and the words and simple commands
of a shell script. Nothing here fails: text it cannot read gives nothing."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polyinfra.positions import Position

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VARIABLE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), its arguments with continuations joined and
    comment lines dropped, the bodies of its heredocs, and where it starts."""

    keyword: str
    arguments: str
    heredocs: tuple[str, ...]
    position: Position


def instructions(text: str, path: Path) -> list[Instruction]:
    """The instructions of ``text``, each at the line and column of its keyword."""
    lines = text.splitlines()
    escape = "\\"
    number = 0
    # parser directives: comment lines of the form `# name=value` before anything else
    while number < len(lines):
        found = _DIRECTIVE.match(lines[number].strip())
        if not found:
            break
        if found.group(1).lower() == "escape" and found.group(2) in ("\\", "`"):
            escape = found.group(2)
        number += 1
    found_instructions: list[Instruction] = []
    while number < len(lines):
        line = lines[number]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            number += 1
            continue
        start, col = number, len(line) - len(line.lstrip()) + 1
        parts: list[str] = []
        text_line = line.rstrip()
        while text_line.endswith(escape) and number + 1 < len(lines):
            parts.append(text_line[: -len(escape)])
            number += 1
            # comment and empty lines inside a continued instruction are dropped
            while number + 1 < len(lines) and (
                not lines[number].strip() or lines[number].lstrip().startswith("#")
            ):
                number += 1
            text_line = lines[number].rstrip()
        if text_line.endswith(escape):
            text_line = text_line[: -len(escape)]
        parts.append(text_line)
        number += 1
        joined = " ".join(part.strip() for part in parts).strip()
        keyword, _, arguments = joined.partition(" ")
        heredocs: list[str] = []
        for marker in _HEREDOC.finditer(arguments):
            strip_tabs, word = marker.group(1) == "-", marker.group(3)
            body: list[str] = []
            while number < len(lines):
                current = lines[number].lstrip("\t") if strip_tabs else lines[number]
                number += 1
                if current.strip() == word:
                    break
                body.append(current)
            heredocs.append("\n".join(body))
        position = Position(path, start + 1, col)
        found_instructions.append(
            Instruction(keyword.upper(), arguments.strip(), tuple(heredocs), position)
        )
    return found_instructions


def substitute(text: str, variables: dict[str, str | None]) -> str:
    """``$NAME``, ``${NAME}``, ``${NAME:-word}`` and ``${NAME:+word}`` replaced; a variable
    with no value (an ``ARG`` without default, set only by ``--build-arg``) becomes ``*``, so
    paths that use it still match as patterns.

    >>> substitute("/code/$wheel ${deps:-req.txt} ${tag}", {"wheel": "a.whl", "tag": None})
    '/code/a.whl req.txt *'
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        current = variables.get(name)
        operator, word = match.group(2), match.group(3) or ""
        if operator == ":-":
            return current if current else substitute(word, variables)
        if operator == "-":
            return current if current is not None else substitute(word, variables)
        if operator == ":+":
            return substitute(word, variables) if current else ""
        if operator == "+":
            return substitute(word, variables) if current is not None else ""
        return current if current is not None else "*"

    return _VARIABLE.sub(value, text)


def normalize(path: str) -> str:
    """A posix path without ``.`` and ``..`` parts or a trailing slash (``.`` stays ``.``)."""
    cleaned = posixpath.normpath(path) if path else "."
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it (both absolute and normalized); either may
    be a glob pattern (``/code/*.whl``, or ``/code/*`` where a variable had no value)."""
    if path == folder or path.startswith(folder.rstrip("/") + "/"):
        return True
    return any(
        fnmatch.fnmatchcase(name, pattern)
        for name, pattern in ((path, folder), (folder, path), (path, folder + "/*"))
    )


def shell_words(arguments: str) -> list[str]:
    try:
        return shlex.split(arguments, posix=True)
    except ValueError:
        return arguments.split()


def shell_commands(script: str) -> Iterator[list[str]]:
    """The simple commands of a shell script: words between ``&&``, ``||``, ``;``, ``|``."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    current: list[str] = []
    try:
        for token in lexer:
            if token and all(ch in ";&|()<>" for ch in token):
                if current:
                    yield current
                current = []
            else:
                current.append(token)
    except ValueError:
        pass
    if current:
        yield current
