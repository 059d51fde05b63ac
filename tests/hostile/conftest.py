"""What every hostile-input test checks: the tree is left as it was, no traceback is shown, and
a command that could run away (a device, a named pipe) runs in a child process bounded in
time and memory, so that a regression fails the test instead of eating the machine."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from polyinfra.cli.main import main

FORMATS = ("text", "json", "sarif", "github", "markdown")
POLYINFRA = str(Path(sys.executable).parent / "polyinfra")
#: The address space a bounded command may use: `polyinfra check` with kustomize (a Go program,
#: which reserves more than it uses) runs in 1 GiB; a read without end stops here.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: What a bounded command may take: the example checks in about a second.
TIME_LIMIT = 60.0


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under ``root`` and what it is: a file's SHA-256, a link's target, the type
    of anything else. Nothing but regular files is opened (a named pipe would block)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = f"link to {os.readlink(path)}"
            elif stat.S_ISREG(info.st_mode):
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[rel] = f"mode {stat.S_IFMT(info.st_mode):o}"
    return found


@dataclass(frozen=True)
class Outcome:
    """How a command ended: exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """``polyinfra ARGS`` in this process."""
    code = main(args)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def assert_no_traceback(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.text
    assert "internal error" not in outcome.text


@dataclass(frozen=True)
class Bounded(Outcome):
    """A command run in a child process: also how long it took and the most memory it held."""

    seconds: float
    max_rss: int  # bytes


def run_bounded(args: list[str], cwd: Path, *, timeout: float = TIME_LIMIT) -> Bounded:
    """``polyinfra ARGS`` in a child process limited to :data:`MEMORY_LIMIT` of address space
    and killed (with everything it started) after ``timeout`` seconds, which fails the test."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        os.setsid()  # its own process group: a timeout ends kustomize and pulumi too

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen(
            [POLYINFRA, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=limit,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                pytest.fail(f"polyinfra {' '.join(args)} ran for more than {timeout} s")
            time.sleep(0.02)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        printed = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux
    return Bounded(process.returncode, *printed, seconds, usage.ru_maxrss * 1024)
