"""The bundled example moved into the three-stack layout by `polyinfra migrate three-stack`,
with platform resources added: it plans (the two-stack resources split between the programs,
plus the platform's own), checks clean, provisions platform before services through a stub
`pulumi`, deploys every app to the emulator, and its generated workflows provision the programs
in order and deploy through the platform's workload identity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun
from polyinfra.foundation.plan import plan_stack, plan_workspace
from tests.conftest import EXAMPLE, copy_example
from tests.stub_pulumi import calls, install_stub

pytestmark = pytest.mark.slow

PULUMI = Path("infrastructure/pulumi")
PROJECT = "data-platform-sandbox"
#: What the platform team adds once the layout is there: the CI identity and a network.
PLATFORM_RESOURCES = """\
  input:workload_identity:
    pool_id: github
    provider_id: data-platform
    repository: acme/data-platform
    deployer:
      account_id: github-deployer
      roles: [roles/run.admin, roles/artifactregistry.writer, roles/iam.serviceAccountUser]
  input:networks:
    - name: main
      subnets:
        - {name: apps, ip_cidr_range: 10.8.0.0/24}
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("three") / "ws")
    assert main(["migrate", "three-stack", "-w", str(root)]) == 0
    stack = root / PULUMI / "platform" / "Pulumi.sandbox.yaml"
    text = stack.read_text()
    assert text.count("\n  input:projects:\n") == 1
    stack.write_text(
        text.replace("\n  input:projects:\n", "\n" + PLATFORM_RESOURCES + "  input:projects:\n")
    )
    return root


def _resources(plan: object) -> set[tuple[str, str]]:
    return {(r.type, r.name) for r in plan.resources}  # type: ignore[attr-defined]


def test_a_second_migration_changes_nothing(workspace: Path) -> None:
    before = _tree(workspace)
    assert main(["migrate", "three-stack", "-w", str(workspace)]) == 0
    assert _tree(workspace) == before


def test_the_plan_is_the_two_stack_plan_split_plus_the_platforms_own(workspace: Path) -> None:
    platform, services = plan_workspace(workspace, stack="sandbox")
    assert (platform.program, services.program) == ("platform", "services")  # type: ignore[union-attr]
    two_stack = _resources(plan_stack(EXAMPLE / PULUMI, "sandbox"))
    platform_own = _resources(platform) - two_stack
    assert {type_ for type_, _ in platform_own} == {
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "gcp:serviceaccount/account:Account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:projects/iAMMember:IAMMember",
        "gcp:projects/service:Service",
        "gcp:compute/network:Network",
        "gcp:compute/subnetwork:Subnetwork",
    }
    # every two-stack resource is in exactly one of the programs
    assert _resources(platform) & _resources(services) == set()
    assert (_resources(platform) - platform_own) | _resources(services) == two_stack
    # the registries moved to the platform; the services read its project
    assert {n for t, n in _resources(platform) if t.endswith("repository:Repository")} == {
        n for t, n in two_stack if t.endswith("repository:Repository")
    }
    assert services.project == platform.project == PROJECT  # type: ignore[union-attr]


def test_the_workspace_checks_clean(workspace: Path) -> None:
    result = check_workspace(workspace)
    assert [(p.rule, str(p.position), p.message) for p in result.problems] == []


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = install_stub(tmp_path, monkeypatch)
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")
    return log


def test_provision_runs_platform_then_services(workspace: Path, stub: Path) -> None:
    assert main(["provision", "--stack", "sandbox", "--yes", "-w", str(workspace)]) == 0
    up = ["up", "--stack", "sandbox", "--non-interactive", "--yes"]
    backend = "file:///srv/state"
    assert calls(stub) == [
        {"args": up, "cwd": str(workspace / PULUMI / "platform"), "backend": backend},
        {"args": up, "cwd": str(workspace / PULUMI / "services"), "backend": backend},
    ]


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        yield fake


def test_every_app_deploys_to_the_emulator_with_the_platforms_registry(
    workspace: Path, emulator: FakeCloudRun
) -> None:
    args = ["deploy", "--all", "--env", "sandbox", "--version", "v1", "-w", str(workspace)]
    assert main(args) == 0
    expected = {
        ("services", "inventory-api"): "inventory-api",
        ("services", "stock-webhook"): "stock-webhook",
        ("jobs", "dmd-inv-mov-api2bq"): "dmd-ingest",
    }
    for (kind, name), repository in expected.items():
        stored = emulator.get_object(kind, PROJECT, name)
        assert stored is not None, name
        spec = stored["spec"]["template"]["spec"]
        containers = (
            spec["template"]["spec"]["containers"] if kind == "jobs" else spec["containers"]
        )
        assert containers[0]["image"] == (
            f"asia-southeast1-docker.pkg.dev/{PROJECT}/{repository}/{name}:v1"
        )


def test_the_workflows_provision_in_order_and_deploy_through_the_platforms_identity(
    workspace: Path, tmp_path: Path
) -> None:
    import shutil

    from polyinfra.yamlio import load_file

    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    assert main(["ci", "generate", "-w", str(root)]) == 0
    workflows = root / ".github" / "workflows"
    provision = load_file(workflows / "infrastructure-provision.yaml").data
    assert list(provision["jobs"]) == [
        "plan",
        "provision-platform",
        "provision-services",
        "comment",
    ]
    assert provision["jobs"]["provision-platform"]["needs"] == "plan"
    assert provision["jobs"]["provision-services"]["needs"] == ["plan", "provision-platform"]
    # the plan is read before the approval: only the provisioning jobs wait for it
    assert "environment" not in provision["jobs"]["plan"]
    assert provision["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    runs = [
        step["run"]
        for name in ("provision-platform", "provision-services")
        for step in provision["jobs"][name]["steps"]
        if "polyinfra provision" in step.get("run", "")
    ]
    assert runs == [
        f'polyinfra provision --stack "$STACK" -w {PULUMI}/{name} --yes'
        for name in ("platform", "services")
    ]
    deploy = load_file(workflows / "sandbox-deploy.yaml").data
    auth = [
        step["with"]
        for job in deploy["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("google-github-actions/auth@")
    ]
    provider = (
        "projects/${{ vars.GCP_PROJECT_NUMBER_SANDBOX }}/locations/global/"
        "workloadIdentityPools/github/providers/data-platform"
    )
    account = f"github-deployer@{PROJECT}.iam.gserviceaccount.com"
    assert [(a["workload_identity_provider"], a["service_account"]) for a in auth] == [
        (provider, account)
    ] * len(auth)
    assert len(auth) >= 1
