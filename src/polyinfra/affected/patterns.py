"""Path patterns for ``[tool.polyinfra.affected]``: gitignore patterns over posix paths, read
by ``pathspec`` as git reads them (``*``, ``?``, ``[...]`` within one folder, ``**`` across
folders, ``!`` to re-include, a pattern without an inner ``/`` matching at any depth)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pathspec
from pathspec.pattern import Pattern

#: git's own pattern rules, as pathspec implements them.
_GITIGNORE = pathspec.lookup_pattern("gitignore")


@dataclass(frozen=True)
class PathPatterns:
    """A list of gitignore patterns; as in git, the last pattern that matches a path decides,
    and a ``!`` pattern takes it back out.

    >>> PathPatterns(("*.md", "docs/**")).first_match("components/ns/log/README.md")
    '*.md'
    >>> PathPatterns(("docs/**",)).first_match("docs/guide/intro.txt")
    'docs/**'
    >>> PathPatterns(("uv.lock",)).first_match("infrastructure/uv.lock") is None
    False
    >>> PathPatterns(("/uv.lock",)).first_match("infrastructure/uv.lock") is None
    True
    >>> PathPatterns(("pyproject.toml",), anchored=True).first_match("projects/a/pyproject.toml")
    >>> PathPatterns(("docs/**", "!docs/api/**")).first_match("docs/api/index.md")
    >>> PathPatterns(("*.[ch]",)).first_match("src/a.h")
    '*.[ch]'
    """

    patterns: tuple[str, ...]
    anchored: bool = False
    """Every pattern is relative to the workspace root, with or without a leading ``/``."""

    @cached_property
    def _compiled(self) -> tuple[tuple[str, Pattern], ...]:
        compiled = []
        for pattern in self.patterns:
            negated = pattern.startswith("!")
            body = pattern[1:] if negated else pattern
            if self.anchored and not body.startswith("/"):
                body = "/" + body
            compiled.append((pattern, _GITIGNORE(("!" if negated else "") + body)))
        return tuple(compiled)

    def first_match(self, path: str) -> str | None:
        """The pattern that decides ``path`` (the last one matching it, as in git), or None
        when none matches or a ``!`` pattern takes it back out."""
        decided: str | None = None
        for pattern, compiled in self._compiled:
            if compiled.include is None or compiled.match_file(path) is None:
                continue
            decided = pattern if compiled.include else None
        return decided
