"""`check`, `plan`, `render` and `deploy` in a three-stack workspace: every program's stack
files are read, platform before services, and what an app may use is what either creates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace, read_stacks
from polyinfra.deploy.apps import stack_region
from polyinfra.errors import UserError
from polyinfra.foundation.plan import plan_workspace
from polyinfra.foundation.stackview import StackView, read_stack_view
from polyinfra.manifests.apps import image_ref
from polyinfra.manifests.links import discover_workspace
from polyinfra.yamlio import load_text
from tests.conftest import edit
from tests.foundation.three_stack import PLATFORM, REGISTRY_URL, SERVICES, three_stack_workspace


@pytest.fixture
def layered(tmp_path: Path) -> Path:
    return three_stack_workspace(tmp_path / "ws")


def test_the_whole_layout_checks_clean_with_a_registry_only_the_platform_declares(
    layered: Path,
) -> None:
    result = check_workspace(layered)
    assert [(p.rule, p.message) for p in result.problems] == []
    ws = discover_workspace(layered)
    stacks = read_stacks(ws, ["sandbox"])
    assert [(s.key, s.path.relative_to(layered).as_posix()) for s in stacks] == [
        ("platform/sandbox", f"{PLATFORM}/Pulumi.sandbox.yaml"),
        ("services/sandbox", f"{SERVICES}/Pulumi.sandbox.yaml"),
    ]
    services = stacks[1]
    assert services.upstream == (stacks[0],)
    # the services stack's lookups include the platform's registry, at the platform's line
    registry = next(r for r in services.registries() if r.project == "stock-webhook")
    assert (registry.position.file, registry.position.line) == (stacks[0].path, 8)
    # its resolved gcp:project is the platform's
    assert services.gcp_project == "data-platform-sandbox"


def test_a_program_without_the_environments_stack_file_is_reported_at_its_program(
    layered: Path,
) -> None:
    (layered / PLATFORM / "Pulumi.production.yaml").unlink()
    problems = check_workspace(layered, environments=["production"]).problems
    assert [(p.rule, p.position.file.name, p.message) for p in problems] == [
        (
            "config/stack-valid",
            "Pulumi.yaml",
            f"environment 'production' has no stack file {PLATFORM}/Pulumi.production.yaml",
        )
    ]
    assert problems[0].position.file == layered / PLATFORM / "Pulumi.yaml"


def test_an_error_in_the_platform_file_is_reported_there_and_at_the_references_to_it(
    layered: Path,
) -> None:
    edit(layered, f"{PLATFORM}/Pulumi.sandbox.yaml", "format: DOCKER", "format: [DOCKER]")
    problems = check_workspace(layered, environments=["sandbox"]).problems
    assert [
        (p.rule, p.position.file.relative_to(layered).as_posix(), p.position.line, p.message)
        for p in problems
    ] == [
        (
            "config/stack-valid",
            f"{PLATFORM}/Pulumi.sandbox.yaml",
            9,
            "input:projects.stock-webhook.artifact_registry.format: expected a string, got a list",
        ),
        (
            "config/stack-valid",
            f"{SERVICES}/Pulumi.sandbox.yaml",
            6,
            "reference '${platform.environment}': the platform program's stack cannot be "
            "planned (its errors follow)",
        ),
    ]


def test_plan_plans_every_program_in_order_and_names_each(layered: Path) -> None:
    plans = plan_workspace(layered, stack="sandbox")
    assert [(p.program, p.stack, len(p.resources)) for p in plans] == [
        ("platform", "sandbox", 1),
        ("services", "sandbox", 22),
    ]
    assert json.loads(json.dumps(plans[0].to_json()))["program"] == "platform"
    only = plan_workspace(layered / SERVICES, stack="sandbox")
    assert [(p.program, p.stack) for p in only] == [("services", "sandbox")]


def test_plan_refuses_a_stack_one_program_lacks_before_planning_anything(layered: Path) -> None:
    (layered / PLATFORM / "Pulumi.production.yaml").unlink()
    with pytest.raises(UserError) as caught:
        plan_workspace(layered, stack="production")
    assert caught.value.message == (
        f"{layered / PLATFORM}: no stack 'production' (stacks: sandbox)"
    )


def test_render_takes_the_image_from_the_platforms_registry(layered: Path) -> None:
    ws = discover_workspace(layered)
    app = ws.apps["stock-webhook"]
    assert image_ref(ws, app, "sandbox", "1.2.3") == f"{REGISTRY_URL}/stock-webhook:1.2.3"
    # neither program declares it: the error is the platform file's, where the project is
    edit(
        layered,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "      artifact_registry:\n        repository_id: stock-webhook\n",
        "      artifact_registry:\n        repository: stock-webhook\n",
    )
    with pytest.raises(UserError) as caught:
        image_ref(ws, app, "sandbox", "1.2.3")
    assert caught.value.message == (
        "stock-webhook (sandbox): project 'stock-webhook' under input:projects in "
        "Pulumi.sandbox.yaml has an artifact_registry without repository_id to take the image "
        "repository from"
    )
    assert caught.value.position is not None
    assert caught.value.position.file == layered / PLATFORM / "Pulumi.sandbox.yaml"


def test_deploy_takes_the_region_from_the_platform_when_services_states_none(
    layered: Path,
) -> None:
    edit(layered, f"{SERVICES}/Pulumi.sandbox.yaml", "  gcp:region: asia-southeast1\n", "")
    edit(
        layered,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "gcp:region: asia-southeast1",
        "gcp:region: europe-west1",
    )
    ws = discover_workspace(layered)
    assert stack_region(ws, "sandbox") == "europe-west1"
    assert read_stack_view(ws, "sandbox").gcp_project() == "data-platform-sandbox"


def _view(**files: str) -> StackView:
    documents = tuple(
        (name, load_text(text, Path(f"/ws/{name}/Pulumi.sandbox.yaml")))
        for name, text in files.items()
    )
    return StackView("sandbox", documents)


def test_the_view_reads_the_last_program_that_states_a_value() -> None:
    view = _view(
        platform="config:\n  gcp:project: acme\n  gcp:region: europe-west1\n",
        services="config:\n  gcp:project: acme-apps\n"
        "  gcp:region: ${platform.networks.main.subnets.apps.region}\n",
    )
    assert view.gcp_project() == "acme-apps"
    assert view.gcp_project("platform") == "acme"
    # a reference (an error in a provider setting, which check reports) counts as unset
    assert view.gcp_region("services") is None
    assert view.gcp_region() == "europe-west1"


def test_policy_findings_of_both_programs_plans_are_reported_each_at_its_file(
    layered: Path,
) -> None:
    identity = (
        "  input:workload_identity:\n"
        "    pool_id: github\n"
        "    provider_id: data-platform\n"
        "    repository: acme/data-platform\n"
        "    deployer:\n"
        "      account_id: github-deployer\n"
        "      roles: [roles/run.admin, roles/editor]\n"
    )
    edit(
        layered,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "  input:environment: sandbox\n",
        "  input:environment: sandbox\n" + identity,
    )
    edit(layered, f"{SERVICES}/Pulumi.sandbox.yaml", "- roles/bigquery.jobUser", "- roles/owner")
    problems = check_workspace(layered, environments=["sandbox"]).problems
    found = [
        (p.rule, p.position.file.relative_to(layered).as_posix(), p.position.line) for p in problems
    ]
    assert found == [
        ("policy/no-primitive-roles", f"{PLATFORM}/Pulumi.sandbox.yaml", 11),
        ("policy/no-primitive-roles", f"{SERVICES}/Pulumi.sandbox.yaml", 53),
    ]


def test_a_platform_in_a_project_of_its_own_serves_the_images(layered: Path) -> None:
    edit(
        layered,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "gcp:project: data-platform-sandbox",
        "gcp:project: data-platform-shared",
    )
    ws = discover_workspace(layered)
    image = image_ref(ws, ws.apps["stock-webhook"], "sandbox", "1.2.3")
    assert image == (
        "asia-southeast1-docker.pkg.dev/data-platform-shared/stock-webhook/stock-webhook:1.2.3"
    )
    # check holds the rendered image against the repository in the platform's project
    problems = check_workspace(layered, environments=["sandbox"]).problems
    assert [(p.rule, p.message) for p in problems if "registry" in p.rule] == []


def test_render_names_the_program_whose_stack_file_is_missing(layered: Path) -> None:
    (layered / PLATFORM / "Pulumi.sandbox.yaml").unlink()
    ws = discover_workspace(layered)
    with pytest.raises(UserError) as caught:
        image_ref(ws, ws.apps["stock-webhook"], "sandbox", "1.2.3")
    assert caught.value.message == (
        "stock-webhook (sandbox): no image repository in the stack files there are, and "
        f"{PLATFORM} has no Pulumi.sandbox.yaml"
    )
    assert caught.value.position is not None
    assert caught.value.position.file == layered / PLATFORM
