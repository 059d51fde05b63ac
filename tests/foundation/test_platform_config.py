"""The platform sections of a stack file (``input:workload_identity``, ``input:networks``,
``input:notification_channels``): what they accept, and each mistake at file:line:col with a
hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra import values
from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import load_stack_config

from .conftest import WriteStack

PLATFORM = """\
config:
  gcp:project: acme-sandbox
  gcp:region: asia-southeast1
  input:workload_identity:
    pool_id: github
    provider_id: acme-data-platform
    repository: acme/data-platform
    pool_display_name: GitHub Actions
    provider_display_name: acme/data-platform
    deployer:
      account_id: github-deployer
      display_name: GitHub Actions deployer
      roles: [roles/run.admin, roles/artifactregistry.writer]
  input:networks:
    - name: main
      subnets:
        - name: apps
          ip_cidr_range: 10.8.0.0/24
          private_ip_google_access: true
        - {name: apps-eu, ip_cidr_range: 10.9.0.0/24, region: europe-west1}
  input:notification_channels:
    - name: oncall
      type: email
      display_name: On-call
      labels: {email_address: oncall@acme.example}
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(UserError) as caught:
        load_stack_config(path)
    error = caught.value
    return [item.render() for item in (error.errors if isinstance(error, UserErrors) else [error])]


def test_the_platform_sections_load(write_stack: WriteStack) -> None:
    config = load_stack_config(write_stack(PLATFORM))
    identity = config.input.workload_identity
    assert identity is not None
    assert (identity.pool_id, identity.provider_id, identity.repository) == (
        "github",
        "acme-data-platform",
        "acme/data-platform",
    )
    assert identity.deployer.account_id == "github-deployer"
    assert identity.deployer.roles == ["roles/run.admin", "roles/artifactregistry.writer"]
    assert identity.deployer.args == {
        "account_id": "github-deployer",
        "display_name": "GitHub Actions deployer",
    }
    [network] = config.input.networks
    assert network.args == {"name": "main"}
    assert [subnet.args for subnet in network.subnets] == [
        {"name": "apps", "ip_cidr_range": "10.8.0.0/24", "private_ip_google_access": True},
        {"name": "apps-eu", "ip_cidr_range": "10.9.0.0/24", "region": "europe-west1"},
    ]
    [channel] = config.input.notification_channels
    assert channel.name == "oncall"
    assert channel.args == {
        "type": "email",
        "display_name": "On-call",
        "labels": {"email_address": "oncall@acme.example"},
    }
    assert config.warnings == ()


def test_a_stack_without_them_has_none(write_stack: WriteStack) -> None:
    config = load_stack_config(write_stack("config:\n  gcp:project: acme-sandbox\n"))
    assert config.input.workload_identity is None
    assert config.input.networks == []
    assert config.input.notification_channels == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "repository: acme/data-platform",
            "repository: https://github.com/acme/data-platform",
            "7:17: input:workload_identity.repository: 'https://github.com/acme/data-platform': "
            "not a GitHub repository: <owner>/<name>, the owner at most 39 letters, digits and "
            "hyphens, the name at most 100 letters, digits, '.', '-' and '_'\n"
            "  hint: write the repository as owner/name, without https://github.com/ or .git",
        ),
        (
            "repository: acme/data-platform",
            "repository: data-platform",
            "7:17: input:workload_identity.repository: 'data-platform': not a GitHub "
            "repository: <owner>/<name>, the owner at most 39 letters, digits and hyphens, the "
            "name at most 100 letters, digits, '.', '-' and '_'\n"
            "  hint: write the repository as owner/name, e.g. acme/data-platform",
        ),
        (
            "pool_id: github",
            "pool_id: gcp-github",
            "5:14: input:workload_identity.pool_id: 'gcp-github': the prefix 'gcp-' is "
            "reserved by Google\n  hint: choose another id",
        ),
        (
            "provider_id: acme-data-platform",
            "provider_id: GH",
            "6:18: input:workload_identity.provider_id: 'GH': not a workload identity provider "
            "id: 4-32 lowercase letters, digits and hyphens",
        ),
        (
            "pool_display_name: GitHub Actions",
            "pool_display_name: GitHub Actions deployments of acme",
            "8:24: input:workload_identity.pool_display_name: a display name has 34 "
            "characters; at most 32 are allowed",
        ),
        (
            "    pool_display_name: GitHub Actions",
            "    pool_dispaly_name: GitHub Actions",
            "8:5: input:workload_identity.pool_dispaly_name: unknown key 'pool_dispaly_name'\n"
            "  hint: did you mean 'pool_display_name'?",
        ),
        (
            "      roles: [roles/run.admin",
            "      rolez: [roles/run.admin",
            "13:7: input:workload_identity.deployer.rolez: unknown key 'rolez'\n"
            "  hint: did you mean 'roles'?",
        ),
        (
            "roles/artifactregistry.writer]",
            "roles/artifactregistry.writr]",
            "13:32: input:workload_identity.deployer.roles[1]: 'roles/artifactregistry.writr' "
            "is not a predefined IAM role\n  hint: did you mean 'roles/artifactregistry.writer'?",
        ),
        (
            "    deployer:\n      account_id: github-deployer\n",
            "    deployer:\n",
            "10:5: input:workload_identity.deployer: missing required key 'account_id'\n"
            "  hint: add 'account_id'",
        ),
        (
            "          ip_cidr_range: 10.8.0.0/24\n",
            "",
            "17:11: input:networks[0].subnets[0]: missing required key 'ip_cidr_range'\n"
            "  hint: add 'ip_cidr_range'",
        ),
        (
            "ip_cidr_range: 10.8.0.0/24",
            "ip_cidr_range: 10.8.0.0/30",
            "18:26: input:networks[0].subnets[0].ip_cidr_range: '10.8.0.0/30': a subnet's "
            "range is at least a /29\n  hint: use a prefix length of 29 or less",
        ),
        (
            "ip_cidr_range: 10.8.0.0/24",
            "ip_cidr_range: 10.8.0/24",
            "18:26: input:networks[0].subnets[0].ip_cidr_range: '10.8.0/24': not an IPv4 "
            "range in CIDR notation\n  hint: e.g. 10.8.0.0/24",
        ),
        (
            "    - name: main\n",
            "    - name: main\n      auto_create_subnetwork: false\n",
            "16:7: input:networks[0].auto_create_subnetwork: unknown key "
            "'auto_create_subnetwork'\n  hint: did you mean 'auto_create_subnetworks'?",
        ),
        (
            "          private_ip_google_access: true",
            "          network: other",
            "19:11: input:networks[0].subnets[0].network: 'network' is set by the foundation "
            "program and cannot be given here\n  hint: remove it",
        ),
        (
            "    - name: main",
            "    - name: Main",
            "15:13: input:networks[0].name: 'Main': not a Compute Engine name: 1-63 lowercase "
            "letters, digits and hyphens, starting with a letter and not ending with a hyphen",
        ),
        (
            "region: europe-west1}",
            "region: europe-wset1}",
            "20:63: input:networks[0].subnets[1].region: 'europe-wset1' is not a Google Cloud "
            "region\n  hint: did you mean 'europe-west1'?",
        ),
        (
            "      type: email\n",
            "",
            "22:7: input:notification_channels[0]: missing required key 'type'\n  hint: add 'type'",
        ),
        (
            "      display_name: On-call",
            "      display: On-call",
            "24:7: input:notification_channels[0].display: unknown key 'display'\n"
            "  hint: did you mean 'display_name'?",
        ),
        (
            "  input:networks:",
            "  input:netwroks:",
            "14:3: unknown key 'input:netwroks'\n  hint: did you mean 'input:networks'?",
        ),
    ],
    ids=[
        "repository-url",
        "repository-without-owner",
        "reserved-pool-prefix",
        "bad-provider-id",
        "long-display-name",
        "unknown-identity-key",
        "unknown-deployer-key",
        "unknown-role",
        "deployer-without-account",
        "subnet-without-range",
        "subnet-too-small",
        "not-a-range",
        "unknown-network-key",
        "network-given-to-a-subnet",
        "bad-network-name",
        "bad-subnet-region",
        "channel-without-type",
        "unknown-channel-key",
        "misspelt-section",
    ],
)
def test_each_mistake_at_its_position(
    write_stack: WriteStack, old: str, new: str, expected: str
) -> None:
    assert old in PLATFORM
    path = write_stack(PLATFORM.replace(old, new, 1))
    assert errors_of(path) == [f"{path}:{expected}"]


def test_names_used_twice_and_a_subnet_without_region(write_stack: WriteStack) -> None:
    text = (
        PLATFORM.replace("  gcp:region: asia-southeast1\n", "")
        .replace(
            "      roles: [roles/run.admin,", "      roles: [roles/run.admin, roles/run.admin,"
        )
        .replace(
            "    - name: oncall\n",
            "    - name: pager\n      type: email\n    - name: pager\n",
        )
        + "  input:projects:\n"
        "    deploy:\n"
        "      service_account: {account_id: github-deployer}\n"
    )
    path = write_stack(text)
    assert errors_of(path) == [
        f"{path}:10:7: input:workload_identity.deployer.account_id: resource name "
        "'serviceaccount_github_deployer' is already used by "
        "input:projects.deploy.service_account.account_id\n"
        "  hint: give one of them a different id",
        f"{path}:12:32: input:workload_identity.deployer.roles[1]: resource name "
        "'iammember_github_deployer_roles_run_admin' is already used by "
        "input:workload_identity.deployer.roles[0]\n"
        "  hint: give one of them a different id",
        f"{path}:16:11: input:networks[0].subnets[0]: no region for the subnet\n"
        "  hint: set region here or gcp:region",
        f"{path}:23:7: input:notification_channels[1].name: resource name "
        "'notificationchannel_pager' is already used by input:notification_channels[0].name\n"
        "  hint: give one of them a different id",
    ]


@pytest.mark.parametrize(
    "good", ["acme/data-platform", "Acme-Corp/repo.name_2", "a/.github", "o/" + "r" * 100]
)
def test_github_repositories(good: str) -> None:
    assert values.github_repository(good) == good


@pytest.mark.parametrize(
    "bad",
    ["acme", "acme/", "/repo", "-acme/repo", "acme-/repo", "ac--me/repo", "a/..", "a/b/c",
     "o" * 40 + "/repo", "o/" + "r" * 101, "acme/data platform"],
)  # fmt: skip
def test_not_github_repositories(bad: str) -> None:
    with pytest.raises(values.InvalidValue):
        values.github_repository(bad)


def test_subnet_ranges() -> None:
    for good in ("10.0.0.0/8", "192.168.0.0/16", "10.8.0.0/29", "100.64.0.0/10"):
        assert values.subnet_range(good) == good
    for bad in ("10.8.0.0", "10.8.0.0/30", "fd00::/64", "10.8.0.0/33", "ten/8"):
        with pytest.raises(values.InvalidValue):
            values.subnet_range(bad)
