"""Reading a JSON file the user wrote (BigQuery schemas, dashboards): UTF-8 and JSON errors at
their line and column, and nesting bounded so a deep document is an error, not a crash.

The depth is measured in one pass over the text before it is parsed (brackets outside
strings), so the limit is reported at the bracket that exceeds it and the work stays linear.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio.document import MAX_DEPTH
from polyinfra.yamlio.text import Bounds, read_text


def load_json_file(
    path: Path, *, bounds: Bounds | None = None, reference: Position | None = None
) -> Any:
    """The data of the JSON file ``path``; :class:`UserError` at the offending position
    (``bounds`` and ``reference``: see :func:`~polyinfra.yamlio.text.read_bytes`)."""
    return load_json_text(read_text(path, bounds=bounds, reference=reference), path)


def load_json_text(text: str, path: Path) -> Any:
    """The data of ``text`` (the JSON of ``path``); :class:`UserError` at the offending
    position for a syntax error or nesting deeper than :data:`MAX_DEPTH`."""
    check_depth(text, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"invalid JSON: {exc.msg}",
            position=Position(path, exc.lineno, exc.colno),
        ) from exc


def check_depth(text: str, path: Path) -> None:
    """UserError at the first ``[`` or ``{`` nested more than :data:`MAX_DEPTH` deep."""
    depth = 0
    in_string = escaped = False
    line, line_start = 1, 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"' or char == "\n":
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise UserError(
                    f"JSON nests more than {MAX_DEPTH} levels deep",
                    position=Position(path, line, index - line_start + 1),
                    hint="a BigQuery schema or dashboard is a few levels deep: check the "
                    "brackets here",
                )
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line, line_start = line + 1, index + 1
