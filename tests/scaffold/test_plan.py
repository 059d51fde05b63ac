"""How a plan of file operations reads, with and without --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.scaffold.plan import Action, FileOperation, Plan
from tests.scaffold.conftest import snapshot

ROOT = Path("/ws")


def plan() -> Plan:
    return Plan(
        (
            FileOperation(ROOT / "infrastructure/a.yaml", Action.CREATE, ""),
            FileOperation(ROOT / "pyproject.toml", Action.UPDATE, "", "exclude += ['x']"),
            FileOperation(ROOT / "infrastructure/b.yaml", Action.REPLACE, ""),
            FileOperation(ROOT / "infrastructure/c.yaml", Action.SKIP, "", "exists"),
            FileOperation(ROOT / "infrastructure/d.yaml", Action.UNCHANGED, ""),
        )
    )


def test_lines() -> None:
    assert plan().lines(ROOT) == [
        "create    infrastructure/a.yaml",
        "update    pyproject.toml  (exclude += ['x'])",
        "replace   infrastructure/b.yaml",
        "skip      infrastructure/c.yaml  (exists)",
        "unchanged infrastructure/d.yaml",
    ]


def test_dry_run_lines_say_would_only_for_writes() -> None:
    assert plan().lines(ROOT, dry_run=True) == [
        "would create    infrastructure/a.yaml",
        "would update    pyproject.toml  (exclude += ['x'])",
        "would replace   infrastructure/b.yaml",
        "skip            infrastructure/c.yaml  (exists)",
        "unchanged       infrastructure/d.yaml",
    ]


def test_init_dry_run_on_an_initialised_workspace(
    acme: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "-w", str(acme)]) == 0
    before = snapshot(acme)
    capsys.readouterr()

    assert main(["init", "--dry-run", "-w", str(acme)]) == 0

    assert snapshot(acme) == before
    lines = capsys.readouterr().out.splitlines()
    assert "unchanged       infrastructure/pulumi/Pulumi.yaml" in lines
    assert all(line.startswith("unchanged       infrastructure/") for line in lines[:-1]), lines
    # no uv.lock yet (uv is not on the tests' PATH): a real run would make it
    assert lines[-1] == (
        "would lock      infrastructure/uv.lock  (uv lock --directory infrastructure)"
    )
