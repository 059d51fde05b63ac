"""`polyinfra check` on broken copies of the example workspace: each copy carries one mistake,
which must be reported with the right rule id at the right file:line, and nothing else."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from tests.conftest import EXAMPLE

JOB = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq"
SERVICE = "infrastructure/cloudrun_service/inventory-api"
FUNCTION = "infrastructure/cloudrun_function/stock-webhook"
PROD_STACK = "infrastructure/pulumi/Pulumi.production.yaml"
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
MAIN = "infrastructure/pulumi/__main__.py"

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

UNLABELLED_TOPIC = """
import pulumi_gcp as gcp

gcp.pubsub.Topic("audit-events", name="audit-events")
"""


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``file``; with ``old``
    None, write ``new`` as the whole file (created if missing); with ``new`` None, delete the
    file or folder."""

    file: str
    old: str | None
    new: str | None

    def apply(self, root: Path) -> None:
        path = root / self.file
        if self.new is None:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            return
        if self.old is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.new, encoding="utf-8")
            return
        text = path.read_text(encoding="utf-8")
        assert text.count(self.old) == 1, f"{self.old!r} must occur once in {self.file}"
        path.write_text(text.replace(self.old, self.new), encoding="utf-8")


def append(file: str, text: str) -> Edit:
    original = (EXAMPLE / file).read_text(encoding="utf-8")
    return Edit(file, None, original + text)


VARIANTS: list[tuple[str, Edit, set[tuple[str, str]]]] = [
    (
        "infrastructure listed as a uv workspace member",
        Edit(
            "pyproject.toml",
            'members = ["projects/*"]\n'
            "# infrastructure/ has its own pyproject.toml and lifecycle; it is never a workspace "
            'member.\nexclude = ["infrastructure"]',
            'members = ["projects/*", "infrastructure"]',
        ),
        {("workspace/infra-not-uv-member", "pyproject.toml:34")},
    ),
    (
        "readme field in the infrastructure pyproject",
        Edit(
            "infrastructure/pyproject.toml",
            'for the data platform"\n',
            'for the data platform"\nreadme = "README.md"\n',
        ),
        {("workspace/infra-no-readme-field", "infrastructure/pyproject.toml:5")},
    ),
    (
        "pulumi-gcp missing from the infrastructure dependencies",
        Edit("infrastructure/pyproject.toml", '    "pulumi-gcp>=9.6.0",\n', ""),
        # and the lock, made with it, no longer matches
        {
            ("workspace/infra-dependencies", "infrastructure/pyproject.toml:6"),
            ("workspace/uv-lock", "infrastructure/pyproject.toml:6"),
        },
    ),
    (
        "README.md inside infrastructure/",
        Edit("infrastructure/pulumi/README.md", None, "# Foundation\n"),
        {("workspace/infra-no-readme-file", "infrastructure/pulumi/README.md:1")},
    ),
    (
        "Pulumi.yaml runtime is not python",
        Edit("infrastructure/pulumi/Pulumi.yaml", "  name: python", "  name: nodejs"),
        {("workspace/pulumi-python-runtime", "infrastructure/pulumi/Pulumi.yaml:4")},
    ),
    (
        "kustomization inside a project",
        Edit(
            "projects/inventory_api/k8s/kustomization.yaml",
            None,
            "resources:\n  - service.yaml\n",
        ),
        {("workspace/no-infra-in-projects", "projects/inventory_api/k8s/kustomization.yaml:1")},
    ),
    (
        "app without overlays",
        Edit(f"{SERVICE}/overlays", "", None),
        {("workspace/app-has-overlay", f"{SERVICE}/base/kustomization.yaml:1")},
    ),
    (
        "overlay pointing at another app's base",
        Edit(
            f"{SERVICE}/overlays/production/kustomization.yaml",
            "  - ../../base",
            "  - ../../../../cloudrun_function/stock-webhook/base",
        ),
        # the overlay's patches, which target inventory-api, now select nothing either
        {
            (
                "workspace/overlay-reaches-base",
                f"{SERVICE}/overlays/production/kustomization.yaml:7",
            ),
            *(
                ("patches/target-matches-nothing", f"{SERVICE}/overlays/production/{line}")
                for line in (
                    "kustomization.yaml:19",
                    "kustomization.yaml:35",
                    "kustomization.yaml:47",
                )
            ),
        },
    ),
    (
        "overlay without namespace",
        Edit(
            f"{FUNCTION}/overlays/production/kustomization.yaml",
            "namespace: data-platform-prod\n",
            "",
        ),
        {("workspace/overlay-namespace", f"{FUNCTION}/overlays/production/kustomization.yaml:1")},
    ),
    (
        "overlay patch that kustomize cannot apply",
        Edit(
            f"{SERVICE}/overlays/sandbox/kustomization.yaml",
            "        path: /spec/template/spec/containers/0/env/-\n        value:\n"
            "          name: ENVIRONMENT",
            "        path: /spec/template/spec/containers/3/env/-\n        value:\n"
            "          name: ENVIRONMENT",
        ),
        {("workspace/overlay-renders", f"{SERVICE}/overlays/sandbox/kustomization.yaml:1")},
    ),
    (
        "overlay that is not YAML",
        Edit(
            f"{SERVICE}/overlays/production/kustomization.yaml",
            "namespace: data-platform-prod",
            "namespace: [data-platform-prod",
        ),
        {("workspace/overlay-renders", f"{SERVICE}/overlays/production/kustomization.yaml:6")},
    ),
    (
        "base manifest that is not YAML",
        Edit(
            f"{JOB}/base/job.yaml",
            "          maxRetries: 3",
            "          maxRetries: 3\n         - x",
        ),
        {("workspace/overlay-renders", f"{JOB}/base/job.yaml:23")},
    ),
    (
        "Dockerfile misses a brick of its project",
        Edit(
            "projects/dmd_ingest/Dockerfile",
            "COPY components/data_platform/log/ ./data_platform/log/\n",
            "",
        ),
        {("workspace/dockerfile-bricks", "projects/dmd_ingest/Dockerfile:18")},
    ),
    (
        "Dockerfile copies a brick its project does not include",
        Edit(
            "projects/inventory_api/Dockerfile",
            "COPY components/data_platform/settings/ ./data_platform/settings/\n",
            "COPY components/data_platform/settings/ ./data_platform/settings/\n"
            "COPY components/data_platform/http_client/ ./data_platform/http_client/\n",
        ),
        {("workspace/dockerfile-bricks", "projects/inventory_api/Dockerfile:17")},
    ),
    (
        "misspelt pulumi-gcp argument in a stack file",
        Edit(
            PROD_STACK,
            "        description: Images of the inventory-api service",
            "        descripton: Images of the inventory-api service",
        ),
        {("config/stack-valid", f"{PROD_STACK}:42")},
    ),
    (
        "environment without a stack file",
        Edit(SANDBOX_STACK, "", None),
        {("config/stack-valid", "infrastructure/pulumi/Pulumi.yaml:1")},
    ),
    (
        "production overlay runs as the sandbox service account",
        Edit(
            f"{JOB}/overlays/production/kustomization.yaml",
            "dmd-ingest@data-platform-prod",
            "dmd-ingest@data-platform-sandbox",
        ),
        {("crossstack/service-account-exists", f"{JOB}/overlays/production/kustomization.yaml:27")},
    ),
    (
        "overlay namespace is not the stack's project",
        Edit(
            f"{SERVICE}/overlays/production/kustomization.yaml",
            "namespace: data-platform-prod",
            "namespace: data-platform-prd",
        ),
        {("crossstack/namespace-project", f"{SERVICE}/overlays/production/kustomization.yaml:4")},
    ),
    (
        "secret the stack does not declare",
        Edit(
            f"{JOB}/overlays/production/kustomization.yaml",
            "secrets/DMD_API_TOKEN",
            "secrets/DMD_TOKEN",
        ),
        {("crossstack/secret-declared", f"{JOB}/overlays/production/kustomization.yaml:18")},
    ),
    (
        "service account cannot read its secret",
        Edit(
            PROD_STACK,
            "        - role: roles/secretmanager.secretAccessor # reads DMD_API_TOKEN\n"
            "          resource: {secret: DMD_API_TOKEN}\n",
            "",
        ),
        {("crossstack/secret-readable", f"{PROD_STACK}:55")},
    ),
    (
        "project without an Artifact Registry repository",
        Edit(
            PROD_STACK,
            "      artifact_registry:\n        repository_id: inventory-api\n"
            "        format: DOCKER\n        location: asia-southeast1\n"
            "        description: Images of the inventory-api service\n"
            "        cleanup_policies: *artifact_registry_cleanup_policies\n",
            "",
        ),
        {("crossstack/image-registry", f"{PROD_STACK}:29")},
    ),
    (
        "registry in another region than the app",
        Edit(
            PROD_STACK,
            "        repository_id: inventory-api\n        format: DOCKER\n"
            "        location: asia-southeast1",
            "        repository_id: inventory-api\n        format: DOCKER\n"
            "        location: europe-west1",
        ),
        {("crossstack/image-registry", f"{PROD_STACK}:41")},
    ),
    (
        "base pins an image outside the stack's registries",
        Edit(
            f"{SERVICE}/base/service.yaml",
            "image: IMAGE_URL",
            "image: gcr.io/shared-images/inventory-api:1.0.0",
        ),
        {("crossstack/image-registry", f"{SERVICE}/base/service.yaml:24")},
    ),
    (
        "scheduler targets a job that does not exist",
        Edit(PROD_STACK, "target_job: dmd-inv-mov-api2bq", "target_job: dmd-inv-mov-api2b"),
        {
            ("crossstack/scheduler-target", f"{PROD_STACK}:92"),
            ("crossstack/job-trigger", f"{JOB}/base/job.yaml:4"),
        },
    ),
    (
        "scheduler in another region than its job",
        Edit(
            PROD_STACK,
            "          target_job: dmd-inv-mov-api2bq\n          region: asia-southeast1",
            "          target_job: dmd-inv-mov-api2bq\n          region: europe-west1",
        ),
        {("crossstack/scheduler-region", f"{PROD_STACK}:93")},
    ),
    (
        "scheduler's service account may not run jobs",
        Edit(
            PROD_STACK,
            "        - role: roles/run.invoker # Cloud Scheduler runs the job as this account\n"
            "          resource: {job: dmd-inv-mov-api2bq}\n",
            "",
        ),
        {("crossstack/scheduler-invoker", f"{PROD_STACK}:55")},
    ),
    (
        "job without a trigger",
        Edit(
            SANDBOX_STACK,
            "      cloud_scheduler:\n        - name: dmd-inv-mov\n"
            "          target_job: dmd-inv-mov-api2bq\n          region: asia-southeast1\n"
            "          description: Daily DMD inventory movement extraction\n"
            '          schedule: "0 4 * * *"\n          time_zone: Asia/Kuala_Lumpur\n',
            "",
        ),
        {("crossstack/job-trigger", f"{JOB}/base/job.yaml:4")},
    ),
    (
        "project of an app deleted",
        Edit("projects/inventory_api", "", None),
        {("crossstack/app-project-exists", f"{SERVICE}/base/kustomization.yaml:1")},
    ),
    (
        "project built but never deployed",
        Edit(FUNCTION, "", None),
        {("crossstack/project-without-app", "projects/stock_webhook/Dockerfile:1")},
    ),
    (
        "foundation program that fails under the mocks",
        append(MAIN, '\nimport json\n\nSETTINGS = json.loads(open("settings.json").read())\n'),
        {("config/stack-plans", f"{MAIN}:9")},
    ),
    (
        "primitive role",
        Edit(
            PROD_STACK,
            "        account_id: inventory-api\n        roles:\n"
            "          - roles/logging.logWriter",
            "        account_id: inventory-api\n        roles:\n          - roles/editor",
        ),
        {("policy/no-primitive-roles", f"{PROD_STACK}:37")},
    ),
    (
        "service made public without being marked public",
        append(MAIN, PUBLIC_INVOKER),
        {("policy/no-public-members", f"{MAIN}:14")},
    ),
    (
        "bucket without uniform access",
        Edit(PROD_STACK, "uniform_bucket_level_access: true", "uniform_bucket_level_access: false"),
        {("policy/bucket-access", f"{PROD_STACK}:83")},
    ),
    (
        "resource added by hand without the stack's labels",
        append(MAIN, UNLABELLED_TOPIC),
        {("policy/labels", f"{MAIN}:9")},
    ),
    (
        "production stack switches protection off",
        Edit(
            PROD_STACK,
            "  input:environment: production\n",
            "  input:environment: production\n  input:protect: false\n",
        ),
        {("policy/protect-stateful", f"{PROD_STACK}:7")},
    ),
    (
        "secret written as a plain env value",
        Edit(
            f"{SERVICE}/overlays/production/kustomization.yaml",
            "          name: GCP_PROJECT_ID\n",
            "          name: DB_PASSWORD\n",
        ),
        {("cloudrun/secret-literal", f"{SERVICE}/overlays/production/kustomization.yaml:34")},
    ),
]


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def found(root: Path) -> set[tuple[str, str]]:
    result = check_workspace(root)
    return {
        (p.rule, f"{p.position.file.relative_to(root).as_posix()}:{p.position.line}")
        for p in result.problems
    }


def test_example_is_clean(example_copy: Path) -> None:
    assert found(example_copy) == set()


def test_battery_is_large_enough() -> None:
    assert len(VARIANTS) >= 25
    assert len({rule for _, _, expected in VARIANTS for rule, _ in expected}) >= 25


@pytest.mark.parametrize(
    ("edit", "expected"),
    [pytest.param(edit, expected, id=name) for name, edit, expected in VARIANTS],
)
def test_broken_variant(example_copy: Path, edit: Edit, expected: set[tuple[str, str]]) -> None:
    edit.apply(example_copy)
    assert found(example_copy) == expected
