"""`polyinfra check` on a three-stack workspace: the services stack's cross-stack references
are resolved from the platform's plan, so the cross-stack rules compare resolved values."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace, read_stacks
from polyinfra.manifests.links import discover_workspace
from tests.conftest import edit
from tests.foundation.three_stack import (
    PLATFORM,
    REGISTRY_URL,
    SERVICES,
    three_stack_workspace,
)


def test_cross_stack_rules_see_resolved_values(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws", registry_in_platform=False)
    assert check_workspace(root / SERVICES).problems == []
    # the services stack's environment comes out of the platform stack: the rules that know
    # production see it as the platform says
    stacks = read_stacks(discover_workspace(root), ["sandbox"])
    assert [s.environment for s in stacks] == ["sandbox", "sandbox"]
    edit(
        root,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "input:environment: sandbox",
        "input:environment: production",
    )
    stacks = read_stacks(discover_workspace(root), ["sandbox"])
    assert [s.environment for s in stacks] == ["production", "production"]
    services = stacks[1]
    assert services.model is not None
    account = services.model.input.projects["stock-webhook"].service_account
    assert account is not None
    assert account.description == (
        f"Runtime identity of the stock-webhook function (images in {REGISTRY_URL})"
    )


def test_a_bad_reference_is_a_problem_at_its_line(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws", registry_in_platform=False)
    edit(
        root, f"{SERVICES}/Pulumi.sandbox.yaml", "${platform.environment}", "${platform.enviroment}"
    )
    stack = root / SERVICES / "Pulumi.sandbox.yaml"
    problems = [p for p in check_workspace(root / SERVICES).problems if p.position.file == stack]
    assert [(p.position.line, p.position.col, p.message, p.hint) for p in problems] == [
        (
            6,
            22,
            "reference '${platform.enviroment}': platform has no output 'enviroment'",
            "did you mean 'environment'? outputs of platform: environment, gcp_project, projects",
        )
    ]
