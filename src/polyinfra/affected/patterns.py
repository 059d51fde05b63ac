"""Path patterns for ``[tool.polyinfra.affected]``: gitignore-like globs over posix paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class PathPatterns:
    """A list of globs. ``*`` and ``?`` stay within one folder, ``**`` spans folders, and a
    pattern without ``/`` matches the file name at any depth (``*.md`` matches ``a/b/c.md``).

    >>> PathPatterns(("*.md", "docs/**")).first_match("components/ns/log/README.md")
    '*.md'
    >>> PathPatterns(("docs/**",)).first_match("docs/guide/intro.txt")
    'docs/**'
    >>> PathPatterns(("uv.lock",)).first_match("infrastructure/uv.lock") is None
    False
    >>> PathPatterns(("/uv.lock",)).first_match("infrastructure/uv.lock") is None
    True
    >>> PathPatterns(("pyproject.toml",), anchored=True).first_match("projects/a/pyproject.toml")
    """

    patterns: tuple[str, ...]
    anchored: bool = False
    """Every pattern is relative to the workspace root, with or without a leading ``/``."""

    @cached_property
    def _compiled(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((pattern, _compile(pattern, self.anchored)) for pattern in self.patterns)

    def first_match(self, path: str) -> str | None:
        """The first pattern that matches ``path``, or None."""
        for pattern, regex in self._compiled:
            if regex.fullmatch(path):
                return pattern
        return None


def _compile(pattern: str, anchored: bool) -> re.Pattern[str]:
    anchored = anchored or pattern.startswith("/")
    body = pattern.lstrip("/")
    if not anchored and "/" not in body:
        body = "**/" + body
    return re.compile(_translate(body))


def _translate(glob: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)
