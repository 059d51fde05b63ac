"""Cross-stack rules on edited copies of the example: the cases the broken-variant battery does
not reach (secretKeyRef without an alias, secrets of another project, missing service
accounts, registries in another location, schedulers without an identity)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from tests.conftest import EXAMPLE

JOB_PROD = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/production/kustomization.yaml"
SERVICE_BASE = "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return copy


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def crossstack(root: Path, env: str = "production") -> list[str]:
    result = check_workspace(root, environments=[env], select=["crossstack"], plan=False)
    return [
        f"{p.position.relative_to(root)}: {p.rule}: {p.message}"
        for p in result.problems
        if p.rule != "crossstack/job-trigger"
    ]


def test_secret_key_ref_without_alias_names_a_secret_of_the_project(root: Path) -> None:
    edit(root, JOB_PROD, "              name: API_TOKEN\n", "              name: DMD_API_TOKEN\n")
    assert crossstack(root) == []
    edit(
        root, JOB_PROD, "              name: DMD_API_TOKEN\n", "              name: DMD_PASSWORD\n"
    )
    assert crossstack(root) == [
        f"{JOB_PROD}:55:21: crossstack/secret-declared: dmd-inv-mov-api2bq (production) reads "
        "secret DMD_PASSWORD, which Pulumi.production.yaml does not declare"
    ]


def test_secret_of_another_project(root: Path) -> None:
    edit(root, JOB_PROD, "projects/data-platform-prod/secrets", "projects/shared-secrets/secrets")
    assert crossstack(root) == [
        f"{JOB_PROD}:18:16: crossstack/secret-declared: dmd-inv-mov-api2bq (production) reads "
        "secret DMD_API_TOKEN of project 'shared-secrets', but the stack's project is "
        "'data-platform-prod'"
    ]


def test_app_without_service_account_is_one_warning_at_the_overlay(root: Path) -> None:
    edit(
        root,
        JOB_PROD,
        "      - op: add\n        path: /spec/template/spec/template/spec/serviceAccountName\n"
        "        value: dmd-ingest@data-platform-prod.iam.gserviceaccount.com\n",
        "      - op: add\n        path: /spec/template/spec/template/spec/timeoutSeconds\n"
        "        value: 600\n",
    )
    # Cloud Run accepts it (the job runs as the default compute account): no cross-stack error
    assert crossstack(root) == []
    result = check_workspace(root, environments=["production"], plan=False)
    assert [
        (str(p.position.relative_to(root)), p.level.label, p.rule, p.message, p.hint)
        for p in result.problems
    ] == [
        (
            f"{JOB_PROD}:1:1",
            "warning",
            "cloudrun/service-account",
            "dmd-inv-mov-api2bq (production) sets no serviceAccountName: it runs as the Compute "
            "Engine default service account",
            "add a patch to this overlay: `op: add`, "
            "`path: /spec/template/spec/template/spec/serviceAccountName`, "
            "`value: dmd-ingest@data-platform-prod.iam.gserviceaccount.com` (the account "
            f"{PROD_STACK} creates for dmd-ingest)",
        )
    ]


def test_image_in_a_registry_of_another_location(root: Path) -> None:
    edit(
        root,
        SERVICE_BASE,
        "image: IMAGE_URL",
        "image: europe-west1-docker.pkg.dev/data-platform-prod/inventory-api/inventory-api:1",
    )
    assert crossstack(root) == [
        f"{SERVICE_BASE}:24:16: crossstack/image-registry: inventory-api (production) deploys "
        "europe-west1-docker.pkg.dev/data-platform-prod/inventory-api/inventory-api:1, which is "
        "not in an Artifact Registry repository of Pulumi.production.yaml (its repositories: "
        "asia-southeast1-docker.pkg.dev/data-platform-prod/dmd-ingest, "
        "asia-southeast1-docker.pkg.dev/data-platform-prod/inventory-api, "
        "asia-southeast1-docker.pkg.dev/data-platform-prod/stock-webhook)"
    ]


def test_image_in_the_stack_registry_passes(root: Path) -> None:
    edit(
        root,
        SERVICE_BASE,
        "image: IMAGE_URL",
        "image: asia-southeast1-docker.pkg.dev/data-platform-prod/inventory-api/api:1",
    )
    assert crossstack(root) == []


def test_scheduler_of_a_project_without_service_account_is_a_config_error(root: Path) -> None:
    edit(
        root,
        PROD_STACK,
        "      artifact_registry:\n        repository_id: stock-webhook\n",
        "      cloud_scheduler:\n        - name: webhook-replay\n"
        '          target_job: dmd-inv-mov-api2bq\n          schedule: "0 5 * * *"\n'
        "      artifact_registry:\n        repository_id: stock-webhook\n",
    )
    edit(
        root,
        PROD_STACK,
        "    stock-webhook:\n      service_account:\n        account_id: stock-webhook\n"
        "        description: Runtime identity of the stock-webhook function\n"
        "        display_name: Cloud Run Function stock-webhook\n",
        "    stock-webhook:\n",
    )
    # the foundation's validation refuses it; cross-stack rules do not pile on
    result = check_workspace(root, select=["crossstack", "config"], plan=False)
    assert {p.rule for p in result.problems} == {"config/stack-valid"}


def test_sandbox_is_checked_against_the_sandbox_stack(root: Path) -> None:
    # the production account in the sandbox overlay is wrong there, right in production
    sandbox = JOB_PROD.replace("production", "sandbox")
    edit(root, sandbox, "dmd-ingest@data-platform-sandbox", "dmd-ingest@data-platform-prod")
    assert crossstack(root, "production") == []
    assert crossstack(root, "sandbox") == [
        f"{sandbox}:27:16: crossstack/service-account-exists: dmd-inv-mov-api2bq (sandbox) runs "
        "as dmd-ingest@data-platform-prod.iam.gserviceaccount.com, which "
        "infrastructure/pulumi/Pulumi.sandbox.yaml does not create (did you mean "
        "'dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com'?)"
    ]


def test_environment_mapped_to_another_stack(root: Path) -> None:
    (root / "infrastructure/pulumi/Pulumi.sandbox.yaml").rename(
        root / "infrastructure/pulumi/Pulumi.dev.yaml"
    )
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        '[tool.polyinfra]\nenvironments = { sandbox = "dev" }\n',
    )
    assert crossstack(root, "sandbox") == []


def test_scheduler_targets_the_cloud_run_job_name_not_the_folder(root: Path) -> None:
    job = root / "infrastructure/cloudrun_job/dmd-inv-mov-api2bq"
    job.rename(job.with_name("dmd-inventory"))
    edit(
        root,
        "infrastructure/pyproject.toml",
        '[tool.polyinfra.apps."dmd-inv-mov-api2bq"]',
        '[tool.polyinfra.apps."dmd-inventory"]',
    )
    # the job is still called dmd-inv-mov-api2bq in its manifest: the scheduler is right
    assert crossstack(root) == []
    edit(root, PROD_STACK, "target_job: dmd-inv-mov-api2bq", "target_job: dmd-inventory")
    assert crossstack(root) == [
        f"{PROD_STACK}:92:23: crossstack/scheduler-target: scheduler 'dmd-inv-mov' targets job "
        "'dmd-inventory', which is not a Cloud Run job of environment 'production' (its jobs: "
        "dmd-inv-mov-api2bq)"
    ]


SECRET_READER = """
import pulumi_gcp as gcp

gcp.secretmanager.SecretIamMember(
    "dmd-token-reader",
    secret_id="DMD_API_TOKEN",
    role="roles/secretmanager.secretAccessor",
    member="serviceAccount:dmd-ingest@data-platform-prod.iam.gserviceaccount.com",
)
"""


def test_a_grant_on_the_secret_in_the_program_makes_it_readable(root: Path) -> None:
    edit(
        root,
        PROD_STACK,
        "        - role: roles/secretmanager.secretAccessor # reads DMD_API_TOKEN\n"
        "          resource: {secret: DMD_API_TOKEN}\n",
        "",
    )
    result = check_workspace(root, environments=["production"], select=["crossstack"])
    assert [(p.rule, p.position.line) for p in result.problems] == [
        ("crossstack/secret-readable", 55)
    ]
    main = root / "infrastructure/pulumi/__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + SECRET_READER, encoding="utf-8")
    result = check_workspace(root, environments=["production"], select=["crossstack"])
    assert result.problems == []


JOB_INVOKER = """
import pulumi_gcp as gcp

gcp.cloudrunv2.JobIamMember(
    "dmd-job-runner",
    name="dmd-inv-mov-api2bq",
    location="asia-southeast1",
    role="roles/run.invoker",
    member="serviceAccount:dmd-ingest@data-platform-prod.iam.gserviceaccount.com",
)
"""


def test_a_grant_on_the_job_in_the_program_lets_the_scheduler_run_it(root: Path) -> None:
    edit(
        root,
        PROD_STACK,
        "        - role: roles/run.invoker # Cloud Scheduler runs the job as this account\n"
        "          resource: {job: dmd-inv-mov-api2bq}\n",
        "",
    )
    result = check_workspace(root, environments=["production"], select=["crossstack"])
    assert [(p.rule, p.position.line) for p in result.problems] == [
        ("crossstack/scheduler-invoker", 55)
    ]
    main = root / "infrastructure/pulumi/__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + JOB_INVOKER, encoding="utf-8")
    result = check_workspace(root, environments=["production"], select=["crossstack"])
    assert result.problems == []


@pytest.mark.parametrize(
    ("location", "region", "local"),
    [
        ("asia-southeast1", "asia-southeast1", True),
        ("ASIA-SOUTHEAST1", "asia-southeast1", True),
        ("asia", "asia-southeast1", True),
        ("europe", "europe-west1", True),
        ("us", "us-central1", True),
        ("us", "europe-west1", False),
        ("europe-west1", "asia-southeast1", False),
        ("asia-southeast2", "asia-southeast1", False),
    ],
)
def test_repository_locations_local_to_a_region(location: str, region: str, local: bool) -> None:
    from polyinfra.checks.rules.crossstack.registry import same_location

    assert same_location(location, region) is local
