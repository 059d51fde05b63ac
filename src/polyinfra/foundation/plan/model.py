"""A plan: the resources a foundation program declares for one stack, and its outputs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polyinfra.foundation.model import ConfigWarning


@dataclass(frozen=True, order=True)
class PlanNote(ConfigWarning):
    """Something the plan says about itself, not a problem: e.g. where a value it shows comes
    from. Listed with the stack's warnings, as a note."""

    def __str__(self) -> str:
        return f"{self.position}: note: {self.message}"


@dataclass(frozen=True)
class PlannedResource:
    """One declared resource: type token, logical name, inputs (Pulumi wire names), protect."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    depends_on: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the resource across plans (its URN without stack and project)."""
        return (self.type, self.name)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.type,
            "name": self.name,
            "protect": self.protect,
            "depends_on": list(self.depends_on),
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True)
class Plan:
    """Everything a stack would declare, in declaration order, plus its stack outputs."""

    stack: str
    project: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any]
    warnings: tuple[ConfigWarning, ...] = ()
    #: the program's folder name in a workspace of several programs (``platform``), else ""
    program: str = ""

    def by_type(self) -> dict[str, list[PlannedResource]]:
        """Resources grouped by type token, types in first-declared order."""
        groups: dict[str, list[PlannedResource]] = {}
        for resource in self.resources:
            groups.setdefault(resource.type, []).append(resource)
        return groups

    def totals(self) -> dict[str, int]:
        """Number of resources per type token."""
        return dict(Counter(resource.type for resource in self.resources))

    def find(self, type_: str, name: str) -> PlannedResource:
        """The resource with this type token and logical name (KeyError if absent)."""
        for resource in self.resources:
            if resource.type == type_ and resource.name == name:
                return resource
        raise KeyError((type_, name))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (``polyinfra plan --json``)."""
        return {
            "stack": self.stack,
            **({"program": self.program} if self.program else {}),
            "project": self.project,
            "resources": [resource.to_json() for resource in self.resources],
            "totals": self.totals(),
            "outputs": dict(self.outputs),
            "warnings": [str(warning) for warning in self.warnings],
        }
