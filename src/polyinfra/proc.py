"""The one subprocess wrapper: list arguments, checked return code, stderr kept for the error."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
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
