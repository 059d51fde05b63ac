"""Project services (APIs) from every project's ``apis``, those its triggers need and those the
platform resources need, each enabled once, before the rest."""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.platform_model import platform_apis
from polyinfra.foundation.resources import BuildContext

NAME = "services"


def build(ctx: BuildContext) -> None:
    """Declare one ``projects.Service`` per distinct API."""
    for project in ctx.config.input.projects.values():
        needed = [api for trigger in project.triggers for api in trigger.apis]
        for api in (*project.apis, *needed):
            if api in ctx.resources.services:
                continue
            _enable(ctx, api)
    config = ctx.config.input
    for api in platform_apis(
        config.workload_identity, config.networks, config.notification_channels
    ):
        if api not in ctx.resources.services:
            _enable(ctx, api)


def _enable(ctx: BuildContext, api: str) -> None:
    import pulumi_gcp as gcp

    ctx.resources.services[api] = gcp.projects.Service(
        resource_name=make_resource_name("service", api),
        service=api,
        # Another stack or a human may rely on the API: leave it on when this goes away.
        disable_on_destroy=False,
    )
