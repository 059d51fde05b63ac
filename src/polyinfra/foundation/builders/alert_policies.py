"""Alert policies from ``input:monitoring.alert_policies``, notifying the stack's channel."""

from __future__ import annotations

from typing import Any

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "alert_policies"
API = "monitoring.googleapis.com"
ARGS = argspec.ALERT_POLICY_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``monitoring.AlertPolicy`` resources, after the log metrics they may watch."""
    import pulumi
    import pulumi_gcp as gcp

    monitoring = ctx.config.input.monitoring
    if monitoring is None:
        return
    channel = monitoring.notification_channel_id
    metrics = list(ctx.resources.log_metrics.values())
    for policy in monitoring.alert_policies:
        args: dict[str, Any] = dict(policy.args)
        if channel and "notification_channels" not in args:
            args["notification_channels"] = [
                channel
                if channel.startswith("projects/")
                else f"projects/{ctx.config.project}/notificationChannels/{channel}"
            ]
        opts = ctx.options(api=API)
        if metrics:
            # A threshold on a log-based metric fails until the metric exists.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=metrics))
        ctx.resources.alert_policies[policy.name] = gcp.monitoring.AlertPolicy(
            resource_name=make_resource_name("alertpolicy", policy.name),
            opts=opts,
            **ctx.with_labels(ARGS, args),
        )
