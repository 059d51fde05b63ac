"""Policy rules over the foundation plan and the rendered apps, on edited copies of the example:
public services marked in the settings, grants to all authenticated users, secrets named after
declared ones, and what is allowed outside production."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace
from tests.conftest import edit

MAIN = "infrastructure/pulumi/__main__.py"
SERVICE_PROD = (
    "infrastructure/cloudrun_service/inventory-api/overlays/production/kustomization.yaml"
)
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"

PUBLIC_INVOKER = """
import pulumi_gcp as gcp

gcp.cloudrunv2.ServiceIamMember(
    "inventory-api-public",
    name="inventory-api",
    location="asia-southeast1",
    role="roles/run.invoker",
    member="allUsers",
)
"""


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def policy(root: Path, *envs: str) -> list[str]:
    result = check_workspace(root, environments=envs, select=["policy"])
    return [f"{p.position.relative_to(root)}: {p.rule}: {p.message}" for p in result.problems]


def test_a_service_marked_public_may_be_invoked_by_all_users(root: Path) -> None:
    append(root, MAIN, PUBLIC_INVOKER)
    assert policy(root, "production") == [
        f"{MAIN}:14:12: policy/no-public-members: production: inventory-api-public grants "
        "roles/run.invoker to allUsers"
    ]
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        '[tool.polyinfra]\npublic_services = ["inventory-api"]\n',
    )
    assert policy(root, "production") == []


def test_public_services_do_not_cover_other_grants(root: Path) -> None:
    append(
        root,
        MAIN,
        "\nimport pulumi_gcp as gcp\n\n"
        'gcp.projects.IAMMember("everyone-views", project="data-platform-prod",\n'
        '                       role="roles/logging.viewer", member="allAuthenticatedUsers")\n',
    )
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        '[tool.polyinfra]\npublic_services = ["inventory-api"]\n',
    )
    assert policy(root, "sandbox") == [
        f"{MAIN}:10:60: policy/no-public-members: sandbox: everyone-views grants "
        "roles/logging.viewer to allAuthenticatedUsers"
    ]


def test_env_named_after_a_declared_secret_is_a_secret(root: Path) -> None:
    stack = "infrastructure/pulumi/Pulumi.production.yaml"
    edit(
        root,
        stack,
        "      secrets:\n",
        "      secrets:\n        - secret_id: DMD_SIGNING_SALT\n          replication:\n"
        "            auto: {}\n",
    )
    edit(
        root, SERVICE_PROD, "          name: GCP_PROJECT_ID\n", "          name: DMD_SIGNING_SALT\n"
    )
    found = policy(root, "production")
    assert found == [
        f"{SERVICE_PROD}:34:18: policy/no-plain-secrets: inventory-api (production): env "
        "DMD_SIGNING_SALT is given as a plain value, but the stack declares it as a secret"
    ]
    # the value itself never appears in a message
    assert "data-platform-prod" not in found[0].split(": ", 1)[1]


def test_secret_looking_names_are_left_to_the_manifest_rule(root: Path) -> None:
    # DMD_API_TOKEN is declared, but any *_TOKEN is already cloudrun/secret-literal's
    edit(root, SERVICE_PROD, "          name: GCP_PROJECT_ID\n", "          name: DMD_API_TOKEN\n")
    assert policy(root, "production") == []


def test_placeholder_values_are_not_secrets(root: Path) -> None:
    edit(
        root,
        SERVICE_PROD,
        "          name: GCP_PROJECT_ID\n          value: data-platform-prod\n",
        "          name: API_KEY\n          value: API_KEY_PLACEHOLDER\n",
    )
    assert policy(root, "production") == []


def test_protection_may_be_off_outside_production(root: Path) -> None:
    edit(
        root,
        SANDBOX_STACK,
        "  input:environment: sandbox\n",
        "  input:environment: sandbox\n  input:protect: false\n",
    )
    assert policy(root, "sandbox") == []


def test_public_access_prevention_inherited(root: Path) -> None:
    edit(
        root,
        SANDBOX_STACK,
        "public_access_prevention: enforced",
        "public_access_prevention: inherited",
    )
    assert policy(root, "sandbox") == [
        f"{SANDBOX_STACK}:84:35: policy/bucket-access: sandbox: bucket "
        "data-platform-sandbox-dmd-raw has public_access_prevention 'inherited', not 'enforced'"
    ]


def test_a_section_that_empties_its_labels(root: Path) -> None:
    edit(
        root,
        SANDBOX_STACK,
        "        repository_id: stock-webhook\n",
        "        repository_id: stock-webhook\n        labels: {owner: platform}\n",
    )
    # the section's own value wins, and owner is present: labels are present, not enforced equal
    assert policy(root, "sandbox") == []


def test_a_public_service_still_grants_only_the_invoker_role(root: Path) -> None:
    append(root, MAIN, PUBLIC_INVOKER.replace("roles/run.invoker", "roles/run.developer"))
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        '[tool.polyinfra]\npublic_services = ["inventory-api"]\n',
    )
    assert policy(root, "production") == [
        f"{MAIN}:14:12: policy/no-public-members: production: inventory-api-public grants "
        "roles/run.developer to allUsers"
    ]


def test_a_resource_of_input_resources_is_found_at_its_entry(root: Path) -> None:
    stack = "infrastructure/pulumi/Pulumi.production.yaml"
    edit(
        root,
        stack,
        "  # Workspace-wide monitoring\n",
        "  input:resources:\n"
        "    archive:\n"
        "      type: gcp.storage.Bucket\n"
        "      protect: false\n"
        "      args: {name: data-platform-prod-archive, location: ASIA-SOUTHEAST1}\n"
        "\n  # Workspace-wide monitoring\n",
    )
    # the bucket policy holds for any bucket; the defaults are the cloud_storage section's
    # each at the entry's arguments
    assert policy(root, "production") == [
        f"{stack}:122:7: policy/bucket-access: production: bucket data-platform-prod-archive "
        "has public_access_prevention None, not 'enforced'",
        f"{stack}:122:7: policy/bucket-access: production: bucket data-platform-prod-archive "
        "has uniform_bucket_level_access None, not True",
        f"{stack}:122:7: policy/protect-stateful: production: Bucket bucket_archive is not "
        "protected",
    ]
