"""Who the workflows act as in Google Cloud: the inputs of google-github-actions/auth.

When an environment's stack file declares ``input:workload_identity`` (the platform stack, in
the three-stack layout), the workflows authenticate through the provider it creates, as the
deployer it creates: the provider's name is
``projects/<number>/locations/global/workloadIdentityPools/<pool_id>/providers/<provider_id>``
and the deployer is ``<account_id>@<project>.iam.gserviceaccount.com``. Everything but the
project number is in the stack file; the number, which Google assigns, comes from a GitHub
variable per environment (``[tool.polyinfra.ci] project_number_variable``). Otherwise the
three GitHub variables of the settings name the provider, the account and the project.

The stack file is read as the other commands that need a few values read it
(:mod:`polyinfra.foundation.stackview`): a mistake elsewhere in it is ``check``'s to report;
the values written into the workflows are checked here, at their place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from polyinfra.errors import UserError
from polyinfra.values import InvalidValue
from polyinfra.values.types import (
    ServiceAccountId,
    WorkloadIdentityPoolId,
    WorkloadIdentityProviderId,
)
from polyinfra.workspace import Workspace
from polyinfra.workspace.settings import CiSettings
from polyinfra.yamlio import KeyPath, YamlDocument

SECTION = "input:workload_identity"
#: A Google Cloud project id (6-30 lowercase letters, digits and hyphens, starting with a
#: letter): written into the deployer's email.
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", re.ASCII)


def variable(name: str) -> str:
    """A GitHub variable as a workflow value."""
    return "${{ vars." + name + " }}"


@dataclass(frozen=True)
class AuthInputs:
    """The ``with:`` of google-github-actions/auth for one environment."""

    workload_identity_provider: str
    service_account: str
    project_id: str

    def texts(self) -> dict[str, str]:
        return {
            "workload_identity_provider": self.workload_identity_provider,
            "service_account": self.service_account,
            "project_id": self.project_id,
        }


def number_variable(ci: CiSettings, env: str) -> str:
    """The GitHub variable holding the project number of environment ``env``.

    >>> number_variable(CiSettings(), "sandbox-eu")
    'GCP_PROJECT_NUMBER_SANDBOX_EU'
    """
    return f"{ci.project_number_variable}_{re.sub(r'[^A-Za-z0-9]', '_', env).upper()}"


def auth_inputs(ws: Workspace, ci: CiSettings, env: str) -> AuthInputs:
    """The inputs of environment ``env``: its stack's workload identity when a stack file of
    it declares one (the first in :meth:`Workspace.stack_files` order: platform's), else the
    variables of the settings."""
    stack = ws.stack_for_env(env)
    for path in ws.stack_files(stack):
        found = _declared(ws, path, ci, env)
        if found is not None:
            return found
    return settings_inputs(ci)


def settings_inputs(ci: CiSettings) -> AuthInputs:
    """The inputs the settings' variables name: the identity that provisions the stacks. It
    is set up outside them (it must exist before the platform creates the pool, and create
    what the stacks declare), unlike the deployer the platform creates for the deploys."""
    return AuthInputs(
        variable(ci.workload_identity_provider_variable),
        variable(ci.service_account_variable),
        variable(ci.project_id_variable),
    )


def _declared(ws: Workspace, path: Path, ci: CiSettings, env: str) -> AuthInputs | None:
    from polyinfra.foundation.stackview import config_value, gcp_project
    from polyinfra.yamlio import load_stack_file

    document = load_stack_file(path, bounds=ws.bounds)
    section = config_value(document, SECTION)
    if section is None:
        return None
    where: KeyPath = ("config", SECTION)
    if not isinstance(section, dict):
        raise _error(document, where, "is not a mapping")
    pool = _checked(document, section, (*where, "pool_id"), WorkloadIdentityPoolId)
    provider = _checked(document, section, (*where, "provider_id"), WorkloadIdentityProviderId)
    deployer = section.get("deployer")
    if not isinstance(deployer, dict):
        raise _error(document, (*where, "deployer"), "is missing: the workflows act as it")
    account = _checked(document, deployer, (*where, "deployer", "account_id"), ServiceAccountId)
    project_path: KeyPath = (*where, "deployer", "project")
    project = deployer.get("project")
    if project is None:
        project_path = ("config", "gcp:project")
        project = gcp_project(document)
    if not isinstance(project, str) or not _PROJECT_ID.fullmatch(project):
        raise _error(
            document,
            project_path,
            f"must be a project id written out ({project!r}): the deployer's email is made of it",
        )
    gcp = gcp_project(document)
    number = number_variable(ci, env)
    return AuthInputs(
        f"projects/{variable(number)}/locations/global/workloadIdentityPools/{pool}/providers/"
        f"{provider}",
        f"{account}@{project}.iam.gserviceaccount.com",
        gcp if gcp and _PROJECT_ID.fullmatch(gcp) else project,
    )


def _checked(document: YamlDocument, section: dict[str, Any], path: KeyPath, kind: Any) -> str:
    value = section.get(str(path[-1]))
    if value is None:
        raise _error(document, path, "is missing: the workflows are generated from it")
    try:
        result: str = TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        invalid = exc.errors()[0].get("ctx", {}).get("error")
        message = invalid.message if isinstance(invalid, InvalidValue) else "is not valid"
        raise _error(document, path, f"{value!r} {message}") from None
    return result


def _error(document: YamlDocument, path: KeyPath, message: str) -> UserError:
    present = document.get(path) is not None
    position = document.position(path if present else path[:-1], value=present)
    key = ".".join(str(part) for part in path[1:])
    return UserError(
        f"{key} {message}",
        position=position,
        hint="`polyinfra ci generate` writes the workload identity this stack file declares "
        "into the workflows' authentication; `polyinfra check` reports the whole file",
    )
