"""What installing polyinfra brings: its declared dependencies, and nothing it dropped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from polyinfra import __version__


def closure(name: str) -> set[str]:
    """Normalised names of ``name`` and every installed distribution it requires, transitively
    (extras and environment markers that do not apply here are left out)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if current in seen:
            continue
        seen.add(current)
        try:
            requires = distribution(current).requires or []
        except PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_the_google_api_discovery_client_is_not_a_dependency() -> None:
    installed = closure("polyinfra")
    assert {"google-auth", "requests", "urllib3"} <= installed
    assert "google-api-python-client" not in installed
    assert "httplib2" not in installed


@pytest.mark.slow
def test_the_wheel_carries_the_package_data_and_metadata(dist: Path) -> None:
    (wheel,) = dist.glob("polyinfra-*.whl")
    (sdist,) = dist.glob("polyinfra-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"polyinfra-{__version__}.dist-info/METADATA").decode()
    assert {
        "polyinfra/cloudrun/run.v1.json",
        "polyinfra/scaffold/templates/stack.yaml.tmpl",
        "polyinfra/py.typed",
        "polyinfra/graph/assets/graph.js",
        "polyinfra/graph/assets/graph.css",
        "polyinfra/graph/assets/dagre/dagre.min.js",
        "polyinfra/graph/assets/dagre/LICENSE",
        "polyinfra/graph/assets/dagre/NOTICE",
    } <= names
    assert "License-Expression: MIT" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert sdist.name == f"polyinfra-{__version__}.tar.gz"


@pytest.mark.slow
def test_the_wheel_installs_and_runs(dist: Path, tmp_path: Path) -> None:
    """Installed into a fresh virtual environment (its dependencies from the package index),
    the wheel's `polyinfra` runs."""
    (wheel,) = dist.glob("polyinfra-*.whl")
    # nothing of this checkout may be visible to the new environment
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    ran = subprocess.run(
        [str(venv / "bin" / "polyinfra"), "--version"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (ran.returncode, ran.stdout) == (0, f"polyinfra {__version__}\n")
