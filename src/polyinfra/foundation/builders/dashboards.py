"""The Cloud Monitoring dashboard read from ``input:monitoring.dashboard.dashboard_json_file``."""

from __future__ import annotations

import json

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext
from polyinfra.yamlio.jsontext import load_json_file

NAME = "dashboards"
API = "monitoring.googleapis.com"


def build(ctx: BuildContext) -> None:
    """Declare the ``monitoring.Dashboard``."""
    import pulumi_gcp as gcp

    monitoring = ctx.config.input.monitoring
    if monitoring is None or monitoring.dashboard is None:
        return
    dashboard = monitoring.dashboard
    path = (ctx.config.program_dir / dashboard.dashboard_json_file).resolve()
    # validated by the stack checks; errors at their line
    data = load_json_file(path, bounds=ctx.config.bounds)
    if dashboard.display_name:
        data["displayName"] = dashboard.display_name
    key = dashboard.display_name or str(data.get("displayName") or "dashboard")
    ctx.resources.dashboards[key] = gcp.monitoring.Dashboard(
        resource_name=make_resource_name("dashboard", key.lower().replace(" ", "-")),
        opts=ctx.options(api=API),
        dashboard_json=json.dumps(data),
        **dashboard.args,
    )
