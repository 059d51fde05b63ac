"""The platform resources of a stack file, what a platform team owns in the three-stack
pattern: ``input:workload_identity`` (keyless deploys from GitHub Actions), ``input:networks``
(VPC networks and subnets, for Cloud Run Direct VPC egress) and
``input:notification_channels``.

``workload_identity`` is polyinfra's own shape: the program derives the provider's issuer,
attribute mapping and condition from ``repository``. Networks, subnets, channels and the
deployer's account are pass-through sections (:class:`PassThrough`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from polyinfra.foundation import argspec
from polyinfra.foundation.passthrough import PassThrough
from polyinfra.values import text_length
from polyinfra.values.types import (
    GithubRepository,
    Role,
    WorkloadIdentityPoolId,
    WorkloadIdentityProviderId,
    checked,
)

IAM_API = "iam.googleapis.com"
#: Service account impersonation (``generateAccessToken``), which google-github-actions/auth
#: calls for the deployer (its README: "Enable the IAM Credentials API").
IAM_CREDENTIALS_API = "iamcredentials.googleapis.com"
#: The Security Token Service, which exchanges GitHub's token for a federated one
#: (https://cloud.google.com/iam/docs/workload-identity-federation#token-exchange).
STS_API = "sts.googleapis.com"
COMPUTE_API = "compute.googleapis.com"
MONITORING_API = "monitoring.googleapis.com"

#: A pool's or provider's display name: "Cannot exceed 32 characters" (pulumi-gcp
#: ``WorkloadIdentityPool`` and ``WorkloadIdentityPoolProvider`` ``display_name``).
DisplayName = Annotated[str, checked(text_length(32, "a display name"))]


class Deployer(PassThrough):
    """``input:workload_identity.deployer``: the ``serviceaccount.Account`` GitHub Actions
    deploys as, and the project roles it is granted."""

    ARGS = argspec.SERVICE_ACCOUNT_ARGS
    OWN = frozenset({"roles"})
    account_id: str
    roles: list[Role] = Field(default_factory=list)


class WorkloadIdentity(BaseModel):
    """``input:workload_identity``: a workload identity pool and GitHub provider that let one
    repository's workflows act as the deployer, with no service account key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool_id: WorkloadIdentityPoolId = Field(description="The workload identity pool's id.")
    provider_id: WorkloadIdentityProviderId = Field(
        description="The id of the pool's GitHub Actions OIDC provider."
    )
    repository: GithubRepository = Field(
        description="The GitHub repository (owner/name) whose workflows may deploy."
    )
    pool_display_name: DisplayName | None = Field(
        default=None, description="The pool's display name (at most 32 characters)."
    )
    provider_display_name: DisplayName | None = Field(
        default=None, description="The provider's display name (at most 32 characters)."
    )
    deployer: Deployer


class Subnet(PassThrough):
    """``input:networks[].subnets[]``: a ``compute.Subnetwork`` of its network."""

    ARGS = argspec.SUBNETWORK_ARGS
    EXCLUDED = frozenset({"network"})
    name: str
    ip_cidr_range: str
    region: str | None = None


class Network(PassThrough):
    """``input:networks[]``: a ``compute.Network`` (custom subnet mode unless
    ``auto_create_subnetworks`` says otherwise) and its subnets."""

    ARGS = argspec.NETWORK_ARGS
    OWN = frozenset({"subnets"})
    name: str
    subnets: list[Subnet] = Field(default_factory=list)


class NotificationChannel(PassThrough):
    """``input:notification_channels[]``: a ``monitoring.NotificationChannel``; ``name`` is ours
    (the key of its stack output), the rest is pulumi-gcp's."""

    ARGS = argspec.NOTIFICATION_CHANNEL_ARGS
    OWN = frozenset({"name"})
    name: str
    type: str


def platform_apis(
    workload_identity: WorkloadIdentity | None,
    networks: list[Network],
    notification_channels: list[NotificationChannel],
) -> list[str]:
    """The APIs the declared platform resources need, in the order they are enabled."""
    apis: list[str] = []
    if workload_identity is not None:
        apis += [IAM_API, IAM_CREDENTIALS_API, STS_API]
    if networks:
        apis.append(COMPUTE_API)
    if notification_channels:
        apis.append(MONITORING_API)
    return apis
