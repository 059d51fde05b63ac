"""The typed registry of what the foundation program declared, and the context builders share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polyinfra.foundation import argspec
from polyinfra.foundation.model import StackConfig

if TYPE_CHECKING:
    import pulumi
    import pulumi_gcp as gcp


@dataclass(frozen=True)
class Resources:
    """Every resource the program declared, by type; per-project maps are keyed by project name.

    A workspace's ``__main__.py`` gets this from :func:`polyinfra.foundation.run` and can add
    its own resources next to ours, e.g. grant a role to ``service_accounts["dmd"].member``.
    """

    services: dict[str, gcp.projects.Service] = field(default_factory=dict)
    service_accounts: dict[str, gcp.serviceaccount.Account] = field(default_factory=dict)
    iam_members: dict[str, list[gcp.projects.IAMMember]] = field(default_factory=dict)
    #: Roles on one resource each (``iam``), per project by logical name: a
    #: ``secretmanager.SecretIamMember``, ``storage.BucketIAMMember``... by the resource's kind.
    scoped_grants: dict[str, dict[str, pulumi.CustomResource]] = field(default_factory=dict)
    repositories: dict[str, gcp.artifactregistry.Repository] = field(default_factory=dict)
    datasets: dict[str, gcp.bigquery.Dataset] = field(default_factory=dict)
    tables: dict[str, dict[str, gcp.bigquery.Table]] = field(default_factory=dict)
    buckets: dict[str, dict[str, gcp.storage.Bucket]] = field(default_factory=dict)
    topics: dict[str, dict[str, gcp.pubsub.Topic]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, gcp.pubsub.Subscription]] = field(default_factory=dict)
    secrets: dict[str, dict[str, gcp.secretmanager.Secret]] = field(default_factory=dict)
    scheduler_jobs: dict[str, dict[str, gcp.cloudscheduler.Job]] = field(default_factory=dict)
    #: ``roles/iam.serviceAccountTokenCreator`` for the Cloud Scheduler service agent on the
    #: account each project's scheduler jobs run as (by project name).
    scheduler_agent_grants: dict[str, gcp.serviceaccount.IAMMember] = field(default_factory=dict)
    #: Eventarc triggers, their service accounts, and the roles those accounts are granted
    #: (per project, by trigger name).
    triggers: dict[str, dict[str, gcp.eventarc.Trigger]] = field(default_factory=dict)
    trigger_accounts: dict[str, dict[str, gcp.serviceaccount.Account]] = field(default_factory=dict)
    trigger_receivers: dict[str, dict[str, gcp.projects.IAMMember]] = field(default_factory=dict)
    trigger_invokers: dict[str, dict[str, gcp.cloudrunv2.ServiceIamMember]] = field(
        default_factory=dict
    )
    #: Project roles granted to Google's service agents, by agent (``"storage"``: the Cloud
    #: Storage service agent, which publishes a bucket's events for Eventarc).
    service_agent_grants: dict[str, gcp.projects.IAMMember] = field(default_factory=dict)
    log_metrics: dict[str, gcp.logging.Metric] = field(default_factory=dict)
    alert_policies: dict[str, gcp.monitoring.AlertPolicy] = field(default_factory=dict)
    dashboards: dict[str, gcp.monitoring.Dashboard] = field(default_factory=dict)
    #: The platform resources (``input:workload_identity``): the pool and its GitHub provider
    #: by id, the deployer's account, project roles and workload identity user grant by the
    #: account id.
    workload_identity_pools: dict[str, gcp.iam.WorkloadIdentityPool] = field(default_factory=dict)
    workload_identity_providers: dict[str, gcp.iam.WorkloadIdentityPoolProvider] = field(
        default_factory=dict
    )
    deployers: dict[str, gcp.serviceaccount.Account] = field(default_factory=dict)
    deployer_roles: dict[str, list[gcp.projects.IAMMember]] = field(default_factory=dict)
    workload_identity_users: dict[str, gcp.serviceaccount.IAMMember] = field(default_factory=dict)
    #: ``input:networks``: networks by name, and their subnets (per network, by subnet name).
    networks: dict[str, gcp.compute.Network] = field(default_factory=dict)
    subnets: dict[str, dict[str, gcp.compute.Subnetwork]] = field(default_factory=dict)
    #: ``input:notification_channels``, by the channel's ``name``.
    notification_channels: dict[str, gcp.monitoring.NotificationChannel] = field(
        default_factory=dict
    )
    #: ``input:resources``: resources of any pulumi-gcp type, by their name there.
    resources: dict[str, pulumi.CustomResource] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildContext:
    """What a builder reads (the config) and writes (the registry)."""

    config: StackConfig
    resources: Resources = field(default_factory=Resources)

    def options(self, *, api: str | None = None, stateful: bool = False) -> pulumi.ResourceOptions:
        """Resource options: depend on the API's enablement; protect stateful resources."""
        import pulumi

        service = self.resources.services.get(api) if api else None
        return pulumi.ResourceOptions(
            protect=self.config.protect if stateful else None,
            depends_on=[service] if service is not None else None,
        )

    def with_labels(self, args_class: str, args: dict[str, Any]) -> dict[str, Any]:
        """``args`` plus the stack's ``label:`` values (the section's own labels win)."""
        if not self.config.labels:
            return args
        fields = argspec.spec(args_class).fields
        key = "labels" if "labels" in fields else "user_labels" if "user_labels" in fields else None
        if key is None or not isinstance(args.get(key) or {}, dict):
            return args  # none, or a value known only when the program runs
        return {**args, key: {**self.config.labels, **(args.get(key) or {})}}

    def with_protection(self, args_class: str, args: dict[str, Any]) -> dict[str, Any]:
        """``args`` plus the provider's deletion protection matching the stack's setting.

        Explicit values in the stack file win: they are a deliberate choice for one resource.
        """
        fields = argspec.spec(args_class).fields
        extra: dict[str, Any] = {}
        if "deletion_protection" in fields:
            extra["deletion_protection"] = self.config.protect
        if self.config.protect and "deletion_policy" in fields:
            extra["deletion_policy"] = "PREVENT"
        return {**extra, **args}
