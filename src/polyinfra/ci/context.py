"""What the workflows are generated from: [tool.polyinfra.ci] checked (GitHub variable and
environment names, the tool folder: the types of :mod:`polyinfra.values.types`), and the names
derived from it once."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from polyinfra.ci.identity import AuthInputs, auth_inputs
from polyinfra.errors import UserError, UserErrors
from polyinfra.values import InvalidValue
from polyinfra.values.types import GithubEnvironmentName, GithubVariableName, PlainFolder
from polyinfra.workspace import Workspace
from polyinfra.workspace.settings import CiSettings
from polyinfra.workspace.tomlfile import key_position


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
        self._auth: dict[str, AuthInputs] = {}

    def var(self, name: str) -> str:
        return "${{ vars." + name + " }}"

    def auth(self, env: str) -> AuthInputs:
        """The google-github-actions/auth inputs of environment ``env``."""
        if env not in self._auth:
            self._auth[env] = auth_inputs(self.ws, self.ci, env)
        return self._auth[env]


#: The kind of each setting the workflows write into YAML or a shell script.
_KINDS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "region_variable",
            "project_id_variable",
            "workload_identity_provider_variable",
            "service_account_variable",
            "project_number_variable",
            "pulumi_backend_variable",
            "pulumi_passphrase_secret",
        ),
        TypeAdapter(GithubVariableName),
    ),
    **dict.fromkeys(
        ("production_environment", "sandbox_environment"), TypeAdapter(GithubEnvironmentName)
    ),
    "tool_project": TypeAdapter(PlainFolder),
}


def validate_settings(ws: Workspace, ci: CiSettings) -> None:
    """Every ``[tool.polyinfra.ci]`` value the workflows write into YAML or a shell script is
    of its kind (:data:`_KINDS`); all that are not are reported at once, at their key. Only
    the commands that write workflows ask: a name the CI does not use blocks nothing else."""
    where = ws.infra_pyproject
    errors: list[UserError] = []
    for field, kind in _KINDS.items():
        value = getattr(ci, field)
        try:
            kind.validate_python(value)
        except ValidationError as exc:
            invalid = exc.errors()[0].get("ctx", {}).get("error")
            message = invalid.message if isinstance(invalid, InvalidValue) else str(exc)
            hint = invalid.hint if isinstance(invalid, InvalidValue) else None
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} {message}",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint=hint,
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
