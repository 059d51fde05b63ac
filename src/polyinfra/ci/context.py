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


#: What each checked setting must be: the pattern, what the value is not, how to fix it.
_SETTINGS = (
    *(
        (
            field,
            VARIABLE_NAME,
            "a GitHub variable name",
            "use letters, digits and underscores, not starting with a digit",
        )
        for field in (
            "region_variable",
            "project_id_variable",
            "workload_identity_provider_variable",
            "service_account_variable",
            "pulumi_backend_variable",
            "pulumi_passphrase_secret",
        )
    ),
    *(
        (
            field,
            ENVIRONMENT_NAME,
            "an environment name",
            "use the overlay folder name (letters, digits, '.', '_', '-')",
        )
        for field in ("production_environment", "sandbox_environment")
    ),
    (
        "tool_project",
        PLAIN_PATH,
        "a plain folder path",
        "use a workspace-relative folder such as 'infrastructure' or '.'",
    ),
)


def validate_settings(ws: Workspace, ci: CiSettings) -> None:
    """Every ``[tool.polyinfra.ci]`` value the workflows write into YAML or a shell script is
    of its kind (:data:`_SETTINGS`); all that are not are reported at once, at their key."""
    where = ws.infra_pyproject
    errors: list[UserError] = []
    for field, pattern, kind, hint in _SETTINGS:
        value = getattr(ci, field)
        if not pattern.match(value):
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} is not {kind}",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint=hint,
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
