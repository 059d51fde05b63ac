"""GitHub-flavoured markdown pieces for reports people read in a pull request or a step
summary: escaped text, code spans, tables, ``<details>`` folds and links to file positions.

Every function takes text as it is and returns markdown that shows that text, nothing more:
no character of the input becomes emphasis, a link, an HTML tag or a table column.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

#: Characters that start or end markdown syntax in running text (CommonMark's backslash
#: escapes), and ``|``, which ends a table cell in GFM.
_SPECIAL = re.compile(r"([\\`*_\[\]|~#!$])")
_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
#: What GitHub turns into a link or a notification in text: ``@name`` (a mention), ``#12`` and
#: ``GH-12`` (issue references), ``https://…`` and ``www.…`` (autolinks); an empty HTML comment
#: after the first characters breaks each.
_REFERENCE = re.compile(
    r"(@(?=[A-Za-z0-9])|#(?=[0-9])|\bGH-(?=[0-9])|\b(?:https?|ftp)(?=:)|\bwww(?=\.))", re.I
)


def escape(text: str) -> str:
    """``text`` shown literally in running text: markdown punctuation backslash-escaped,
    ``<``, ``>`` and ``&`` as HTML entities (so nothing reads as a tag), line breaks as spaces
    (so a bullet or a table cell stays one line), and an empty HTML comment after an ``@`` or
    a ``#`` that GitHub would read as a mention (notifying someone) or an issue reference
    (linking that issue back to the pull request).

    >>> print(escape("a_b *c* <d> [e](f) | g"))
    a\\_b \\*c\\* &lt;d&gt; \\[e\\](f) \\| g
    >>> print(escape("ask @data-eng about #12"))
    ask @<!-- -->data-eng about \\#<!-- -->12
    >>> print(escape("see https://x.example or www.x.example, GH-7, $x$"))
    see https<!-- -->://x.example or www<!-- -->.x.example, GH-<!-- -->7, \\$x\\$
    """
    text = html.escape(_BREAKS.sub(" ", text), quote=False)
    return _REFERENCE.sub(r"\1<!-- -->", _SPECIAL.sub(r"\\\1", text))


def cell(text: str) -> str:
    """``text`` escaped for a table cell: each line escaped, lines joined by ``<br>``."""
    return "<br>".join(escape(line) for line in _BREAKS.split(text))


def code(text: str, *, in_table: bool = False) -> str:
    """``text`` as a code span, whatever backticks it holds: the fence is one backtick longer
    than its longest run of backticks, padded with a space when the text starts or ends with
    one. Line breaks become spaces; in a table (``in_table``) a ``|`` is escaped, which GFM
    requires even inside a code span.

    >>> code("a`b"), code("`x`")
    ('``a`b``', '`` `x` ``')
    """
    text = _BREAKS.sub(" ", text)
    if in_table:
        text = text.replace("|", "\\|")
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if not text:
        return "` `"  # a code span cannot be empty
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A GFM table of cells that are already markdown (see :func:`cell`, :func:`code` with
    ``in_table``). ``align`` has one letter per column: ``l`` (default) or ``r``.

    >>> print(table(["type", "added"], [["`Bucket`", "1"]], align="lr"))
    | type | added |
    | --- | ---: |
    | `Bucket` | 1 |
    """
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {list(row)!r} has {len(row)} cells, not {len(header)}")
    marks = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(header))]
    lines = [_row(header), _row(marks), *(_row(row) for row in rows)]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def fold(summary: str, body: str) -> str:
    """``body`` (markdown) folded under a ``<details>`` whose ``<summary>`` is ``summary``
    (plain text, shown literally). Blank lines around the body let GitHub render it as
    markdown."""
    return (
        f"<details><summary>{html.escape(summary, quote=False)}</summary>\n\n"
        f"{body.rstrip()}\n\n</details>"
    )


def fenced(text: str, language: str = "") -> str:
    """``text`` as a fenced code block, the fence longer than any backtick run in it."""
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


class LinkBaseError(ValueError):
    """A ``--link-base`` that is not an http(s) URL."""


def link_base(value: str) -> str:
    """``value`` checked as the base of links to files (``https://host/OWNER/REPO/blob/SHA``):
    an http or https URL with a host, no query, fragment or whitespace; a trailing ``/`` is
    dropped.

    >>> link_base("https://github.com/acme/repo/blob/abc123/")
    'https://github.com/acme/repo/blob/abc123'
    """
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or re.search(r"\s", value)
    ):
        raise LinkBaseError(
            f"{value!r} is not an http(s) URL without query or fragment "
            "(e.g. https://github.com/OWNER/REPO/blob/SHA)"
        )
    return value.rstrip("/")


def position(path: str, line: int = 0, base: str | None = None) -> str:
    """A file position: ``path:line`` as a code span, a link to ``base/path#Lline`` with a
    ``base`` (``path`` is relative to the folder ``base`` shows, posix-style).

    >>> position("infra/Pulumi.sandbox.yaml", 12)
    '`infra/Pulumi.sandbox.yaml:12`'
    >>> position("a b.yaml", 3, "https://example.com/blob/x")
    '[`a b.yaml:3`](https://example.com/blob/x/a%20b.yaml#L3)'
    """
    label = code(f"{path}:{line}" if line else path)
    if base is None:
        return label
    url = f"{base}/{quote(path, safe='/')}" + (f"#L{line}" if line else "")
    return f"[{label}]({url})"
