"""Service accounts, one per project that declares ``service_account``."""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "service_accounts"
API = "iam.googleapis.com"


def build(ctx: BuildContext) -> None:
    """Declare ``serviceaccount.Account`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        account = project.service_account
        if account is None:
            continue
        ctx.resources.service_accounts[name] = gcp.serviceaccount.Account(
            resource_name=make_resource_name("serviceaccount", account.account_id),
            opts=ctx.options(api=API),
            **account.args,
        )
