"""Project roles for each project's service account: non-authoritative ``IAMMember`` only.

``IAMBinding`` and ``IAMPolicy`` own a whole role or policy and would remove grants made by
other stacks or people, so they are never used.
"""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "iam_members"
API = "cloudresourcemanager.googleapis.com"


def build(ctx: BuildContext) -> None:
    """Declare one ``projects.IAMMember`` per role."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        iam = project.service_account_iam
        account = ctx.resources.service_accounts.get(name)
        if iam is None or account is None or project.service_account is None:
            continue
        account_id = project.service_account.account_id
        ctx.resources.iam_members[name] = [
            gcp.projects.IAMMember(
                resource_name=make_resource_name("iammember", account_id, role),
                member=account.member,
                project=ctx.config.project,
                role=role,
                opts=ctx.options(api=API),
            )
            for role in iam.roles
        ]
