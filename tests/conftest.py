"""Shared fixtures: the bundled example workspace and small tree builders."""

from __future__ import annotations

import os
from pathlib import Path

# No test may reach Google's metadata server: should google-auth look for ambient credentials
# despite the tests' stubs, it skips the GCE check and any metadata address is a closed port
# on loopback. google-auth reads these when it is first imported, so they are set here.
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("GCE_METADATA_HOST", "127.0.0.1:9")
os.environ.setdefault("GCE_METADATA_IP", "127.0.0.1:9")

import shutil

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "data-platform"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Create ``files`` (relative path -> text) under ``root`` and return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


#: Workspaces other people wrote, beside the clone (CI places a copy of shared/ there).
REALREPOS = REPO.parent / "shared" / "realrepos"


def copy_real(name: str, destination: Path) -> Path:
    """A writable copy of the real workspace ``name`` at ``destination`` (skips the test when
    shared/ is absent)."""
    source = REALREPOS / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent (CI places a copy of shared/ beside the clone)")
    shutil.copytree(source, destination)
    for folder, _, files in os.walk(destination):  # the shared copy may be read-only
        os.chmod(folder, 0o755)
        for file in files:
            os.chmod(os.path.join(folder, file), 0o644)
    return destination


def stub_executable(folder: Path, name: str, script: str) -> Path:
    """An executable shell script ``folder/name`` (a stand-in for docker, uv, polyinfra)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}")
    path.chmod(0o755)
    return path


@pytest.fixture
def example_path() -> Path:
    """The bundled example workspace (read-only: copy it before changing anything)."""
    return EXAMPLE


def copy_example(destination: Path) -> Path:
    """A copy of the bundled example at ``destination``, to change freely."""
    shutil.copytree(EXAMPLE, destination, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return destination


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``root/rel`` with ``new``."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the bundled example workspace in ``tmp_path``."""
    return copy_example(tmp_path / "data-platform")


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test has its own cache folder: none reads or fills the user's."""
    monkeypatch.setenv("POLYINFRA_CACHE_DIR", str(tmp_path / ".polyinfra-cache"))


@pytest.fixture(autouse=True)
def _plans_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stacks are planned in this process (where tests can watch and stub the planning), as
    on one CPU; the tests of planning in other processes say otherwise."""
    monkeypatch.setattr("polyinfra.foundation.plan.parallel.usable_cpus", lambda: 1)


@pytest.fixture(autouse=True)
def _no_uv_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`polyinfra init` runs `uv lock` when uv is on PATH (network, time): tests see no uv
    unless they put one there (a stub, or the real one for an end-to-end run)."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    kept = [entry for entry in entries if not (Path(entry) / "uv").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(kept))


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel and an sdist of this checkout, built once per run with `python -m build`."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out
