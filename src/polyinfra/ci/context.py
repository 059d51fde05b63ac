"""What the workflows are generated from: [tool.polyinfra.ci] (its names are checked when the
settings are read: :mod:`polyinfra.values.types`), and the names derived from it once."""

from __future__ import annotations

import re

from polyinfra.workspace import Workspace
from polyinfra.workspace.settings import CiSettings


class WorkflowContext:
    def __init__(self, ws: Workspace, ci: CiSettings) -> None:
        self.ws = ws
        self.ci = ci
        self.production_stack = ws.stack_for_env(ci.production_environment)
        self.sandbox_stack = ws.stack_for_env(ci.sandbox_environment)
        self.stacks = tuple(sorted({s for p in ws.programs for s in p.stacks}))
        tool = ci.tool_project.strip("/") or "."
        self.tool_dir = tool
        self.venv_bin = ".venv/bin" if tool == "." else f"{tool}/.venv/bin"
        self.released_tag = re.sub(r"[^A-Za-z0-9_.-]", "-", ci.main_branch)[:128]

    def var(self, name: str) -> str:
        return "${{ vars." + name + " }}"
