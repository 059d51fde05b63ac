"""Cloud Monitoring notification channels (``input:notification_channels``)."""

from __future__ import annotations

from typing import Any

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.platform_model import MONITORING_API
from polyinfra.foundation.resources import BuildContext

NAME = "notification_channels"
API = MONITORING_API


def build(ctx: BuildContext) -> None:
    """Declare ``monitoring.NotificationChannel`` resources."""
    import pulumi_gcp as gcp

    for channel in ctx.config.input.notification_channels:
        args: dict[str, Any] = dict(channel.args)
        # A channel's `labels` are its settings (an email address, a Slack channel): the
        # stack's labels go to `user_labels`, which is what the other resources call labels.
        if ctx.config.labels:
            args["user_labels"] = {**ctx.config.labels, **(args.get("user_labels") or {})}
        ctx.resources.notification_channels[channel.name] = gcp.monitoring.NotificationChannel(
            resource_name=make_resource_name("notificationchannel", channel.name),
            opts=ctx.options(api=API),
            **args,
        )
