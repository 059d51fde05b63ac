"""Resource builders in the order they run: APIs first, then identities, then what uses them.

Each builder is a module with ``NAME`` and ``build(ctx) -> None`` (the :class:`Builder`
protocol, which the type checker holds every module of the list to); the list is explicit.
"""

from __future__ import annotations

from typing import Protocol

from polyinfra.foundation.builders import (
    alert_policies,
    artifact_registry,
    bigquery_datasets,
    bigquery_tables,
    dashboards,
    eventarc_triggers,
    iam_members,
    log_metrics,
    networks,
    notification_channels,
    pubsub_subscriptions,
    pubsub_topics,
    resources,
    scheduler_jobs,
    scoped_iam,
    secrets,
    service_accounts,
    services,
    storage_buckets,
    workload_identity,
)
from polyinfra.foundation.resources import BuildContext


class Builder(Protocol):
    """A resource builder: declares its resources for one stack's configuration."""

    NAME: str

    def build(self, ctx: BuildContext) -> None: ...


BUILDERS: tuple[Builder, ...] = (
    services,
    service_accounts,
    iam_members,
    workload_identity,
    networks,
    artifact_registry,
    storage_buckets,
    bigquery_datasets,
    bigquery_tables,
    pubsub_topics,
    pubsub_subscriptions,
    eventarc_triggers,
    secrets,
    scoped_iam,
    scheduler_jobs,
    log_metrics,
    notification_channels,
    alert_policies,
    dashboards,
    resources,
)

__all__ = ["BUILDERS", "Builder"]
