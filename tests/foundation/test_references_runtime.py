"""Cross-stack references at run time (`pulumi up`): resolved through a ``StackReference`` to
``<organization>/<the referenced program's Pulumi project>/<stack>``, before validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import from_pulumi_config
from polyinfra.foundation.model import StackConfig
from polyinfra.foundation.plan import mocks, run_under_mocks
from polyinfra.yamlio import load_file
from tests.conftest import edit
from tests.foundation.three_stack import SERVICES, three_stack_workspace

#: What the platform's sandbox stack has exported, as the Pulumi service would answer.
PLATFORM_OUTPUTS = {
    "gcp_project": "acme-sandbox",
    "environment": "sandbox-eu",
    "projects": {"stock-webhook": {"registry_url": "europe-docker.pkg.dev/acme-sandbox/hooks"}},
}
STACK_REFERENCE = "pulumi:pulumi:StackReference"


@pytest.fixture
def referenced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the stacks referenced; each answers with :data:`PLATFORM_OUTPUTS`."""
    names: list[str] = []
    original = mocks.computed_state

    def state(type_: str, inputs: dict[str, Any], project: str, name: str) -> dict[str, Any]:
        if type_ == STACK_REFERENCE:
            names.append(inputs["name"])
            return {"name": inputs["name"], "outputs": PLATFORM_OUTPUTS, "secretOutputNames": []}
        return original(type_, inputs, project, name)

    monkeypatch.setattr(mocks, "computed_state", state)
    return names


def engine_config(stack_file: Path) -> dict[str, str]:
    """The stack file's config as the Pulumi engine hands it to the program."""
    config = load_file(stack_file).data["config"]
    return {key: v if isinstance(v, str) else json.dumps(v) for key, v in config.items()}


def run_program(
    program: Path, extra: dict[str, str] | None = None, secret_keys: list[str] | None = None
) -> StackConfig:
    got: list[StackConfig] = []
    run_under_mocks(
        lambda: got.append(from_pulumi_config(program)),
        project="data-platform-services",
        stack="sandbox",
        gcp_project="acme-sandbox",
        config={**engine_config(program / "Pulumi.sandbox.yaml"), **(extra or {})},
        secret_keys=secret_keys,
    )
    return got[0]


def test_references_resolve_through_a_stack_reference(
    tmp_path: Path, referenced: list[str]
) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    config = run_program(root / SERVICES)
    assert referenced == ["organization/data-platform-platform/sandbox"]
    assert config.environment == "sandbox-eu"
    account = config.input.projects["stock-webhook"].service_account
    assert account is not None
    assert account.description == (
        "Runtime identity of the stock-webhook function "
        "(images in europe-docker.pkg.dev/acme-sandbox/hooks)"
    )


def test_the_organization_is_the_programs_own_setting(
    tmp_path: Path, referenced: list[str]
) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    edit(
        root,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "  input:environment: ${platform.environment}\n",
        "  input:environment: ${platform.environment}\n"
        "  data-platform-services:stack_reference_organization: acme\n",
    )
    run_program(root / SERVICES)
    assert referenced == ["acme/data-platform-platform/sandbox"]


def test_a_missing_output_fails_before_any_resource(tmp_path: Path, referenced: list[str]) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    edit(
        root,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "${platform.environment}",
        "${platform.environments}",
    )
    with pytest.raises(UserError) as caught:
        run_program(root / SERVICES)
    errors = caught.value.errors if isinstance(caught.value, UserErrors) else [caught.value]
    (error,) = errors
    assert str(error.position) == f"{root / SERVICES / 'Pulumi.sandbox.yaml'}:6:22"
    assert error.message == (
        "reference '${platform.environments}': platform has no output 'environments'"
    )
    assert error.hint == (
        "did you mean 'environment'? outputs of platform: environment, gcp_project, projects"
    )


def test_a_decrypted_secret_is_never_parsed_nor_shown(
    tmp_path: Path, referenced: list[str]
) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    secret = {"data-platform-services:token": "pa${ss-TOPSECRET"}
    config = run_program(root / SERVICES, secret, ["data-platform-services:token"])
    assert config.environment == "sandbox-eu"
    # without it marked secret, the value is read as a (broken) reference
    with pytest.raises(UserError) as caught:
        run_program(root / SERVICES, secret)
    assert "${ss-TOPSECRET" in caught.value.render()
