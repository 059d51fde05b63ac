"""Planning the stacks of a workspace: which stacks, each planned or compared with a revision."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
    """Plan (or, with ``diff_ref``, diff) one stack or every stack of the workspace's program:
    the one whose folder holds ``workspace`` when there are several."""
    from polyinfra.workspace import Workspace

    program = Workspace.discover(workspace).program_at(workspace)
    names = select_stacks(program.stacks, stack, program.path)
    if diff_ref is not None:
        return [plan_diff(program.path, name, diff_ref) for name in names]
    plans = ReferencedPlans()
    return [plan_stack(program.path, name, plans=plans) for name in names]
