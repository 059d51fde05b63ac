"""`polyinfra provision`: check the foundation stacks, then `pulumi preview` / `pulumi up` on
them: the workspace's one Pulumi program, or in the three-stack layout each program in order
(platform, then services), stopping at the first that fails."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from polyinfra import proc
from polyinfra.errors import FailedError, UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.workspace.programs import reference_name

if TYPE_CHECKING:
    from polyinfra.checks.problem import Problem
    from polyinfra.workspace import PulumiProgram, Workspace
    from polyinfra.yamlio.text import Bounds

INSTALL_HINT = (
    "install the Pulumi CLI: `curl -fsSL https://get.pulumi.com | sh` (or `brew install "
    "pulumi`, or see https://www.pulumi.com/docs/install/), make sure `pulumi` is on PATH, "
    "and retry"
)

Mode = Literal["preview", "up", "preview-then-up"]


@dataclass(frozen=True)
class ProvisionPlan:
    """What will run for one Pulumi program: the commands, where, and the state backend chosen
    (if any). ``program`` is the program's folder name (``platform``), ``layered`` whether the
    workspace has several programs (then the output names the program)."""

    stack: str
    program_dir: Path
    stack_file: Path
    commands: tuple[tuple[str, ...], ...]
    backend_url: str | None
    program: str = ""
    layered: bool = False


@dataclass(frozen=True)
class Provisioned:
    """How a provision ended: ``applied`` unless a confirmation was declined; then
    ``stopped_at`` names the program it was declined for and ``not_run`` the programs after it.
    True when applied."""

    applied: bool
    stopped_at: str | None = None
    not_run: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.applied


def stack_file_for(ws: Workspace, stack: str, program: PulumiProgram | None = None) -> Path:
    """``Pulumi.<stack>.yaml`` of ``program`` (default: the workspace's one Pulumi program);
    UserError naming the stacks it has."""
    program = program or ws.program
    try:
        return program.stacks[stack]
    except KeyError:
        known = ", ".join(sorted(program.stacks)) or "none"
        raise UserError(
            f"no stack {stack!r} in {program.path} (stacks: {known})",
            position=Position(program.path / f"Pulumi.{stack}.yaml"),
            hint=f"create Pulumi.{stack}.yaml or pick one of: {known}",
        ) from None


def programs_to_provision(
    ws: Workspace, where: Path | str | None = None
) -> tuple[PulumiProgram, ...]:
    """The Pulumi programs to provision, in order: the workspace's one program; in the
    three-stack layout the program whose folder holds ``where`` (``-w
    infrastructure/pulumi/services``), else every program, platform before services."""
    if not ws.layered:
        return (ws.program,)
    if where is not None:
        inside = Path(where).resolve()
        if any(inside.is_relative_to(p.path.resolve()) for p in ws.programs):
            return (ws.program_at(inside),)
    return ws.ordered_programs


def _stack_files(ws: Workspace, stack: str, programs: Sequence[PulumiProgram]) -> tuple[Path, ...]:
    """Each program's ``Pulumi.<stack>.yaml``; when several programs are provisioned, every one
    that lacks it is an error naming it (nothing runs)."""
    if len(programs) == 1:
        return (stack_file_for(ws, stack, programs[0]),)
    missing = [p for p in programs if stack not in p.stacks]
    if missing:
        having = next((p for p in programs if stack in p.stacks), None)
        alone = (
            f"provision {reference_name(having)} alone with -w {ws.rel(having.path)}"
            if having
            else "pick a stack the programs have"
        )
        errors = [
            UserError(
                f"no stack {stack!r} in {reference_name(p)} ({ws.rel(p.path)}; stacks: "
                f"{', '.join(sorted(p.stacks)) or 'none'}): every program is provisioned, "
                "so each needs the stack",
                position=Position(p.path / f"Pulumi.{stack}.yaml"),
                hint=f"create {ws.rel(p.path / f'Pulumi.{stack}.yaml')}, or {alone}",
            )
            for p in missing
        ]
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return tuple(p.stacks[stack] for p in programs)


class PulumiFailed(FailedError):
    """`pulumi` ran and failed (exit code 1, not bad input); the message carries its output."""


class PulumiInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a `pulumi` run: it was passed the interrupt and has exited; ``str()``
    names the run, ``not_run`` the programs that were not run because of it."""

    def __init__(self, what: str, not_run: Sequence[str] = ()) -> None:
        super().__init__(what)
        self.not_run = tuple(not_run)


class CheckFailed(Exception):
    """`polyinfra check` found errors for the stack; `pulumi` was not run. ``program`` names the
    program whose check failed when the workspace has several, ``not_run`` the programs that
    were therefore not run."""

    def __init__(
        self, problems: Sequence[Problem], program: str = "", not_run: Sequence[str] = ()
    ) -> None:
        super().__init__(f"{len(problems)} error(s) found by the checks")
        self.problems = tuple(problems)
        self.program = program
        self.not_run = tuple(not_run)


def check_stack(
    ws: Workspace, stack: str, programs: Sequence[PulumiProgram] = (), names: Sequence[str] = ()
) -> None:
    """Run `polyinfra check` for the stack's environment (every program's stack file, as the
    cross-stack rules need); CheckFailed on any error, except those in the files of programs
    not among ``programs`` (``-w`` narrowed the run to others). The error names the first of
    ``programs`` whose folder holds one (else the first) and the programs ``names`` lists."""
    from polyinfra.checks.check import check_workspace
    from polyinfra.checks.problem import Level

    result = check_workspace(ws.root, environments=[ws.env_for_stack(stack)])
    chosen = [p.path.resolve() for p in programs]
    others = [p.path.resolve() for p in ws.programs if p.path.resolve() not in chosen]

    def folder_of(problem: Problem, folders: Sequence[Path]) -> Path | None:
        file = problem.position.file.resolve() if problem.position.file else None
        return next((f for f in folders if file is not None and file.is_relative_to(f)), None)

    errors = [
        p
        for p in result.problems
        if p.level >= Level.ERROR and (not programs or folder_of(p, others) is None)
    ]
    if not errors:
        return
    if not programs:
        raise CheckFailed(errors)
    failing = {folder_of(p, chosen) for p in errors}
    first = next((p for p, f in zip(programs, chosen, strict=True) if f in failing), programs[0])
    raise CheckFailed(errors, reference_name(first), names)


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


def _commands(stack: str, mode: Mode) -> tuple[tuple[str, ...], ...]:
    base = ("--stack", stack, "--non-interactive")
    preview = ("pulumi", "preview", *base)
    up = ("pulumi", "up", *base, "--yes")
    if mode == "preview":
        return (preview,)
    if mode == "up":
        return (up,)
    return (preview, (*up, "--skip-preview"))


def plan_provisions(
    ws: Workspace,
    stack: str,
    mode: Mode,
    *,
    where: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> tuple[ProvisionPlan, ...]:
    """Decide, per program to provision (:func:`programs_to_provision`) and in that order, the
    `pulumi` commands to run and the backend (each program's own stack file's
    ``input:bucket`` unless the user chose one), without running anything."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    programs = programs_to_provision(ws, where)
    stack_files = _stack_files(ws, stack, programs)
    chosen = logged_in_elsewhere(environ, home)
    return tuple(
        ProvisionPlan(
            stack,
            program.path,
            stack_file,
            _commands(stack, mode),
            None if chosen else stack_backend(stack_file, ws.bounds),
            reference_name(program),
            ws.layered,
        )
        for program, stack_file in zip(programs, stack_files, strict=True)
    )


def plan_provision(
    ws: Workspace,
    stack: str,
    mode: Mode,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> ProvisionPlan:
    """:func:`plan_provisions` for the workspace's one Pulumi program."""
    [plan] = plan_provisions(ws, stack, mode, environ=environ, home=home)
    return plan


def not_run_sentence(programs: Sequence[str]) -> str:
    """``services was not run`` / ``a, b were not run``."""
    return f"{', '.join(programs)} {'was' if len(programs) == 1 else 'were'} not run"


def provision(
    ws: Workspace,
    stack: str,
    mode: Mode,
    *,
    on_line: Callable[[str], None],
    confirm: Callable[[str], bool],
    where: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Provisioned:
    """Check the stack of each program to provision (as `polyinfra check` does), then run
    `pulumi` in each program's folder, in order, with its output streamed to ``on_line``.

    Every check runs before any `pulumi` run: the first program with errors raises CheckFailed.
    In ``preview-then-up`` mode ``confirm(question)`` is asked between each program's preview
    and its update; a decline stops there (the result names the programs not run). A failed
    `pulumi` run raises PulumiFailed with its output, naming, when there are several programs,
    the one that failed and those not run. On Ctrl-C, `pulumi` gets the interrupt and its
    output is shown until it has stopped; then PulumiInterrupted is raised.
    """
    plans = plan_provisions(ws, stack, mode, where=where, environ=environ, home=home)
    programs = programs_to_provision(ws, where)
    names = [plan.program for plan in plans]
    check_stack(ws, stack, programs if ws.layered else (), names)
    executable = proc.which("pulumi")
    if executable is None:
        raise UserError("the `pulumi` CLI is not installed (not found on PATH)", hint=INSTALL_HINT)
    base_env = dict(os.environ if environ is None else environ)
    for index, plan in enumerate(plans):
        later = names[index + 1 :]
        if not _run_program(ws, plan, executable, base_env, on_line, confirm, later):
            return Provisioned(False, plan.program, tuple(later))
    return Provisioned(True)


def _run_program(
    ws: Workspace,
    plan: ProvisionPlan,
    executable: str,
    base_env: Mapping[str, str],
    on_line: Callable[[str], None],
    confirm: Callable[[str], bool],
    later: Sequence[str],
) -> bool:
    """Run ``plan``'s commands; False when its update was declined."""
    env = dict(base_env)
    if plan.backend_url is not None:
        env["PULUMI_BACKEND_URL"] = plan.backend_url
    of = f" of {plan.program}" if plan.layered else ""
    for index, command in enumerate(plan.commands):
        if index > 0 and not confirm(f"Apply these changes to stack {plan.stack!r}{of}?"):
            return False
        if plan.layered:
            on_line(
                f"== {plan.program} ({ws.rel(plan.program_dir)}): pulumi {command[1]} "
                f"--stack {plan.stack}"
            )
        if index == 0 and plan.backend_url is not None:
            source = ws.rel(plan.stack_file) if plan.layered else plan.stack_file.name
            on_line(f"State backend from {source}: {plan.backend_url}")
        what = f"pulumi {command[1]} of stack {plan.stack}"
        try:
            proc.stream(
                [executable, *command[1:]],
                cwd=plan.program_dir,
                env=env,
                on_line=on_line,
                what=what,
                failed=PulumiFailed,
            )
        except PulumiFailed as exc:
            if not plan.layered:
                raise
            tail = f"\n{not_run_sentence(later)}" if later else ""
            raise PulumiFailed(f"provision stopped at {plan.program}: {exc}{tail}") from None
        except KeyboardInterrupt:
            raise PulumiInterrupted(f"{what}{of}", later) from None
    return True
