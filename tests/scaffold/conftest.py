"""Workspaces made by the real `poly` (polylith-cli), copied per test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

POLY = Path(sys.executable).parent / "poly"

ROOT_PYPROJECT = """\
[build-system]
requires = ["hatchling", "hatch-polylith-bricks"]
build-backend = "hatchling.build"

[project]
name = "acme"
version = "0.1.0"
requires-python = "~=3.13.0"
dependencies = []

# Every folder with a pyproject.toml is a member
[tool.uv.workspace]
members = ["projects/*", "*"]

[tool.hatch.build]
dev-mode-dirs = ["components", "bases", "development", "."]
"""


def poly(cwd: Path, *args: str) -> None:
    subprocess.run([str(POLY), *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`poly create workspace --name acme --theme loose` plus bricks and three projects, each
    listing its base and the log component."""
    root = tmp_path_factory.mktemp("acme-template") / "acme"
    root.mkdir()
    poly(root, "create", "workspace", "--name", "acme", "--theme", "loose")
    (root / "pyproject.toml").write_text(ROOT_PYPROJECT, encoding="utf-8")
    poly(root, "create", "component", "--name", "log")
    for base in ("api", "ingest", "hook"):
        poly(root, "create", "base", "--name", base)
    for project in ("api", "ingest", "hook"):
        poly(root, "create", "project", "--name", project, "--quiet")
        # each project runs its base and the log component, as a developer lists them
        pyproject = root / "projects" / project / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        assert text.rstrip().endswith("[tool.polylith.bricks]"), text
        bricks = f'"../../bases/acme/{project}" = "acme/{project}"\n'
        bricks += '"../../components/acme/log" = "acme/log"\n'
        pyproject.write_text(text.rstrip() + "\n" + bricks, encoding="utf-8")
    return root


@pytest.fixture
def acme(acme_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the poly-made workspace."""
    return Path(shutil.copytree(acme_template, tmp_path / "acme"))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative posix path -> bytes)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
