"""Runs rules over a context: select/ignore, levels, disable comments and settings, sorting."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import Rule, opt_in
from polyinfra.errors import PolyinfraError, UserError
from polyinfra.suggest import did_you_mean
from polyinfra.workspace.settings import RulesSettings
from polyinfra.yamlio.text import read_quietly

# ids separated by commas; anything after them (a reason) is ignored
_IDS = r"([\w./-]+(?:\s*,\s*[\w./-]+)*)"
_DISABLE = re.compile(r"#\s*polyinfra:\s*disable=" + _IDS)
_DISABLE_FILE = re.compile(r"#\s*polyinfra:\s*disable-file=" + _IDS)


def matches(rule_id: str, pattern: str) -> bool:
    """A pattern names one rule (``cloudrun/probe-limits``), a namespace (``cloudrun``) or
    ``all``.

    >>> matches("cloudrun/probe-limits", "cloudrun")
    True
    >>> matches("cloudrun/probe-limits", "cloudrun/probe")
    False
    """
    pattern = pattern.strip()
    return pattern in ("all", rule_id) or rule_id.startswith(pattern.rstrip("/") + "/")


def check_patterns(patterns: Iterable[str], rules: Sequence[Rule], where: str) -> None:
    """UserError for a pattern that names no rule (a typo would silently disable nothing)."""
    ids = [rule.ID for rule in rules]
    bad = [p for p in patterns if not any(matches(i, p) for i in ids)]
    if bad:
        hint = f"run 'polyinfra {_command_of(ids)} --list-rules' to see every rule id"
        errors = [
            UserError(f"{where}: {p!r} names no rule{did_you_mean(p, ids)}", hint=hint) for p in bad
        ]
        raise errors[0] if len(errors) == 1 else UserError("\n".join(e.render() for e in errors))


def _command_of(ids: Sequence[str]) -> str:
    """The command whose ``--list-rules`` lists ``ids``: ``lint`` for lint's rules, else
    ``check`` (which runs every rule)."""
    from polyinfra.checks.registry import LINT_RULES

    lint_ids = {rule.ID for rule in LINT_RULES}
    return "lint" if all(i in lint_ids for i in ids) else "check"


def select_rules(
    rules: Sequence[Rule],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: RulesSettings | None = None,
) -> list[Rule]:
    """The rules that run: all (or those ``select`` names) minus ``ignore`` and disabled ones.

    The settings serve every command, so their patterns may name any rule polyinfra has
    (``lint`` runs with a project's settings that disable a ``check`` rule).
    """
    from polyinfra.checks.registry import ALL_RULES

    settings = settings or RulesSettings()
    check_patterns(select, rules, "--select")
    check_patterns(ignore, rules, "--ignore")
    known = (*rules, *(rule for rule in ALL_RULES if rule not in rules))
    check_patterns(settings.disable, known, "[tool.polyinfra.rules] disable")
    check_patterns(settings.levels, known, "[tool.polyinfra.rules] levels")
    chosen = _filter(rules, select, ignore, settings)
    return [r for r in chosen if not opt_in(r) or r.ID in (*select, *settings.levels)]


def _filter(
    rules: Sequence[Rule], select: Sequence[str], ignore: Sequence[str], settings: RulesSettings
) -> list[Rule]:
    chosen = []
    for rule in rules:
        if select and not any(matches(rule.ID, p) for p in select):
            continue
        if any(matches(rule.ID, p) for p in (*ignore, *settings.disable)):
            continue
        chosen.append(rule)
    return chosen


def level_of(rule: Rule, settings: RulesSettings) -> Level:
    """The rule's level: the most specific ``levels`` entry, else its default ``LEVEL``."""
    best: tuple[int, Level] | None = None
    for pattern, name in settings.levels.items():
        if matches(rule.ID, pattern):
            specificity = len(pattern) if pattern != "all" else 0
            if best is None or specificity > best[0]:
                best = (specificity, Level.parse(name))
    return best[1] if best else rule.LEVEL


class _Disables:
    """Disable comments, read once per file from the file the problem points at."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str]] = {}
        self._file_wide: dict[Path, set[str]] = {}

    def _load(self, path: Path) -> list[str]:
        if path not in self._lines:
            data = read_quietly(path)
            try:
                lines = data.decode("utf-8").splitlines() if data is not None else []
            except UnicodeDecodeError:
                lines = []
            self._lines[path] = lines
            wide: set[str] = set()
            for line in lines:
                for found in _DISABLE_FILE.finditer(line):
                    wide.update(_ids(found.group(1)))
            self._file_wide[path] = wide
        return self._lines[path]

    def disabled(self, problem: Problem) -> bool:
        path = problem.position.file
        lines = self._load(path)
        if any(matches(problem.rule, p) for p in self._file_wide[path]):
            return True
        line = problem.position.line
        if not 1 <= line <= len(lines):
            return False
        candidates = [lines[line - 1]]
        # the line above counts only when it is a comment of its own, so a disable written at
        # the end of one field does not also silence the next one
        if line >= 2 and lines[line - 2].lstrip().startswith("#"):
            candidates.append(lines[line - 2])
        for text in candidates:
            for found in _DISABLE.finditer(text):
                if any(matches(problem.rule, p) for p in _ids(found.group(1))):
                    return True
        return False


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def run(
    ctx: CheckContext,
    rules: Sequence[Rule],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: RulesSettings | None = None,
) -> list[Problem]:
    """Run the selected rules over ``ctx``; problems get their levels, disables apply, sorted.

    ``settings`` defaults to ``ctx.settings``. Duplicate problems (one overlay line reached
    through several rendered objects) are reported once.
    """
    settings = settings or ctx.settings
    # ``rules`` may already be a selection (select_rules): settings patterns were checked
    # against every rule there, so only the patterns given here are checked against ``rules``
    check_patterns(select, rules, "--select")
    check_patterns(ignore, rules, "--ignore")
    disables = _Disables()
    found: set[Problem] = set()
    for rule in _filter(rules, select, ignore, settings):
        level = level_of(rule, settings)
        for problem in rule.check(ctx):
            if problem.rule != rule.ID:
                raise PolyinfraError(f"rule {rule.ID} reported a problem as {problem.rule}")
            if disables.disabled(problem):
                continue
            found.add(dataclasses.replace(problem, level=level))
    return sorted(found, key=_sort_key)


def _sort_key(problem: Problem) -> tuple[object, ...]:
    # hints may be None: keep them out of the comparison's way
    return (problem.position, problem.rule, problem.message, problem.level, problem.hint or "")


def worst(problems: Iterable[Problem]) -> Level | None:
    """The highest level among ``problems``, None when there are none."""
    return max((p.level for p in problems), default=None)
