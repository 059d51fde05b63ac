"""Planning the stacks of a workspace: which stacks, each planned or compared with a revision."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from polyinfra.errors import UserError
from polyinfra.foundation.plan.diff import (
    PlanDiff,
    plan_diff,
)
from polyinfra.foundation.plan.model import (
    Plan,
)
from polyinfra.foundation.plan.run import (
    ReferencedPlans,
    plan_stack,
)
from polyinfra.suggest import closest

T = TypeVar("T")


def select_stacks(stacks: Mapping[str, Path], stack: str | None, where: Path) -> list[str]:
    """``[stack]`` when given (checked), else every stack of the program, sorted."""

    if not stacks:
        raise UserError(
            f"{where}: no Pulumi.<stack>.yaml stack file", hint="create Pulumi.sandbox.yaml"
        )
    if stack is None:
        return sorted(stacks)
    if stack not in stacks:
        close = closest(stack, stacks)
        raise UserError(
            f"{where}: no stack '{stack}' (stacks: {', '.join(sorted(stacks))})",
            hint=f"did you mean '{close}'?" if close else f"create Pulumi.{stack}.yaml",
        )
    return [stack]


def plan_workspace(
    workspace: Path, *, stack: str | None = None, diff_ref: str | None = None
) -> list[Plan] | list[PlanDiff]:
    """Plan (or, with ``diff_ref``, diff) one stack or every stack of the workspace's program.
    With several programs: of the one whose folder holds ``workspace``, else of every program,
    platform before services (each result then names its program)."""
    import dataclasses

    from polyinfra.workspace import Workspace
    from polyinfra.workspace.programs import reference_name

    ws = Workspace.discover(workspace)
    where = Path(workspace).resolve()
    inside = [p for p in ws.programs if where.is_relative_to(p.path.resolve())]
    programs = inside[:1] or (list(ws.ordered_programs) if ws.layered else [ws.program])
    # every stack is chosen before anything is planned: a typo fails at once
    chosen = [(p, select_stacks(p.stacks, stack, p.path)) for p in programs]
    named = ws.layered
    if diff_ref is not None:
        diffs = [plan_diff(p.path, name, diff_ref) for p, names in chosen for name in names]
        if named:
            diffs = [
                dataclasses.replace(d, program=reference_name(p))
                for (p, _), d in zip(_each(chosen), diffs, strict=True)
            ]
        return diffs
    plans = ReferencedPlans()
    found = [plan_stack(p.path, name, plans=plans) for p, names in chosen for name in names]
    if named:
        found = [
            dataclasses.replace(plan, program=reference_name(p))
            for (p, _), plan in zip(_each(chosen), found, strict=True)
        ]
    return found


def _each(chosen: list[tuple[T, list[str]]]) -> list[tuple[T, str]]:
    return [(program, name) for program, names in chosen for name in names]
