"""The example workspace ships the workflows `polyinfra ci generate` writes for it."""

from __future__ import annotations

from polyinfra.ci import generate
from polyinfra.workspace import Workspace
from tests.conftest import EXAMPLE


def test_bundled_workflows_are_current() -> None:
    result = generate(Workspace.discover(EXAMPLE), dry_run=True)
    assert {(p.rel, p.action) for p in result.planned} == {
        (".github/workflows/check.yaml", "unchanged"),
        (".github/workflows/infrastructure-provision.yaml", "unchanged"),
        (".github/workflows/deploy.yaml", "unchanged"),
        (".github/workflows/sandbox-deploy.yaml", "unchanged"),
    }
    assert result.written == ()
