"""The foundation stack: typed stack config, the config-driven Pulumi program and its offline plan.

Importing this package is cheap: Pulumi and pulumi-gcp load only when a function needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.foundation.naming import make_resource_name

if TYPE_CHECKING:
    from polyinfra.foundation.model import StackConfig
    from polyinfra.foundation.plan import Plan, PlanDiff
    from polyinfra.foundation.resources import Resources

#: Names of the stack outputs the program exports.
STACK_OUTPUTS = ("gcp_project", "environment", "projects")


def run(config: StackConfig | None = None) -> Resources:
    """Declare the foundation resources of the current Pulumi stack; see :mod:`.program`."""
    from polyinfra.foundation.program import run as run_program

    return run_program(config)


def load_stack_config(path: Path) -> StackConfig:
    """Load and validate ``Pulumi.<stack>.yaml``; every error names file:line:col."""
    from polyinfra.foundation.config import load_stack_config as load

    return load(Path(path))


def plan_stack(program_dir: Path, stack: str) -> Plan:
    """Plan ``stack`` of the Pulumi program in ``program_dir`` offline (Pulumi mocks)."""
    from polyinfra.foundation.plan import plan_stack as plan

    return plan(Path(program_dir), stack)


def plan_diff(program_dir: Path, stack: str, ref: str) -> PlanDiff:
    """Compare the stack's plan at git ``ref`` with the working tree."""
    from polyinfra.foundation.plan import plan_diff as diff

    return diff(Path(program_dir), stack, ref)


__all__ = [
    "STACK_OUTPUTS",
    "load_stack_config",
    "make_resource_name",
    "plan_diff",
    "plan_stack",
    "run",
]
