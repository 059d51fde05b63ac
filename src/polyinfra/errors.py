"""Error hierarchy. The CLI maps each class to an exit code and shows ``str(error)``.

Exit codes: 0 ok, 1 findings or a failed deploy, 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

from polyinfra.positions import Position

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class PolyinfraError(Exception):
    """Root of every error polyinfra raises on purpose."""

    exit_code = EXIT_INTERNAL


class PositionedError(PolyinfraError):
    """An error at a place in the user's files: ``file:line:col: message`` and a hint."""

    exit_code = EXIT_USAGE

    def __init__(
        self, message: str, *, position: Position | None = None, hint: str | None = None
    ) -> None:
        self.message = message
        self.position = position
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.position}: {self.message}" if self.position else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UserError(PositionedError):
    """Bad input: the message says where (file:line:col), what is wrong and how to fix it."""


class UserErrors(UserError):
    """Several independent input errors found in one pass, reported together."""

    def __init__(self, errors: list[UserError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))

    def render(self) -> str:
        return "\n".join(e.render() for e in getattr(self, "errors", []))


class RefusedFile(PositionedError):
    """A file polyinfra will not read: outside the workspace, not a regular file (a device, a
    named pipe, a socket), or larger than the size limit.

    Bad input like a :class:`UserError` (exit code 2, shown the same way), but not one: code
    that turns a file's errors into findings or skips a file that does not load catches
    ``UserError``, and a refused file must stop the command at the file (or at the line that
    names it), never pass as a finding or silently."""


class ToolError(UserError):
    """An external tool (kustomize, git, pulumi) failed; the message carries its stderr."""


class FailedError(PolyinfraError):
    """The work ran but did not succeed (a failed deploy); exit code 1."""

    exit_code = EXIT_FINDINGS
