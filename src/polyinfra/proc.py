"""The one subprocess wrapper: list arguments, checked return code, stderr kept for the error;
and a long-running child (a local server) started, watched and stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import IO

from polyinfra.errors import ToolError
from polyinfra.redact import redact

_MAX_STDERR = 4000


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def which(name: str) -> str | None:
    """Full path of ``name`` on PATH, or None."""
    return shutil.which(name)


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    what: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``args`` and return the completed process (stdout/stderr as bytes).

    With ``check`` (the default) a non-zero exit raises :class:`ToolError` naming the command,
    its exit code and its stderr. ``what`` says what the command was for, e.g. the overlay path.
    """
    try:
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            input=input,
            env=dict(env) if env is not None else None,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"{args[0]}: command not found", hint=f"install {args[0]} and retry"
        ) from exc
    if check and completed.returncode != 0:
        raise ToolError(describe_failure(args, completed, what))
    return completed


def describe_failure(
    args: Sequence[str], completed: subprocess.CompletedProcess[bytes], what: str | None = None
) -> str:
    """One message for a failed command: what it was for, the command, exit code and stderr,
    credentials redacted (a tool's error may quote a connection string or a key)."""
    stderr = completed.stderr.decode("utf-8", "replace").strip()
    if len(stderr) > _MAX_STDERR:
        stderr = stderr[:_MAX_STDERR] + "\n… (stderr truncated)"
    head = f"{what}: " if what else ""
    text = f"{head}`{' '.join(args)}` failed with exit code {completed.returncode}"
    if stderr:
        text += ":\n" + "\n".join("  " + line for line in stderr.splitlines())
    return redact(text)


@contextmanager
def _interrupts_passed_to(process: subprocess.Popen[bytes], seen: list[int]) -> Iterator[None]:
    """While the block runs, each SIGINT this process gets goes to ``process`` (and is noted in
    ``seen``) instead of raising KeyboardInterrupt here, so nothing is cut off mid-line."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are handled by the main thread only
        return

    def forward(number: int, frame: FrameType | None) -> None:
        seen.append(number)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stream(
    args: Sequence[str],
    *,
    on_line: Callable[[str], None],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    what: str | None = None,
    failed: Callable[[str], Exception] = ToolError,
) -> int:
    """Run ``args`` and hand each line of its output (stdout and stderr merged) to ``on_line``
    as it comes; return the exit code.

    With ``check`` a non-zero exit raises ``failed`` (default :class:`ToolError`) with a message
    naming the command, its exit code and the last lines of its output.

    Ctrl-C is the child's to handle, once: the child runs in its own process group, so a
    terminal's Ctrl-C reaches this process only, and each one is passed on to the child as one
    SIGINT (a tool like Pulumi cancels cleanly on the first and stops at once on the second).
    Its output is read and handed on until it exits; then KeyboardInterrupt propagates.
    (Off the main thread, where signals cannot be caught, the child stays in this process
    group and gets a terminal's Ctrl-C itself.)
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0 if in_main_thread else None,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"{args[0]}: command not found", hint=f"install {args[0]} and retry"
        ) from exc
    tail: deque[str] = deque(maxlen=40)
    stdout = process.stdout
    assert stdout is not None
    interrupts: list[int] = []
    try:
        with _interrupts_passed_to(process, interrupts):
            for raw in stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                tail.append(line)
                on_line(line)
            code = process.wait()
    finally:
        stdout.close()
        if process.poll() is None:
            # Only an error in ``on_line`` leaves the loop early; the output can no longer be
            # shown, so the child is not left running unseen.
            process.kill()
            process.wait()
    if interrupts:
        raise KeyboardInterrupt
    if check and code != 0:
        output = "\n".join(tail).encode()
        completed = subprocess.CompletedProcess(list(args), code, b"", output)
        raise failed(describe_failure(args, completed, what))
    return code


class Background:
    """A long-running child (a server) started by :func:`start`: its own process group, its
    output handed line by line to a callback as it comes, the last lines of its stderr kept
    for an error message."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        on_line: Callable[[str, bool], None],
        tail_lines: int,
    ) -> None:
        self.process = process
        self._tail: deque[str] = deque(maxlen=tail_lines)
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(pipe, is_err, on_line), daemon=True)
            for pipe, is_err in ((process.stdout, False), (process.stderr, True))
            if pipe is not None
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe: IO[bytes], is_err: bool, on_line: Callable[[str, bool], None]) -> None:
        with pipe:
            for raw in pipe:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if is_err:
                    with self._lock:
                        self._tail.append(line)
                on_line(line, is_err)

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        """The child's exit code, None while it runs."""
        return self.process.poll()

    def stderr_tail(self, settle: float = 0.5) -> list[str]:
        """The last lines the child wrote to stderr; once it has exited, after its output has
        been read to the end (waiting ``settle`` seconds at most)."""
        if self.process.poll() is not None:
            for reader in self._readers:
                reader.join(settle)
        with self._lock:
            return list(self._tail)

    def stop(self, grace: float = 10.0) -> int:
        """Stop the child and everything it started: SIGTERM to its process group, SIGKILL when
        it is still running ``grace`` seconds later. Returns its exit code."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        for reader in self._readers:
            reader.join(1.0)
        return self.process.returncode

    def _signal(self, number: signal.Signals) -> None:
        with suppress(ProcessLookupError):  # it exited meanwhile
            os.killpg(self.process.pid, number)


def start(
    args: Sequence[str],
    *,
    on_line: Callable[[str, bool], None],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    tail_lines: int = 40,
) -> Background:
    """Start ``args`` in the background, in a process group of its own (a terminal's Ctrl-C
    reaches this process only, which decides when to stop it; :meth:`Background.stop` reaches
    the child's own children too). ``on_line(line, is_stderr)`` gets each line of its output,
    from reader threads."""
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"{args[0]}: command not found", hint=f"install {args[0]} and retry"
        ) from exc
    return Background(process, on_line, tail_lines)
