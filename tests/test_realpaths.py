"""``real`` inside ``resolving``: the answer of ``Path.resolve`` for every kind of path, each
folder read once, and nothing kept once the block ends."""

from __future__ import annotations

import os
import random
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


def test_a_path_of_thousands_of_parts(tree: Path) -> None:
    deep = tree / "a" / "b" / Path(*[".."] * 1200) / "etc"
    with resolving():
        assert real(deep) == deep.resolve()


def test_a_loop_on_the_way_that_the_path_leaves_again(tree: Path) -> None:
    (tree / "c").mkdir()
    (tree / "c" / "l0").symlink_to("l0")
    path = tree / "c" / "l0" / "missing" / ".." / ".." / "missing"
    with resolving():
        assert real(path) == path.resolve()


def test_random_trees_give_the_answers_of_resolve(tmp_path: Path) -> None:
    rng = random.Random(7)
    names = ["a", "b", "c", "..", ".", "l1", "l2", "gone"]
    for number in range(20):
        root = tmp_path / f"t{number}"
        for folder in ("a/b/c", "b/a", "c"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for link in ("l1", "a/l2", "b/a/l1", "c/l2"):
            target = rng.choice(["..", "../a", "b", "/", "l1", "a/b", "../../c", "nowhere"])
            (root / link).symlink_to(target)
        with resolving():
            for _ in range(30):
                path = root.joinpath(*rng.choices(names, k=rng.randint(1, 7)))
                try:
                    expected = path.resolve()
                except RuntimeError:
                    with pytest.raises(RuntimeError):
                        real(path)
                    continue
                assert real(path) == expected, path
