"""The platform resources under the recording mocks: every resource a stack declaring
``workload_identity``, ``networks`` and ``notification_channels`` plans, with its exact inputs,
and the stack outputs; a stack without them plans as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.foundation import STACK_OUTPUTS, plan_stack
from polyinfra.foundation.plan import Plan
from tests.conftest import EXAMPLE

from .conftest import WriteStack
from .test_platform_config import PLATFORM

SERVICE = "gcp:projects/service:Service"
POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
SA = "gcp:serviceaccount/account:Account"
IAM = "gcp:projects/iAMMember:IAMMember"
SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
DEPLOYER = "github-deployer@acme-sandbox.iam.gserviceaccount.com"
#: The pool's full name holds the project number: offline, the plan's stand-in.
POOL_NAME = "projects/000000000000/locations/global/workloadIdentityPools/github"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    folder = tmp_path_factory.mktemp("platform")
    (folder / "Pulumi.yaml").write_text("name: acme-platform\nruntime: python\n")
    (folder / "Pulumi.sandbox.yaml").write_text(
        PLATFORM.replace("  gcp:region: asia-southeast1\n", "  gcp:region: asia-southeast1\n"
                         "  label:team: platform\n")
    )  # fmt: skip
    return plan_stack(folder, "sandbox")


def test_exactly_these_resources(platform: Plan) -> None:
    assert sorted((r.type, r.name) for r in platform.resources) == sorted(
        [
            (SERVICE, "service_iam_googleapis_com"),
            (SERVICE, "service_iamcredentials_googleapis_com"),
            (SERVICE, "service_sts_googleapis_com"),
            (SERVICE, "service_compute_googleapis_com"),
            (SERVICE, "service_monitoring_googleapis_com"),
            (POOL, "workloadidentitypool_github"),
            (PROVIDER, "workloadidentityprovider_github_acme_data_platform"),
            (SA, "serviceaccount_github_deployer"),
            (IAM, "iammember_github_deployer_roles_run_admin"),
            (IAM, "iammember_github_deployer_roles_artifactregistry_writer"),
            (SA_IAM, "serviceaccountiammember_github_deployer_roles_iam_workloadIdentityUser"),
            (NETWORK, "network_main"),
            (SUBNET, "subnetwork_apps_asia_southeast1"),
            (SUBNET, "subnetwork_apps_eu_europe_west1"),
            (CHANNEL, "notificationchannel_oncall"),
        ]
    )
    assert not any(r.protect for r in platform.resources)


def test_the_apis_they_need_are_enabled_first(platform: Plan) -> None:
    for api in ("iam", "iamcredentials", "sts", "compute", "monitoring"):
        service = platform.find(SERVICE, f"service_{api}_googleapis_com")
        assert service.inputs == {"service": f"{api}.googleapis.com", "disableOnDestroy": False}
    assert (
        "service_iam_googleapis_com"
        in platform.find(POOL, "workloadidentitypool_github").depends_on
    )
    assert "service_compute_googleapis_com" in platform.find(NETWORK, "network_main").depends_on
    channel = platform.find(CHANNEL, "notificationchannel_oncall")
    assert "service_monitoring_googleapis_com" in channel.depends_on


def test_the_pool_and_its_github_provider(platform: Plan) -> None:
    assert platform.find(POOL, "workloadidentitypool_github").inputs == {
        "workloadIdentityPoolId": "github",
        "displayName": "GitHub Actions",
        "project": "acme-sandbox",
    }
    provider = platform.find(PROVIDER, "workloadidentityprovider_github_acme_data_platform")
    assert provider.inputs == {
        "workloadIdentityPoolId": "github",
        "workloadIdentityPoolProviderId": "acme-data-platform",
        "displayName": "acme/data-platform",
        "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
        "attributeMapping": {
            "google.subject": "assertion.sub",
            "attribute.actor": "assertion.actor",
            "attribute.repository": "assertion.repository",
            "attribute.repository_owner": "assertion.repository_owner",
            "attribute.ref": "assertion.ref",
        },
        "attributeCondition": "assertion.repository == 'acme/data-platform'",
        "project": "acme-sandbox",
    }
    assert "workloadidentitypool_github" in provider.depends_on


def test_the_deployer_its_roles_and_who_may_act_as_it(platform: Plan) -> None:
    assert platform.find(SA, "serviceaccount_github_deployer").inputs == {
        "accountId": "github-deployer",
        "displayName": "GitHub Actions deployer",
    }
    for role in ("roles/run.admin", "roles/artifactregistry.writer"):
        name = "iammember_github_deployer_" + role.replace("/", "_").replace(".", "_")
        assert platform.find(IAM, name).inputs == {
            "project": "acme-sandbox",
            "role": role,
            "member": f"serviceAccount:{DEPLOYER}",
        }
    user = platform.find(
        SA_IAM, "serviceaccountiammember_github_deployer_roles_iam_workloadIdentityUser"
    )
    assert user.inputs == {
        "serviceAccountId": f"projects/acme-sandbox/serviceAccounts/{DEPLOYER}",
        "role": "roles/iam.workloadIdentityUser",
        "member": f"principalSet://iam.googleapis.com/{POOL_NAME}"
        "/attribute.repository/acme/data-platform",
    }


def test_the_network_in_custom_subnet_mode_and_its_subnets(platform: Plan) -> None:
    assert platform.find(NETWORK, "network_main").inputs == {
        "name": "main",
        "autoCreateSubnetworks": False,
    }
    assert platform.find(SUBNET, "subnetwork_apps_asia_southeast1").inputs == {
        "name": "apps",
        "ipCidrRange": "10.8.0.0/24",
        "privateIpGoogleAccess": True,
        "region": "asia-southeast1",
        "network": "projects/acme-sandbox/global/networks/main",
    }
    eu = platform.find(SUBNET, "subnetwork_apps_eu_europe_west1")
    assert eu.inputs == {
        "name": "apps-eu",
        "ipCidrRange": "10.9.0.0/24",
        "region": "europe-west1",
        "network": "projects/acme-sandbox/global/networks/main",
    }
    assert "network_main" in eu.depends_on


def test_the_channel_keeps_its_settings_and_gets_the_stack_labels(platform: Plan) -> None:
    assert platform.find(CHANNEL, "notificationchannel_oncall").inputs == {
        "type": "email",
        "displayName": "On-call",
        "labels": {"email_address": "oncall@acme.example"},
        "userLabels": {"team": "platform"},
    }


def test_the_outputs(platform: Plan) -> None:
    [channel_id] = platform.outputs["notification_channels"].values()
    assert channel_id.startswith("projects/acme-sandbox/notificationChannels/000000000000")
    assert len(channel_id.rsplit("/", 1)[1]) == 19
    assert platform.outputs == {
        "gcp_project": "acme-sandbox",
        "environment": "sandbox",
        "projects": {},
        "workload_identity_provider": f"{POOL_NAME}/providers/acme-data-platform",
        "deployer_service_account": DEPLOYER,
        "networks": {
            "main": {
                "id": "projects/acme-sandbox/global/networks/main",
                "name": "main",
                "subnets": {
                    "apps": {
                        "id": "projects/acme-sandbox/regions/asia-southeast1/subnetworks/apps",
                        "name": "apps",
                        "region": "asia-southeast1",
                        "ip_cidr_range": "10.8.0.0/24",
                    },
                    "apps-eu": {
                        "id": "projects/acme-sandbox/regions/europe-west1/subnetworks/apps-eu",
                        "name": "apps-eu",
                        "region": "europe-west1",
                        "ip_cidr_range": "10.9.0.0/24",
                    },
                },
            }
        },
        "notification_channels": {"oncall": channel_id},
    }


def test_a_plan_is_the_same_every_time(platform: Plan, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: acme-platform\nruntime: python\n")
    (tmp_path / "Pulumi.sandbox.yaml").write_text(
        PLATFORM.replace("  gcp:region: asia-southeast1\n", "  gcp:region: asia-southeast1\n"
                         "  label:team: platform\n")
    )  # fmt: skip
    assert plan_stack(tmp_path, "sandbox").outputs == platform.outputs


def test_a_network_may_ask_for_auto_mode(write_stack: WriteStack) -> None:
    path = write_stack(
        "config:\n  gcp:project: acme-sandbox\n  input:networks:\n"
        "    - {name: legacy, auto_create_subnetworks: true}\n"
    )
    plan = plan_stack(path.parent, "sandbox")
    assert plan.find(NETWORK, "network_legacy").inputs == {
        "name": "legacy",
        "autoCreateSubnetworks": True,
    }
    assert plan.outputs["networks"] == {
        "legacy": {"id": "projects/acme-sandbox/global/networks/legacy", "name": "legacy",
                   "subnets": {}}
    }  # fmt: skip
    assert "workload_identity_provider" not in plan.outputs
    assert "notification_channels" not in plan.outputs


@pytest.mark.parametrize("stack", ["sandbox", "production"])
def test_the_example_plans_as_before(stack: str) -> None:
    plan = plan_stack(EXAMPLE / "infrastructure" / "pulumi", stack)
    # 23 resources, as before the platform sections existed
    assert len(plan.resources) == 23
    assert tuple(plan.outputs) == STACK_OUTPUTS
    platform_types = {POOL, PROVIDER, NETWORK, SUBNET, CHANNEL}
    assert not [r for r in plan.resources if r.type in platform_types]
    # the one account IAM grant is the Cloud Scheduler agent's, not a workload identity user
    assert [r.inputs["role"] for r in plan.resources if r.type == SA_IAM] == [
        "roles/iam.serviceAccountTokenCreator"
    ]
    services = {r.inputs["service"] for r in plan.resources if r.type == SERVICE}
    assert not services & {"iamcredentials.googleapis.com", "sts.googleapis.com"}
