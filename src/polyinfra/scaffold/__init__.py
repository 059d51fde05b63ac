"""Scaffolding for `init` and `add`: decide every file operation first, then apply them."""

from polyinfra.scaffold.add import AddRequest, AddResult, plan_add
from polyinfra.scaffold.init import InitResult, plan_init
from polyinfra.scaffold.plan import Action, FileOperation, Plan, apply

__all__ = [
    "Action",
    "AddRequest",
    "AddResult",
    "FileOperation",
    "InitResult",
    "Plan",
    "apply",
    "plan_add",
    "plan_init",
]
