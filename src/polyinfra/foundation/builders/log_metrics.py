"""Log-based metrics from ``input:monitoring.log_based_metrics``."""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "log_metrics"
API = "logging.googleapis.com"


def build(ctx: BuildContext) -> None:
    """Declare ``logging.Metric`` resources."""
    import pulumi_gcp as gcp

    monitoring = ctx.config.input.monitoring
    if monitoring is None:
        return
    for metric in monitoring.log_based_metrics:
        ctx.resources.log_metrics[metric.name] = gcp.logging.Metric(
            resource_name=make_resource_name("logmetric", metric.name),
            opts=ctx.options(api=API),
            **metric.args,
        )
