"""The rule engine: selection, levels, disable comments and settings, sorting, dedupe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyinfra.checks.context import CheckContext, Manifest, manifests_from_file
from polyinfra.checks.engine import level_of, matches, run, select_rules, worst
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import Rule
from polyinfra.errors import PolyinfraError, UserError
from polyinfra.positions import Position
from polyinfra.workspace.settings import RulesSettings


class NamedRule:
    """Reports the value of every ``metadata.name``."""

    ID = "test/name"
    LEVEL = Level.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.manifests:
            yield Problem(
                manifest.position(("metadata", "name"), value=True), self.ID, f"{manifest.name}"
            )


class KindRule:
    """Reports every ``kind`` key."""

    ID = "test/kind"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.manifests:
            yield Problem(manifest.position(("kind",)), self.ID, "kind")


RULES: tuple[Rule, ...] = (NamedRule(), KindRule())


def context(tmp_path: Path, text: str) -> tuple[CheckContext, Path]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    manifests, unreadable = manifests_from_file(path)
    assert unreadable is None
    return CheckContext(manifests=manifests), path


def brief(problems: list[Problem]) -> list[str]:
    return [f"{p.position.line}:{p.position.col} {p.level.label} {p.rule}" for p in problems]


def test_levels_and_sorting(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\nmetadata:\n  name: b\n---\nkind: Job\n")
    assert brief(run(ctx, RULES)) == [
        "1:1 error test/kind",
        "3:9 warning test/name",
        "5:1 error test/kind",
        "5:1 warning test/name",  # no metadata.name: falls back to the document start
    ]


def test_select_and_ignore_accept_ids_and_namespaces(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\nmetadata:\n  name: b\n")
    assert brief(run(ctx, RULES, select=["test/kind"])) == ["1:1 error test/kind"]
    assert brief(run(ctx, RULES, ignore=["test"])) == []
    assert brief(run(ctx, RULES, select=["test"], ignore=["test/kind"])) == [
        "3:9 warning test/name"
    ]


def test_unknown_rule_pattern_is_a_user_error_with_suggestion() -> None:
    expected = r"--ignore: 'test/nmae' names no rule \(did you mean 'test/name'\?\)"
    with pytest.raises(UserError, match=expected):
        select_rules(RULES, ignore=["test/nmae"])
    with pytest.raises(UserError, match=r"\[tool.polyinfra.rules\] disable: 'nope'"):
        select_rules(RULES, settings=RulesSettings(disable=["nope"]))


def test_settings_disable_and_levels(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\nmetadata:\n  name: b\n")
    settings = RulesSettings(disable=["test/kind"], levels={"test": "info"})
    assert brief(run(ctx, RULES, settings=settings)) == ["3:9 info test/name"]
    # the most specific pattern wins
    specific = RulesSettings(levels={"test": "info", "test/name": "error", "all": "warning"})
    assert level_of(NamedRule(), specific) is Level.ERROR
    assert level_of(KindRule(), specific) is Level.INFO
    assert level_of(KindRule(), RulesSettings()) is Level.ERROR


def test_settings_from_context_are_used_by_default(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\n")
    ctx.settings = RulesSettings(disable=["test/name"])
    assert brief(run(ctx, RULES)) == ["1:1 error test/kind"]


def test_disable_comment_on_the_line(tmp_path: Path) -> None:
    ctx, _ = context(
        tmp_path,
        "kind: Service  # polyinfra: disable=test/kind\nmetadata:\n  name: b\n",
    )
    assert brief(run(ctx, RULES)) == ["3:9 warning test/name"]


def test_disable_comment_on_the_line_above_only_when_a_comment_line(tmp_path: Path) -> None:
    ctx, _ = context(
        tmp_path,
        "kind: Service  # polyinfra: disable=test/name\n"
        "metadata:\n"
        "  # polyinfra: disable=test/kind, test/name\n"
        "  name: b\n",
    )
    assert brief(run(ctx, RULES)) == ["1:1 error test/kind"]
    ctx2, _ = context(
        tmp_path,
        "metadata:  # polyinfra: disable=test/name\n  name: b\n",
    )
    assert brief(run(ctx2, (NamedRule(),))) == ["2:9 warning test/name"]


def test_disable_file_comment_and_namespace(tmp_path: Path) -> None:
    ctx, _ = context(
        tmp_path, "# polyinfra: disable-file=test\nkind: Service\nmetadata:\n  name: b\n"
    )
    assert run(ctx, RULES) == []
    ctx2, _ = context(
        tmp_path, "kind: Service\nmetadata:\n  name: b\n# polyinfra: disable-file=test/kind\n"
    )
    assert brief(run(ctx2, RULES)) == ["3:9 warning test/name"]


def test_problems_point_at_the_source_lookup_and_disables_read_that_file(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\nmetadata:\n  name: b\n")
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("a: 1\nb: 2  # polyinfra: disable=test/kind\n")

    def lookup(path: tuple[str | int, ...], *, value: bool = False) -> Position | None:
        if path == ("metadata", "name"):
            return Position(overlay, 1, 4)
        if path == ("kind",):
            return Position(overlay, 2, 1)
        return None

    ctx.manifests = (Manifest(ctx.manifests[0].document, source=lookup),)
    problems = run(ctx, RULES)
    assert [str(p.position) for p in problems] == [f"{overlay}:1:4"]


def test_duplicates_reported_once(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\n")
    ctx.manifests = ctx.manifests * 2
    assert brief(run(ctx, (KindRule(),))) == ["1:1 error test/kind"]


def test_a_rule_reporting_another_id_is_a_bug(tmp_path: Path) -> None:
    class Liar(KindRule):
        ID = "test/liar"

        def check(self, ctx: CheckContext) -> Iterator[Problem]:
            yield Problem(Position(Path("f"), 1, 1), "test/kind", "kind")

    ctx, _ = context(tmp_path, "kind: Service\n")
    with pytest.raises(PolyinfraError, match="rule test/liar reported a problem as test/kind"):
        run(ctx, (Liar(),))


def test_worst_and_matches() -> None:
    p = Position(Path("f"), 1, 1)
    assert worst([]) is None
    assert worst([Problem(p, "a/b", "m", Level.INFO), Problem(p, "a/b", "m", Level.WARNING)]) is (
        Level.WARNING
    )
    assert matches("cloudrun/x", "all")
    assert matches("cloudrun/x", "cloudrun/")
    assert not matches("cloudrunjob/x", "cloudrun")


def test_shared_computes_once() -> None:
    calls: list[int] = []

    def compute(ctx: CheckContext) -> int:
        calls.append(1)
        return 42

    ctx = CheckContext()
    assert ctx.shared(compute) == 42
    assert ctx.shared(compute) == 42
    assert calls == [1]


def test_run_accepts_rules_already_selected_with_settings(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "kind: Service\n")
    settings = RulesSettings(disable=["test/name"], levels={"test/name": "info"})
    chosen = select_rules(RULES, settings=settings)
    assert [r.ID for r in chosen] == ["test/kind"]
    assert brief(run(ctx, chosen, settings=settings)) == ["1:1 error test/kind"]


def test_disable_comment_may_give_a_reason(tmp_path: Path) -> None:
    ctx, _ = context(
        tmp_path,
        "kind: Service  # polyinfra: disable=test/kind, test/name because it is generated\n",
    )
    assert run(ctx, RULES) == []
    ctx, _ = context(tmp_path, "kind: Service  # polyinfra: disable=test/kind because\n")
    assert brief(run(ctx, RULES)) == ["1:1 warning test/name"]
