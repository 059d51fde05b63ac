"""``real`` inside ``resolving``: the answer of ``Path.resolve`` for every kind of path, each
folder read once, and nothing kept once the block ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.realpaths import real, resolving


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "b" / "up").symlink_to("../..")
    (tmp_path / "a" / "b" / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return tmp_path


CASES = [
    "a/b",
    "a/b/file",
    "link/b",
    "link/b/file",
    "link/b/../b",
    "a/b/up/link/b",
    "a/b/up/..",
    "missing/../a",
    "link/missing/x",
    "dangling",
    "dangling/x",
]


@pytest.mark.parametrize("case", CASES)
def test_the_same_answer_as_resolve(tree: Path, case: str) -> None:
    with resolving():
        assert real(tree / case) == (tree / case).resolve()
        assert real(tree / case) == (tree / case).resolve()  # again, from memory


def test_a_relative_path_is_taken_from_the_working_folder(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree / "link")
    with resolving():
        assert real(Path("b/file")) == tree / "a" / "b" / "file"


def test_a_link_loop_is_refused_as_resolve_refuses_it(tree: Path) -> None:
    (tree / "loop").symlink_to(tree / "loop")
    with pytest.raises(RuntimeError, match="Symlink loop"):
        (tree / "loop").resolve()
    with resolving(), pytest.raises(RuntimeError, match="Symlink loop"):
        real(tree / "loop" / "x")


def test_each_folder_is_read_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    lstat = os.lstat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        seen.append(str(path))
        return lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counting)
    with resolving():
        for _ in range(3):
            real(tree / "a" / "b" / "file")
            real(tree / "a" / "b")
    assert len(seen) == len(set(seen))
    assert str(tree / "a" / "b" / "file") in seen


def test_a_link_changed_after_the_block_is_seen(tree: Path) -> None:
    with resolving():
        assert real(tree / "link" / "b") == tree / "a" / "b"
    (tree / "other" / "b").mkdir(parents=True)
    (tree / "link").unlink()
    (tree / "link").symlink_to(tree / "other")
    assert real(tree / "link" / "b") == tree / "other" / "b"
    with resolving():
        assert real(tree / "link" / "b") == tree / "other" / "b"
