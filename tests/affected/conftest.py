"""Real git repositories built in tmp_path, and running `polyinfra affected` on them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "data-platform"
POLY = REPO_ROOT / ".venv" / "bin" / "poly"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    """A git repository holding a workspace, edited and committed by tests."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str) -> str:
        completed = subprocess.run(
            ["git", "-C", str(self.root), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **GIT_ENV},
            check=True,
        )
        return completed.stdout.strip()

    def init(self) -> Repo:
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")
        return self

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.sha()

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def append(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def remove(self, rel: str) -> None:
        self.git("rm", "-r", "-q", rel)

    def move(self, old: str, new: str) -> None:
        self.git("mv", old, new)


def copy_example(target: Path, *, workflows: bool = False) -> Path:
    """A copy of the example workspace; without its generated workflows unless asked, so
    tests of `ci generate` start from a workspace that has none."""
    shutil.copytree(
        EXAMPLE,
        target,
        ignore=shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache", "*.pyc"),
    )
    if not workflows:
        shutil.rmtree(target / ".github", ignore_errors=True)
    return target


@pytest.fixture
def example_repo(tmp_path: Path) -> Repo:
    """The example workspace committed as the first commit of a fresh repository."""
    repo = Repo(copy_example(tmp_path / "ws")).init()
    repo.commit("initial")
    return repo


class Runner:
    """Runs the CLI in-process and captures what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from polyinfra.cli.main import main

        self.capsys.readouterr()
        code = main(list(args))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, repo: Repo, *args: str) -> dict[str, Any]:
        code, out, err = self("affected", "-w", str(repo.root), "--format", "json", *args)
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        return data


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(capsys)


@pytest.fixture
def no_github_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)


def poly_diff(repo: Repo, since: str, *flags: str) -> tuple[int, str]:
    """Real `poly diff --since REF --short` output (comma-separated names) and exit code."""
    completed = subprocess.run(
        [str(POLY), "diff", "--since", since, "--short", *flags],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    return completed.returncode, completed.stdout.strip()


def reason(path: str, why: str) -> dict[str, str]:
    return {"path": path, "why": why}


def answer(
    repo: Repo,
    base_ref: str,
    *,
    merge_base: str,
    everything: bool = False,
    everything_reasons: list[dict[str, str]] | None = None,
    stacks: list[dict[str, Any]] | None = None,
    bricks: list[dict[str, Any]] | None = None,
    projects: list[dict[str, Any]] | None = None,
    apps: list[dict[str, Any]] | None = None,
    removed: dict[str, list[dict[str, Any]]] | None = None,
    ignored: list[dict[str, str]] | None = None,
    env: str | None = None,
) -> dict[str, Any]:
    """The whole expected JSON document, every key spelled out by the caller or empty."""
    return {
        "base": base_ref,
        "head": "HEAD",
        "merge_base": merge_base,
        "head_commit": repo.sha(),
        "env": env,
        "everything": everything,
        "everything_reasons": everything_reasons or [],
        "foundation": {
            "changed": bool(stacks) or bool((removed or {}).get("stacks")),
            "stacks": stacks or [],
        },
        "bricks": bricks or [],
        "projects": projects or [],
        "apps": apps or [],
        "removed": {"projects": [], "apps": [], "stacks": [], **(removed or {})},
        "ignored": ignored or [],
    }
