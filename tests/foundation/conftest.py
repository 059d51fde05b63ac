"""Fixtures: stack files written into a temporary Pulumi program folder."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DMD = FIXTURES / "dmd"


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    """A Pulumi program folder holding the dmd fixture's Pulumi.yaml and BigQuery schema."""
    folder = tmp_path / "pulumi"
    shutil.copytree(DMD, folder)
    (folder / "Pulumi.production.yaml").unlink()
    return folder


WriteStack = Callable[..., Path]


@pytest.fixture
def write_stack(program_dir: Path) -> WriteStack:
    """Write ``Pulumi.<stack>.yaml`` (dedented) into ``program_dir`` and return its path."""

    def write(text: str, stack: str = "sandbox") -> Path:
        path = program_dir / f"Pulumi.{stack}.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
