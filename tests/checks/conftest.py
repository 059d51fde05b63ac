"""Rule test helpers: lint a YAML text, or a variant of a known-good manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from polyinfra.checks.context import CheckContext, manifests_from_file
from polyinfra.checks.engine import run
from polyinfra.checks.registry import MANIFEST_RULES

DATA = Path(__file__).parent / "data"
GOOD = {"service": DATA / "good-service.yaml", "job": DATA / "good-job.yaml"}

LintText = Callable[..., list[str]]


def variant(kind: str, *edits: tuple[str, str]) -> str:
    """The good ``kind`` manifest with each (old, new) text replaced exactly once."""
    text = GOOD[kind].read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not unique in good-{kind}.yaml"
        text = text.replace(old, new)
    return text


@pytest.fixture
def lint_text(tmp_path: Path) -> LintText:
    """``lint_text(text, "rule/id", ...)`` -> ``["line:col level message", ...]``."""

    def lint(text: str, *rules: str) -> list[str]:
        path = tmp_path / "manifest.yaml"
        path.write_text(text, encoding="utf-8")
        manifests, unreadable = manifests_from_file(path)
        ctx = CheckContext(manifests=manifests, unreadable=(unreadable,) if unreadable else ())
        problems = run(ctx, MANIFEST_RULES, select=list(rules))
        return [f"{p.position.line}:{p.position.col} {p.level.label} {p.message}" for p in problems]

    return lint
