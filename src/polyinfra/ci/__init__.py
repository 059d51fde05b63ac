"""Generated CI workflows for the delivery flow (GitHub Actions)."""

from __future__ import annotations

from dataclasses import dataclass

from polyinfra.ci.files import PlannedFile, edited_by_hand, plan_files, with_header, write_files
from polyinfra.ci.github import Workflow, github_workflows
from polyinfra.errors import UserError
from polyinfra.workspace import Workspace

PROVIDERS = ("github",)


@dataclass(frozen=True)
class GenerateResult:
    """Every planned file and which of them were written."""

    planned: tuple[PlannedFile, ...]
    written: tuple[PlannedFile, ...]

    @property
    def conflicts(self) -> tuple[PlannedFile, ...]:
        return tuple(p for p in self.planned if p.action == "conflict")


def generate(
    ws: Workspace, *, provider: str = "github", force: bool = False, dry_run: bool = False
) -> GenerateResult:
    """Plan the workflows for ``ws`` and write them (nothing when ``dry_run``; nothing at all
    when a file was edited by hand and ``force`` is off)."""
    if provider not in PROVIDERS:
        raise UserError(
            f"unknown CI provider {provider!r}", hint=f"use one of: {', '.join(PROVIDERS)}"
        )
    planned = plan_files(ws.root, github_workflows(ws))
    blocked = any(p.action == "conflict" for p in planned) and not force
    if dry_run or blocked:
        return GenerateResult(planned, ())
    return GenerateResult(planned, tuple(write_files(planned, force=force)))


__all__ = [
    "PROVIDERS",
    "GenerateResult",
    "PlannedFile",
    "Workflow",
    "edited_by_hand",
    "generate",
    "github_workflows",
    "plan_files",
    "with_header",
    "write_files",
]
