"""``polyinfra check`` (and ``lint``) findings as markdown: the counts per level on one line,
then errors, warnings and information, one bullet per finding with its position (a link with
a link base), rule, message and hint; past :data:`SHOWN` findings of one level the rest fold.

Messages and hints go through the same :class:`~polyinfra.redact.Redactor` as every other
format; no source line is ever shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from polyinfra import markdown as md
from polyinfra.checks.problem import Level, Problem
from polyinfra.redact import Redactor
from polyinfra.review.where import relative

#: Findings of one level shown before the rest fold.
SHOWN = 10
_TITLES = {Level.ERROR: "Errors", Level.WARNING: "Warnings", Level.INFO: "Information"}


def check_markdown(
    problems: Sequence[Problem],
    *,
    command: str = "check",
    scope: str = "",
    root: Path | None = None,
    link_base: str | None = None,
    secrets: Iterable[str] = (),
) -> str:
    """The findings of ``polyinfra <command>`` over ``scope`` (e.g. the environments) as one
    markdown string; positions relative to ``root``, linked under ``link_base`` when given."""
    redact = Redactor(frozenset(secrets))
    heading = f"### polyinfra {command}" + (f": {md.escape(redact(scope))}" if scope else "")
    counts = ", ".join(
        _count(sum(1 for p in problems if p.level == level), level.label)
        for level in sorted(Level, reverse=True)
    )
    blocks = [heading, f"{counts}." if problems else "No problems."]
    for level in sorted(Level, reverse=True):
        found = [p for p in problems if p.level == level]
        if not found:
            continue
        bullets = [_bullet(p, root, link_base, redact) for p in found]
        block = f"#### {_TITLES[level]} ({len(found)})\n\n" + "\n".join(bullets[:SHOWN])
        if len(bullets) > SHOWN:
            rest = len(bullets) - SHOWN
            block += "\n\n" + md.fold(
                f"{rest} more {_noun(rest, level)}", "\n".join(bullets[SHOWN:])
            )
        blocks.append(block)
    return "\n\n".join(blocks) + "\n"


def _bullet(problem: Problem, root: Path | None, link_base: str | None, redact: Redactor) -> str:
    pos = problem.position
    where = md.position(relative(pos.file, root), pos.line, link_base)
    text = (
        f"- **{problem.level.label}** {where} {md.code(problem.rule)}: "
        f"{md.escape(redact(problem.message))}"
    )
    if problem.hint:
        text += f" (hint: {md.escape(redact(problem.hint))})"
    return text


def _noun(number: int, level: Level) -> str:
    """``error``/``errors``, as the text report counts them."""
    return level.label + ("" if number == 1 else "s")


def _count(number: int, label: str) -> str:
    return f"{number} {label}{'' if number == 1 else 's'}"
