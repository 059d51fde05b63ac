"""`polyinfra provision`: check a foundation stack, then `pulumi preview` / `pulumi up` on it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from polyinfra import proc
from polyinfra.errors import FailedError, UserError
from polyinfra.positions import Position

if TYPE_CHECKING:
    from polyinfra.checks.problem import Problem
    from polyinfra.workspace import Workspace
    from polyinfra.yamlio.text import Bounds

INSTALL_HINT = (
    "install the Pulumi CLI: `curl -fsSL https://get.pulumi.com | sh` (or `brew install "
    "pulumi`, or see https://www.pulumi.com/docs/install/), make sure `pulumi` is on PATH, "
    "and retry"
)

Mode = Literal["preview", "up", "preview-then-up"]


@dataclass(frozen=True)
class ProvisionPlan:
    """What will run: the commands, where, and the state backend chosen (if any)."""

    stack: str
    program_dir: Path
    stack_file: Path
    commands: tuple[tuple[str, ...], ...]
    backend_url: str | None


def stack_file_for(ws: Workspace, stack: str) -> Path:
    """``Pulumi.<stack>.yaml`` of the workspace's Pulumi program; UserError naming the others."""
    program = ws.program
    try:
        return program.stacks[stack]
    except KeyError:
        known = ", ".join(sorted(program.stacks)) or "none"
        raise UserError(
            f"no stack {stack!r} in {program.path} (stacks: {known})",
            position=Position(program.path / f"Pulumi.{stack}.yaml"),
            hint=f"create Pulumi.{stack}.yaml or pick one of: {known}",
        ) from None


class PulumiFailed(FailedError):
    """`pulumi` ran and failed (exit code 1, not bad input); the message carries its output."""


class PulumiInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a `pulumi` run: it was passed the interrupt and has exited; ``str()``
    names the run."""


class CheckFailed(Exception):
    """`polyinfra check` found errors for the stack; `pulumi` was not run."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} error(s) found by the checks")
        self.problems = tuple(problems)


def check_stack(ws: Workspace, stack: str) -> None:
    """Run `polyinfra check` for the stack's environment; CheckFailed on any error."""
    from polyinfra.checks.check import check_workspace
    from polyinfra.checks.problem import Level

    result = check_workspace(ws.root, environments=[ws.env_for_stack(stack)])
    errors = [p for p in result.problems if p.level >= Level.ERROR]
    if errors:
        raise CheckFailed(errors)


def logged_in_elsewhere(environ: Mapping[str, str], home: Path) -> bool:
    """True when the user chose a backend: PULUMI_BACKEND_URL, or a current `pulumi login`."""
    if environ.get("PULUMI_BACKEND_URL"):
        return True
    credentials = home / ".pulumi" / "credentials.json"
    try:
        data = json.loads(credentials.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and bool(data.get("current"))


def stack_backend(stack_file: Path, bounds: Bounds | None = None) -> str | None:
    """``gs://<input:bucket>`` when the stack names its state bucket (the file read within
    ``bounds``)."""
    from polyinfra.yamlio import load_file

    bucket = load_file(stack_file, bounds=bounds).get(("config", "input:bucket"))
    if not bucket:
        return None
    text = str(bucket)
    return text if "://" in text else f"gs://{text}"


def plan_provision(
    ws: Workspace,
    stack: str,
    mode: Mode,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> ProvisionPlan:
    """Decide the `pulumi` commands to run and the backend, without running anything."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    stack_file = stack_file_for(ws, stack)
    backend = None if logged_in_elsewhere(environ, home) else stack_backend(stack_file, ws.bounds)
    base = ("--stack", stack, "--non-interactive")
    preview = ("pulumi", "preview", *base)
    up = ("pulumi", "up", *base, "--yes")
    commands: tuple[tuple[str, ...], ...]
    if mode == "preview":
        commands = (preview,)
    elif mode == "up":
        commands = (up,)
    else:
        commands = (preview, (*up, "--skip-preview"))
    return ProvisionPlan(stack, ws.program.path, stack_file, commands, backend)


def provision(
    ws: Workspace,
    stack: str,
    mode: Mode,
    *,
    on_line: Callable[[str], None],
    confirm: Callable[[], bool],
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> bool:
    """Check the stack (as `polyinfra check` does), then run `pulumi` with its output
    streamed to ``on_line``.

    In ``preview-then-up`` mode ``confirm()`` is asked between the preview and the update;
    returns False when it declined. A failed `pulumi` run raises PulumiFailed with its output.
    On Ctrl-C, `pulumi` gets the interrupt and its output is shown until it has stopped; then
    PulumiInterrupted is raised.
    """
    plan = plan_provision(ws, stack, mode, environ=environ, home=home)
    check_stack(ws, stack)
    executable = proc.which("pulumi")
    if executable is None:
        raise UserError("the `pulumi` CLI is not installed (not found on PATH)", hint=INSTALL_HINT)
    env = dict(os.environ if environ is None else environ)
    if plan.backend_url is not None:
        env["PULUMI_BACKEND_URL"] = plan.backend_url
        on_line(f"State backend from {plan.stack_file.name}: {plan.backend_url}")
    for index, command in enumerate(plan.commands):
        if index > 0 and not confirm():
            return False
        what = f"pulumi {command[1]} of stack {stack}"
        try:
            proc.stream(
                [executable, *command[1:]],
                cwd=plan.program_dir,
                env=env,
                on_line=on_line,
                what=what,
                failed=PulumiFailed,
            )
        except KeyboardInterrupt:
            raise PulumiInterrupted(what) from None
    return True
