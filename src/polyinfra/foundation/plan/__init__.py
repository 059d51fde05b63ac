"""Offline plan: run the real foundation program under Pulumi mocks (no credentials, no Pulumi CLI)
and record every resource it declares; compare two plans (the working tree and a git revision)."""

from polyinfra.foundation.plan.diff import (
    InputChange,
    PlanDiff,
    ProtectedLoss,
    ResourceChange,
    diff_plans,
    naming_inputs,
    plan_diff,
    referenced_files,
)
from polyinfra.foundation.plan.mocks import (
    computed_state,
    run_under_mocks,
)
from polyinfra.foundation.plan.model import (
    Plan,
    PlannedResource,
    PlanNote,
)
from polyinfra.foundation.plan.run import (
    ReferencedPlans,
    plan_stack,
    pulumi_project_name,
    runtime_config_values,
)
from polyinfra.foundation.plan.workspace import (
    plan_workspace,
    select_stacks,
)

__all__ = [
    "InputChange",
    "Plan",
    "PlanDiff",
    "PlanNote",
    "PlannedResource",
    "ProtectedLoss",
    "ReferencedPlans",
    "ResourceChange",
    "computed_state",
    "diff_plans",
    "naming_inputs",
    "plan_diff",
    "plan_stack",
    "plan_workspace",
    "pulumi_project_name",
    "referenced_files",
    "run_under_mocks",
    "runtime_config_values",
    "select_stacks",
]
