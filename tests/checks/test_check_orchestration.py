"""``check_workspace``: environments, missing stacks and programs, phases and their timings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import area
from polyinfra.errors import UserError
from polyinfra.positions import Position
from tests.conftest import EXAMPLE, write_tree


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return copy


def test_every_environment_is_checked_and_each_app_rendered_once() -> None:
    result = check_workspace(EXAMPLE)
    assert result.environments == ("production", "sandbox")
    assert result.rendered == 6  # 3 apps x 2 environments
    assert result.problems == []
    assert result.exit_code() == 0
    assert set(result.timings.seconds) == {"workspace", "stacks", "pulumi", "kustomize", "rules"}
    assert all(seconds > 0 for seconds in result.timings.seconds.values())
    assert result.timings.total == pytest.approx(sum(result.timings.seconds.values()))
    assert result.timings.wall > 0


def test_no_plan_when_no_rule_needs_one() -> None:
    result = check_workspace(EXAMPLE, select=["workspace", "crossstack/namespace-project"])
    assert result.timings.seconds["pulumi"] == 0.0
    assert {area(rule) for rule in result.rules} == {"workspace", "crossstack"}
    result = check_workspace(EXAMPLE, select=["crossstack/secret-readable"])
    assert result.timings.seconds["pulumi"] > 0.0


def test_unknown_environment_is_a_usage_error() -> None:
    with pytest.raises(UserError, match=r"--env staging: no overlay or stack file"):
        check_workspace(EXAMPLE, environments=["staging"])


def test_environment_with_a_stack_file_but_no_overlay(root: Path) -> None:
    shutil.copy(
        root / "infrastructure/pulumi/Pulumi.sandbox.yaml",
        root / "infrastructure/pulumi/Pulumi.staging.yaml",
    )
    result = check_workspace(root, select=["config", "crossstack"], plan=False)
    assert "staging" in result.environments
    # its scheduler targets, and its invoker grant names, a job that has no staging overlay
    assert [(p.rule, str(p.position.relative_to(root))) for p in result.problems] == [
        ("crossstack/grant-target", "infrastructure/pulumi/Pulumi.staging.yaml:59:27"),
        ("crossstack/scheduler-target", "infrastructure/pulumi/Pulumi.staging.yaml:92:23"),
    ]


def test_workspace_without_a_pulumi_program(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "ws",
        {
            "workspace.toml": '[tool.polylith]\nnamespace = "ns"\n',
            "infrastructure/pyproject.toml": '[project]\nname = "i"\n'
            'dependencies = ["pulumi", "pulumi-gcp"]\n',
            "infrastructure/cloudrun_job/a/base/kustomization.yaml": "resources: [job.yaml]\n",
            "infrastructure/cloudrun_job/a/base/job.yaml": "apiVersion: run.googleapis.com/v1\n"
            "kind: Job\nmetadata:\n  name: a\n",
            "infrastructure/cloudrun_job/a/overlays/production/kustomization.yaml": (
                "namespace: p\nresources: [../../base]\n"
            ),
        },
    )
    result = check_workspace(root, select=["config"])
    assert [(p.rule, str(p.position.relative_to(root)), p.message) for p in result.problems] == [
        (
            "config/stack-valid",
            "infrastructure/pyproject.toml:1:1",
            "the workspace has no foundation stack: no Pulumi.yaml under infrastructure/ "
            "(environments: production)",
        )
    ]


def test_invalid_stack_file_stops_the_stack_rules_not_the_others(root: Path) -> None:
    stack = root / "infrastructure/pulumi/Pulumi.production.yaml"
    stack.write_text(stack.read_text(encoding="utf-8") + "  oops: [\n", encoding="utf-8")
    result = check_workspace(root)
    assert [(p.rule, p.position.line) for p in result.problems] == [("config/stack-valid", 156)]
    assert result.exit_code() == 1


def test_exit_codes_by_level() -> None:
    result = check_workspace(EXAMPLE, select=["workspace"], plan=False)
    position = Position(EXAMPLE / "pyproject.toml", 1, 1)
    for level, plain, strict in (
        (Level.INFO, 0, 0),
        (Level.WARNING, 0, 1),
        (Level.ERROR, 1, 1),
    ):
        result.problems[:] = [Problem(position, "workspace/x", "m", level)]
        assert (result.exit_code(), result.exit_code(strict=True)) == (plain, strict), level
    result.problems[:] = [
        Problem(position, "workspace/x", "m", Level.ERROR),
        Problem(position, "policy/y", "m", Level.WARNING),
        Problem(position, "policy/z", "m", Level.WARNING),
    ]
    assert result.by_area() == {"policy": 2, "workspace": 1}
    assert (result.count(Level.ERROR), result.count(Level.WARNING)) == (1, 2)


def test_program_failures_are_found_when_only_config_rules_run(root: Path) -> None:
    main = root / "infrastructure/pulumi/__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + "\n1 / 0\n", encoding="utf-8")
    result = check_workspace(root, select=["config"])
    assert result.timings.seconds["pulumi"] > 0
    assert [(p.rule, str(p.position.relative_to(root))) for p in result.problems] == [
        ("config/stack-plans", "infrastructure/pulumi/__main__.py:7")
    ]
