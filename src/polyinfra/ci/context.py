"""What the workflows are generated from: [tool.polyinfra.ci] checked (GitHub variable and
environment names, the tool folder), and the names derived from it once."""

from __future__ import annotations

import re

from polyinfra.errors import UserError, UserErrors
from polyinfra.workspace import Workspace
from polyinfra.workspace.settings import CiSettings
from polyinfra.workspace.tomlfile import key_position

VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


# Written into shell scripts unquoted-safe: no spaces, quotes or expansions.
PLAIN_PATH = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$")


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


def validate_settings(ws: Workspace, ci: CiSettings) -> None:
    where = ws.infra_pyproject
    errors: list[UserError] = []
    for field in (
        "region_variable",
        "project_id_variable",
        "workload_identity_provider_variable",
        "service_account_variable",
        "pulumi_backend_variable",
        "pulumi_passphrase_secret",
    ):
        value = getattr(ci, field)
        if not VARIABLE_NAME.match(value):
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} is not a GitHub variable name",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint="use letters, digits and underscores, not starting with a digit",
                )
            )
    for field in ("production_environment", "sandbox_environment"):
        value = getattr(ci, field)
        if not ENVIRONMENT_NAME.match(value):
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} is not an environment name",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint="use the overlay folder name (letters, digits, '.', '_', '-')",
                )
            )
    if not PLAIN_PATH.match(ci.tool_project):
        errors.append(
            UserError(
                f"[tool.polyinfra.ci] tool_project = {ci.tool_project!r} is not a plain "
                "folder path",
                position=key_position(where, ("tool", "polyinfra", "ci"), "tool_project")
                if where
                else None,
                hint="use a workspace-relative folder such as 'infrastructure' or '.'",
            )
        )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
