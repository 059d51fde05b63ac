"""Offline plan: run the real foundation program under Pulumi mocks (no credentials, no Pulumi CLI)
and record every resource it declares; compare two plans (the working tree and a git revision).

Its names are imported when first used: reading a cached plan needs none of the Pulumi
machinery the planning modules load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyinfra.lazy import lazy_names

if TYPE_CHECKING:
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

_MODULES = {
    "InputChange": "polyinfra.foundation.plan.diff",
    "Plan": "polyinfra.foundation.plan.model",
    "PlanDiff": "polyinfra.foundation.plan.diff",
    "PlanNote": "polyinfra.foundation.plan.model",
    "PlannedResource": "polyinfra.foundation.plan.model",
    "ProtectedLoss": "polyinfra.foundation.plan.diff",
    "ReferencedPlans": "polyinfra.foundation.plan.run",
    "ResourceChange": "polyinfra.foundation.plan.diff",
    "computed_state": "polyinfra.foundation.plan.mocks",
    "diff_plans": "polyinfra.foundation.plan.diff",
    "naming_inputs": "polyinfra.foundation.plan.diff",
    "plan_diff": "polyinfra.foundation.plan.diff",
    "plan_stack": "polyinfra.foundation.plan.run",
    "plan_workspace": "polyinfra.foundation.plan.workspace",
    "pulumi_project_name": "polyinfra.foundation.plan.run",
    "referenced_files": "polyinfra.foundation.plan.diff",
    "run_under_mocks": "polyinfra.foundation.plan.mocks",
    "runtime_config_values": "polyinfra.foundation.plan.run",
    "select_stacks": "polyinfra.foundation.plan.workspace",
}


__getattr__ = lazy_names(__name__, _MODULES)


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
