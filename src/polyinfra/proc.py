"""The one subprocess wrapper: list arguments, checked return code, stderr kept for the error."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from polyinfra.errors import ToolError

_MAX_STDERR = 4000


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
    """One message for a failed command: what it was for, the command, exit code and stderr."""
    stderr = completed.stderr.decode("utf-8", "replace").strip()
    if len(stderr) > _MAX_STDERR:
        stderr = stderr[:_MAX_STDERR] + "\n… (stderr truncated)"
    head = f"{what}: " if what else ""
    text = f"{head}`{' '.join(args)}` failed with exit code {completed.returncode}"
    if stderr:
        text += ":\n" + "\n".join("  " + line for line in stderr.splitlines())
    return text


def stream(
    args: Sequence[str],
    *,
    on_line: Callable[[str], None],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    what: str | None = None,
) -> int:
    """Run ``args`` and hand each line of its output (stdout and stderr merged) to ``on_line``
    as it comes; return the exit code.

    With ``check`` a non-zero exit raises :class:`ToolError` naming the command, its exit code
    and the last lines of its output. On Ctrl-C the child (which got the signal too) is given
    the chance to stop cleanly before the interrupt propagates.
    """
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"{args[0]}: command not found", hint=f"install {args[0]} and retry"
        ) from exc
    tail: deque[str] = deque(maxlen=40)
    assert process.stdout is not None
    try:
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tail.append(line)
            on_line(line)
        code = process.wait()
    except KeyboardInterrupt:
        process.wait()
        raise
    finally:
        process.stdout.close()
    if check and code != 0:
        output = "\n".join(tail).encode()
        completed = subprocess.CompletedProcess(list(args), code, b"", output)
        raise ToolError(describe_failure(args, completed, what))
    return code
