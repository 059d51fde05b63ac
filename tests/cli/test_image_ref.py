"""`polyinfra image-ref`: the reference scripts use, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import edit

SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"


def test_one_reference_per_app_in_the_order_given(
    example_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["image-ref", "stock-webhook", "inventory-api", "--env", "sandbox", "--version", "2.0.1",
         "-w", str(example_path)]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "asia-southeast1-docker.pkg.dev/data-platform-sandbox/stock-webhook/stock-webhook:2.0.1",
        "asia-southeast1-docker.pkg.dev/data-platform-sandbox/inventory-api/inventory-api:2.0.1",
    ]


def test_every_app_that_has_none_is_reported(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX_STACK, "repository_id: inventory-api", "repository: inventory-api")
    code = main(
        ["image-ref", "inventory-api", "stock-webhook", "--env", "staging", "--version", "1",
         "-w", str(root)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert (
        "inventory-api has no overlay for environment 'staging' (it has: production, sandbox)"
        in err
    )
    assert "stock-webhook has no overlay for environment 'staging'" in err

    code = main(
        ["image-ref", "inventory-api", "--env", "sandbox", "--version", "1", "-w", str(root)]
    )
    assert code == 2
    assert "inventory-api (sandbox): project 'inventory-api' under input:projects in " in (
        capsys.readouterr().err
    )
