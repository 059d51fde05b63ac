"""The image rules deploy relies on: a registry host on every image of a rendered app, a pinned
tag in an environment marked production, and which environments are marked production."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_before_deploy, read_stack, workspace_context
from polyinfra.checks.context import CheckContext
from polyinfra.checks.lint import lint_paths
from polyinfra.checks.production import production_environments
from polyinfra.checks.registry import CHECK_RULES, LINK_RULES
from polyinfra.checks.rendering import manifests_of
from polyinfra.checks.rules.cloudrun.images import registry_host
from polyinfra.manifests import render_apps
from polyinfra.workspace import Workspace
from tests.checks.conftest import LintText, variant
from tests.conftest import edit

SERVICE = "infrastructure/cloudrun_service/inventory-api"
BASE = f"{SERVICE}/base/service.yaml"
PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
INFRA_PYPROJECT = "infrastructure/pyproject.toml"
SIDECAR = "      - name: cache\n        image: {image}\n"
IMAGE_RULES = ("cloudrun/image-host", "cloudrun/image-tag", "cloudrun/production-image-tag")


def add_sidecar(root: Path, image: str) -> None:
    """A second container after inventory-api's, its image on line 49 of the base."""
    edit(root, BASE, "  traffic:\n", SIDECAR.format(image=image) + "  traffic:\n")
    assert (root / BASE).read_text().splitlines()[48] == f"        image: {image}"


def image_findings(root: Path, env: str) -> list[str]:
    ws = Workspace.discover(root)
    apps = render_apps(ws, ["inventory-api"], env, "v1").apps
    return [
        f"{p.position.relative_to(root)}: {p.level.label} {p.rule}: {p.message}"
        for p in check_before_deploy(ws, env, apps, links=False)
        if p.rule in IMAGE_RULES
    ]


@pytest.mark.parametrize(
    ("image", "host"),
    [
        ("nginx", None),
        ("library/nginx:1.2", None),
        ("nginx@sha256:" + "a" * 64, None),
        ("docker.io/library/nginx:1.27", "docker.io"),
        ("asia-southeast1-docker.pkg.dev/p/r/app:1", "asia-southeast1-docker.pkg.dev"),
        ("localhost:5000/app", "localhost:5000"),
        ("localhost/app", "localhost"),
    ],
)
def test_registry_host(image: str, host: str | None) -> None:
    assert registry_host(image) == host


def test_a_sidecar_without_registry_host_in_a_rendered_app(root: Path) -> None:
    add_sidecar(root, "redis:7.2.5")
    assert image_findings(root, "sandbox") == [
        f"{BASE}:49:16: error cloudrun/image-host: image redis:7.2.5 of container cache names "
        "no registry host: Cloud Run would pull it from Docker Hub"
    ]


def test_a_docker_hub_image_that_says_so_passes(root: Path) -> None:
    add_sidecar(root, "docker.io/library/redis:7.2.5")
    assert image_findings(root, "sandbox") == []


def test_plain_manifest_files_may_name_docker_hub_images_without_host(
    lint_text: LintText,
) -> None:
    text = variant("job", ("asia-southeast1-docker.pkg.dev/my-project/apps/my-job:1.4.2", "redis"))
    assert lint_text(text, *IMAGE_RULES) == [
        "26:20 warning image redis of container worker is untagged (that is :latest)"
    ]


def test_a_moving_tag_is_an_error_in_production_and_a_warning_elsewhere(root: Path) -> None:
    add_sidecar(root, "docker.io/library/redis:latest")
    assert image_findings(root, "production") == [
        f"{BASE}:49:16: error cloudrun/production-image-tag: image "
        "docker.io/library/redis:latest of container cache is tagged :latest, in production "
        "environment 'production'"
    ]
    assert image_findings(root, "sandbox") == [
        f"{BASE}:49:16: warning cloudrun/image-tag: image docker.io/library/redis:latest of "
        "container cache is tagged :latest"
    ]


def test_lint_of_the_production_overlay_marks_it_production(root: Path) -> None:
    add_sidecar(root, "docker.io/library/redis")
    result = lint_paths([root / SERVICE], env="production", select=list(IMAGE_RULES))
    assert [(p.rule, p.level.label, p.position.line) for p in result.problems] == [
        ("cloudrun/production-image-tag", "error", 49)
    ]


def marked(root: Path) -> set[str]:
    ws = Workspace.discover(root)
    manifests = [
        manifest
        for env in ("sandbox", "production")
        for manifest in manifests_of(render_apps(ws, ["inventory-api"], env, "v1").apps)
    ]
    return set(production_environments(CheckContext(manifests=tuple(manifests), workspace=ws)))


def test_the_example_marks_production_only(root: Path) -> None:
    assert marked(root) == {"production"}


def test_the_ci_production_environment_is_production(root: Path) -> None:
    with (root / INFRA_PYPROJECT).open("a", encoding="utf-8") as f:
        f.write('\n[tool.polyinfra.ci]\nproduction_environment = "sandbox"\n')
    # production stays marked: its stack file says input:environment: production
    assert marked(root) == {"sandbox", "production"}


def test_a_stack_whose_foundation_environment_is_production(root: Path) -> None:
    edit(root, SANDBOX_STACK, "input:environment: sandbox", "input:environment: production")
    assert marked(root) == {"sandbox", "production"}


def test_the_stack_name_counts_when_input_environment_is_absent(root: Path) -> None:
    with (root / INFRA_PYPROJECT).open("a", encoding="utf-8") as f:
        f.write('\n[tool.polyinfra.ci]\nproduction_environment = "sandbox"\n')
    edit(root, PROD_STACK, "  input:environment: production\n", "")
    assert marked(root) == {"sandbox", "production"}
    edit(root, PROD_STACK, "  input:bucket:", "  input:environment: live\n  input:bucket:")
    assert marked(root) == {"sandbox"}


def test_without_a_workspace_nothing_is_production() -> None:
    assert production_environments(CheckContext()) == frozenset()


def test_the_link_rules_are_the_ones_check_runs() -> None:
    assert all(any(rule is other for other in CHECK_RULES) for rule in LINK_RULES)
    assert [rule.ID for rule in LINK_RULES] == [
        "config/stack-valid",
        "crossstack/service-account-exists",
        "crossstack/namespace-project",
        "crossstack/secret-declared",
        "crossstack/secret-readable",
        "crossstack/image-registry",
    ]


def test_deploy_checks_only_the_apps_it_renders(root: Path) -> None:
    edit(
        root,
        "infrastructure/cloudrun_function/stock-webhook/overlays/sandbox/kustomization.yaml",
        "namespace: data-platform-sandbox",
        "namespace: data-platform-prod",
    )
    ws = Workspace.discover(root)
    one = render_apps(ws, ["inventory-api"], "sandbox", "v1").apps
    assert check_before_deploy(ws, "sandbox", one) == []
    every = render_apps(ws, [], "sandbox", "v1").apps
    assert [p.rule for p in check_before_deploy(ws, "sandbox", every)] == [
        "crossstack/namespace-project"
    ]


def test_a_plan_is_computed_once_when_first_asked(root: Path) -> None:
    ws = Workspace.discover(root)
    stack = read_stack(ws, "sandbox")
    ctx = workspace_context(ws, [stack], [])
    assert ctx.plans == {}
    plan = ctx.plan_of(stack)
    assert plan is not None
    assert plan.resources
    assert ctx.plan_of(stack) is plan
    assert workspace_context(ws, [stack], [], plans={}).plan_of(stack) is None
