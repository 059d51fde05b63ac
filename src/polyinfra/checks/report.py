"""Problems as text (with the offending line), JSON, SARIF 2.1.0 or GitHub annotations.

Every format goes through one :class:`~polyinfra.redact.Redactor` here, at the boundary: no
message, hint or source excerpt reaches the output with a credential-shaped value or a value
the workspace marks secret in it, whichever rule built it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from polyinfra import __version__
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import Rule, area
from polyinfra.redact import Redactor
from polyinfra.yamlio.text import NOT_TEXT, read_quietly

#: ``markdown`` is rendered by :func:`polyinfra.review.check_markdown`, a layer up.
FORMATS = ("text", "json", "sarif", "github", "markdown")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/polyinfra/polyinfra"
_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}
_GITHUB_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (default: the current folder) when inside it, posix-style."""
    base = (root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _line(path: Path, number: int, cache: dict[Path, list[str]]) -> str | None:
    if path not in cache:
        data = read_quietly(path)  # a regular file within the size limit, else no excerpt
        text = data.decode("utf-8", errors="replace") if data is not None else ""
        cache[path] = NOT_TEXT.sub(_visible, text).splitlines()
    lines = cache[path]
    return lines[number - 1] if 1 <= number <= len(lines) else None


#: The widest excerpt printed: a longer line (minified JSON, a generated manifest) is cut to a
#: window around the column, with "…" where text was left out.
EXCERPT_WIDTH = 160


def _window(source: str, col: int) -> tuple[str, int]:
    """``source`` cut to :data:`EXCERPT_WIDTH` characters around ``col`` (1-based; 0 for no
    column), and the column within what is kept."""
    if len(source) <= EXCERPT_WIDTH:
        return source, col
    start = max(0, min(col - 1 - EXCERPT_WIDTH // 2, len(source) - EXCERPT_WIDTH))
    kept = source[start : start + EXCERPT_WIDTH]
    prefix = "…" if start else ""
    suffix = "…" if start + EXCERPT_WIDTH < len(source) else ""
    return f"{prefix}{kept}{suffix}", (col - start + len(prefix)) if col else 0


def _visible(match: re.Match[str]) -> str:
    """A control character as one printable character (its Unicode control picture, like
    U+2400 for NUL), so the terminal shows it and the caret stays in its column."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def _location(problem: Problem, root: Path | None) -> str:
    pos = problem.position
    text = display_path(pos.file, root)
    if pos.line:
        text += f":{pos.line}"
        if pos.col:
            text += f":{pos.col}"
    return text


def render_text(
    problems: Sequence[Problem], *, root: Path | None = None, secrets: Iterable[str] = ()
) -> str:
    """``file:line:col: level: message [rule-id]``, then the source line and a caret."""
    redact = Redactor(frozenset(secrets))
    cache: dict[Path, list[str]] = {}
    out: list[str] = []
    for problem in problems:
        pos = problem.position
        out.append(
            f"{_location(problem, root)}: {problem.level.label}: {redact(problem.message)} "
            f"[{problem.rule}]"
        )
        source = _line(pos.file, pos.line, cache) if pos.line else None
        col = pos.col
        if source is not None and problem.sensitive:
            # the value may be a secret: show the line up to it only
            source = source[: max(pos.col - 1, 0)] + "<redacted>"
        if source is not None:
            source, col = redact.with_column(source, col)
            source, col = _window(source, col)
            out.append(f"  {source}")
            if col:
                # keep tabs so the caret lines up under the column in a terminal
                pad = "".join(c if c == "\t" else " " for c in source[: col - 1])
                out.append(f"  {pad}^")
        if problem.hint:
            out.append(f"  hint: {redact(problem.hint)}")
    if problems:
        counts = {level: sum(1 for p in problems if p.level == level) for level in Level}
        parts = [
            f"{n} {level.label}{'s' if n != 1 else ''}"
            for level, n in sorted(counts.items(), reverse=True)
            if n
        ]
        out.append(
            f"Found {len(problems)} problem{'s' if len(problems) != 1 else ''} "
            f"({', '.join(parts)})."
        )
    return "\n".join(out)


def _problem_dict(problem: Problem, root: Path | None, redact: Redactor) -> dict[str, Any]:
    pos = problem.position
    return {
        "file": display_path(pos.file, root),
        "line": pos.line,
        "col": pos.col,
        "level": problem.level.label,
        "rule": problem.rule,
        "message": redact(problem.message),
        "hint": redact(problem.hint) if problem.hint is not None else None,
    }


def render_json(
    problems: Sequence[Problem], *, root: Path | None = None, secrets: Iterable[str] = ()
) -> str:
    """A JSON list of ``{file, line, col, level, rule, message, hint}``."""
    redact = Redactor(frozenset(secrets))
    return json.dumps([_problem_dict(p, root, redact) for p in problems], indent=2)


def _first_paragraph(doc: str | None) -> str:
    text = (doc or "").strip()
    return " ".join(text.split("\n\n")[0].split())


def render_sarif(
    problems: Sequence[Problem],
    rules: Sequence[Rule],
    *,
    root: Path | None = None,
    secrets: Iterable[str] = (),
) -> str:
    """A SARIF 2.1.0 log with one run: the rules that ran and their results."""
    redact = Redactor(frozenset(secrets))
    ids = [rule.ID for rule in rules]
    driver_rules = [
        {
            "id": rule.ID,
            "name": rule.ID.replace("/", "-"),
            "shortDescription": {"text": _first_paragraph(rule.__doc__)},
            "fullDescription": {"text": (rule.__doc__ or "").strip()},
            "helpUri": f"{INFORMATION_URI}/blob/main/docs/rules.md#{_anchor(rule.ID)}",
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.LEVEL]},
            "properties": {"area": area(rule)},
        }
        for rule in rules
    ]
    results = []
    for problem in problems:
        pos = problem.position
        region: dict[str, int] = {}
        if pos.line:
            region["startLine"] = pos.line
            if pos.col:
                region["startColumn"] = pos.col
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": display_path(pos.file, root), "uriBaseId": "%SRCROOT%"}
        }
        if region:
            physical["region"] = region
        text = redact(problem.message + (f" ({problem.hint})" if problem.hint else ""))
        result: dict[str, Any] = {
            "ruleId": problem.rule,
            "level": _SARIF_LEVEL[problem.level],
            "message": {"text": text},
            "locations": [{"physicalLocation": physical}],
        }
        if problem.rule in ids:
            result["ruleIndex"] = ids.index(problem.rule)
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "polyinfra",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": driver_rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _anchor(rule_id: str) -> str:
    return rule_id.replace("/", "").lower()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(
    problems: Sequence[Problem], *, root: Path | None = None, secrets: Iterable[str] = ()
) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…,col=…,title=…::message``."""
    redact = Redactor(frozenset(secrets))
    out = []
    for problem in problems:
        pos = problem.position
        props = [f"file={_escape_property(display_path(pos.file, root))}"]
        if pos.line:
            props.append(f"line={pos.line}")
            if pos.col:
                props.append(f"col={pos.col}")
        props.append(f"title={_escape_property(problem.rule)}")
        message = redact(problem.message + (f" (hint: {problem.hint})" if problem.hint else ""))
        out.append(f"::{_GITHUB_COMMAND[problem.level]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(out)


def render(
    problems: Sequence[Problem],
    rules: Sequence[Rule],
    output_format: str,
    *,
    root: Path | None = None,
    secrets: Iterable[str] = (),
) -> str:
    """Dispatch on ``output_format`` (one of :data:`FORMATS` but ``markdown``, which the
    commands render with :mod:`polyinfra.review`). ``secrets``: values the
    workspace marks secret (see :func:`polyinfra.redact.workspace_secrets`), redacted with
    every credential-shaped value in every format."""
    if output_format == "text":
        return render_text(problems, root=root, secrets=secrets)
    if output_format == "json":
        return render_json(problems, root=root, secrets=secrets)
    if output_format == "sarif":
        return render_sarif(problems, rules, root=root, secrets=secrets)
    if output_format == "github":
        return render_github(problems, root=root, secrets=secrets)
    raise ValueError(f"unknown format {output_format!r}")
