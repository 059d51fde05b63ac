"""Cache entries on disk: read back exactly, anything damaged or foreign ignored with a debug
message, the user's only, and `clear` removing entries and nothing else."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from polyinfra.cache import Cache, TooLarge, cache_dir, folder_digest

KEY = "ab" + "0" * 62


def test_an_entry_reads_back(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.get("plan", KEY) is None
    cache.put("plan", KEY, b"payload\nwith lines")
    assert cache.get("plan", KEY) == b"payload\nwith lines"
    assert cache.get("render", KEY) is None  # kinds are apart


def test_files_are_the_users_only(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    cache.put("plan", KEY, b"x")
    entry = tmp_path / "cache" / "plan" / KEY[:2] / KEY
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    for folder in (entry.parent, entry.parent.parent, tmp_path / "cache"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in entry.parent.iterdir()] == [KEY]  # no temporary file left


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[:-3], "truncated"),
        (lambda data: data[:10], "no header"),
        (lambda data: data[:-1] + b"X", "checksum mismatch"),
        (lambda data: data.replace(b"polyinfra-cache 1", b"polyinfra-cache 9"), "not a polyinfra"),
        (lambda data: b"something else entirely\n", "not a polyinfra"),
        (lambda data: b"", "no header"),
    ],
)
def test_a_damaged_or_foreign_entry_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, why: str
) -> None:
    cache = Cache(tmp_path / "cache")
    cache.put("plan", KEY, b'{"stack": "sandbox"}')
    entry = tmp_path / "cache" / "plan" / KEY[:2] / KEY
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.DEBUG, logger="polyinfra.cache"):
        assert cache.get("plan", KEY) is None
    assert why in caplog.text
    assert str(entry) in caplog.text


def test_an_entry_of_another_key_is_ignored(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    other = "ab" + "1" * 62
    cache.put("plan", other, b"x")
    (tmp_path / "cache" / "plan" / "ab" / other).rename(tmp_path / "cache" / "plan" / "ab" / KEY)
    assert cache.get("plan", KEY) is None


def test_clear_removes_entries_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = Cache(root)
    cache.put("plan", KEY, b"x")
    cache.put("render", KEY, b"y")
    (root / "notes.txt").write_text("mine")
    (root / "render" / "ab" / "keep.me").write_text("mine too")
    assert cache.clear() == 2
    assert (root / "notes.txt").read_text() == "mine"
    assert (root / "render" / "ab" / "keep.me").is_file()
    assert not (root / "plan").exists()
    assert cache.get("render", KEY) is None


def test_an_unwritable_cache_only_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = Cache(blocker / "cache")
    with caplog.at_level(logging.DEBUG, logger="polyinfra.cache"):
        cache.put("plan", KEY, b"x")
    assert "not written" in caplog.text
    assert cache.get("plan", KEY) is None


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLYINFRA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == tmp_path / "home" / ".cache" / "polyinfra"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "polyinfra"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # not absolute: ignored, as XDG says
    assert cache_dir() == tmp_path / "home" / ".cache" / "polyinfra"
    monkeypatch.setenv("POLYINFRA_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"


def test_a_folder_digest_follows_contents_not_tool_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.txt").write_text("one")
    (tmp_path / "__pycache__").mkdir()
    before = folder_digest(tmp_path)
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert folder_digest(tmp_path) == before
    (tmp_path / "a" / "f.txt").write_text("two")
    assert folder_digest(tmp_path) != before
    with pytest.raises(TooLarge):
        folder_digest(tmp_path, max_bytes=2)
