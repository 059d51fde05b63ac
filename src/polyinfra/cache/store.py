"""Cache entries on disk: one file per entry under ``<cache dir>/<kind>/``, written atomically
(temporary file, then rename), readable by the user only. An entry names its format version,
kind and key and carries a checksum of its payload: one that is truncated, corrupt or not
polyinfra's is ignored (with a debug message), never trusted."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

#: Bumped whenever what an entry holds changes shape: entries of another version are ignored.
FORMAT_VERSION = 1
_MAGIC = b"polyinfra-cache"
#: The kinds of entry, each a folder of the cache.
KINDS = ("plan", "render", "kustomize", "problems")
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{64}|\.tmp-[A-Za-z0-9_]+")


def cache_dir() -> Path:
    """Where the cache lives: ``$POLYINFRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/polyinfra``,
    else ``~/.cache/polyinfra`` (never inside a workspace)."""
    explicit = os.environ.get("POLYINFRA_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "polyinfra"


def default_cache() -> Cache:
    """The user's cache (:func:`cache_dir`)."""
    return Cache(cache_dir())


class Cache:
    """Entries under ``root``, by kind (``plan``, ``render``...) and key (a hex digest)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, kind: str, key: str) -> Path:
        if kind not in KINDS or not _ENTRY.fullmatch(key) or key.startswith("."):
            raise ValueError(f"not a cache entry: {kind}/{key}")
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> bytes | None:
        """The payload stored under ``key``, or None when there is none or it cannot be
        trusted (the reason is logged at debug level)."""
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.debug("cache entry %s ignored: unreadable: %s", path, exc)
            return None
        header, sep, payload = data.partition(b"\n")
        if not sep:
            log.debug("cache entry %s ignored: no header (truncated?)", path)
            return None
        fields = header.split(b" ")
        expected = [
            _MAGIC,
            str(FORMAT_VERSION).encode(),
            kind.encode(),
            key.encode(),
        ]
        if len(fields) != 6 or fields[:4] != expected:
            log.debug("cache entry %s ignored: not a polyinfra entry of this version", path)
            return None
        if fields[4] != str(len(payload)).encode():
            log.debug("cache entry %s ignored: truncated", path)
            return None
        if fields[5] != hashlib.sha256(payload).hexdigest().encode():
            log.debug("cache entry %s ignored: checksum mismatch", path)
            return None
        return payload

    def put(self, kind: str, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key``; a cache that cannot be written is only logged (the
        command's result does not depend on it)."""
        path = self._path(kind, key)
        header = b" ".join(
            [
                _MAGIC,
                str(FORMAT_VERSION).encode(),
                kind.encode(),
                key.encode(),
                str(len(payload)).encode(),
                hashlib.sha256(payload).hexdigest().encode(),
            ]
        )
        try:
            self._make_folders(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)  # 0600
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(header + b"\n" + payload)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.debug("cache entry %s not written: %s", path, exc)

    def _make_folders(self, folder: Path) -> None:
        """``folder`` and the folders above it up to the cache root, each 0700."""
        missing = []
        current = folder
        while not current.is_dir():
            missing.append(current)
            if current == self.root or current.parent == current:
                break
            current = current.parent
        for made in reversed(missing):
            made.mkdir(mode=0o700, exist_ok=True)
            made.chmod(0o700)  # the umask may have taken bits away: set exactly

    def clear(self) -> int:
        """Remove every entry this cache wrote; how many were removed. Only entry files (and
        the folders they leave empty) go: anything else in the folder is left alone, so a
        cache folder pointed at the wrong place costs nothing."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for kind in KINDS:
            folder = self.root / kind
            if not folder.is_dir() or folder.is_symlink():
                continue
            for shard in folder.iterdir():
                if not _SHARD.fullmatch(shard.name) or shard.is_symlink() or not shard.is_dir():
                    continue
                for entry in shard.iterdir():
                    if _ENTRY.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
                        entry.unlink()
                        removed += 1
                _remove_if_empty(shard)
            _remove_if_empty(folder)
        return removed


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # something else is in it: not ours to remove
        folder.rmdir()
