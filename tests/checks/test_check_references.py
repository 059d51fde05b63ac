"""`polyinfra check` on a three-stack workspace: the services stack's cross-stack references
are resolved from the platform's plan, so the cross-stack rules compare resolved values."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace
from tests.conftest import edit
from tests.foundation.three_stack import PLATFORM, SERVICES, three_stack_workspace


def test_cross_stack_rules_see_resolved_values(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws", registry_in_platform=False)
    assert check_workspace(root / SERVICES).problems == []
    # the project now comes out of the platform stack as another one: every rule comparing
    # the overlays with gcp:project sees the resolved value
    edit(
        root,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "gcp:project: data-platform-sandbox",
        "gcp:project: acme-sandbox",
    )
    problems = check_workspace(root / SERVICES).problems
    namespace = [p for p in problems if p.rule == "crossstack/namespace-project"]
    assert [p.message for p in namespace if "stock-webhook" in p.message] == [
        "overlay 'sandbox' of stock-webhook deploys to namespace 'data-platform-sandbox', but "
        "infrastructure/pulumi/services/Pulumi.sandbox.yaml sets gcp:project 'acme-sandbox'"
    ]


def test_a_bad_reference_is_a_problem_at_its_line(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws", registry_in_platform=False)
    edit(root, f"{SERVICES}/Pulumi.sandbox.yaml", "${platform.gcp_project}", "${platform.project}")
    stack = root / SERVICES / "Pulumi.sandbox.yaml"
    problems = [p for p in check_workspace(root / SERVICES).problems if p.position.file == stack]
    assert [(p.position.line, p.position.col, p.message, p.hint) for p in problems] == [
        (
            4,
            16,
            "reference '${platform.project}': platform has no output 'project'",
            "did you mean 'projects'? outputs of platform: environment, gcp_project, projects",
        )
    ]
