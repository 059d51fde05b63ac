"""Roles on one resource each (``input:projects.<name>.iam``): the resource-level IAM member of
pulumi-gcp for each kind, non-authoritative like every grant of the program.

A grant on a resource this stack creates takes that resource's output (its id or name), so it
is made after the resource; one on an existing resource takes its full name apart. A grant on a
Cloud Run service or job needs it deployed: the apps deploy it, not this stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polyinfra.foundation.grants import KINDS, Grant, Target, grant_names
from polyinfra.foundation.resources import BuildContext

if TYPE_CHECKING:
    import pulumi

NAME = "scoped_iam"


def build(ctx: BuildContext) -> None:
    """Declare one resource-level IAM member per ``iam`` entry."""
    named = grant_names(ctx.config.input.projects, ctx.config.gcp.region)
    for name, project in ctx.config.input.projects.items():
        if not project.iam:
            continue
        account = ctx.resources.service_accounts.get(name)
        declared = ctx.resources.scoped_grants.setdefault(name, {})
        for index, grant in enumerate(project.iam):
            if grant.member is not None:
                member: pulumi.Input[str] = grant.member
            else:
                assert account is not None  # validated: a grant without member needs one
                member = account.member
            resource_name, _ = named[(name, index)]
            declared[resource_name] = _declare(ctx, grant, member, resource_name)


def _declare(
    ctx: BuildContext, grant: Grant, member: pulumi.Input[str], resource_name: str
) -> pulumi.CustomResource:
    import pulumi_gcp as gcp

    target = grant.target
    project = target.project or ctx.config.project
    common: dict[str, Any] = {
        "resource_name": resource_name,
        "role": grant.role,
        "member": member,
        "opts": ctx.options(api=KINDS[target.kind].api),
    }
    own = None if target.full else _created(ctx, target)
    if own is not None and not target.project:
        # A section may create its resource in another project than the stack's.
        project = _declared_project(ctx, target) or project
    if target.kind == "secret":
        secret_id = own.secret_id if own is not None else target.name
        return gcp.secretmanager.SecretIamMember(secret_id=secret_id, project=project, **common)
    if target.kind == "bucket":
        bucket = own.name if own is not None else target.name
        return gcp.storage.BucketIAMMember(bucket=bucket, **common)
    if target.kind == "dataset":
        dataset_id = own.dataset_id if own is not None else target.name
        return gcp.bigquery.DatasetIamMember(dataset_id=dataset_id, project=project, **common)
    if target.kind == "topic":
        topic = own.name if own is not None else target.name
        return gcp.pubsub.TopicIAMMember(topic=topic, project=project, **common)
    if target.kind == "subscription":
        subscription = own.name if own is not None else target.name
        return gcp.pubsub.SubscriptionIAMMember(
            subscription=subscription, project=project, **common
        )
    if target.kind == "service_account":
        full = own.name if own is not None else f"projects/{project}/serviceAccounts/{target.name}"
        return gcp.serviceaccount.IAMMember(service_account_id=full, **common)
    location = grant.location or target.location or ctx.config.gcp.region
    assert location is not None  # validated
    if target.kind == "service":
        return gcp.cloudrunv2.ServiceIamMember(
            name=target.name, location=location, project=project, **common
        )
    return gcp.cloudrunv2.JobIamMember(
        name=target.name, location=location, project=project, **common
    )


def _created(ctx: BuildContext, target: Target) -> Any:
    """The resource of this stack a short name names, or None (Cloud Run services and jobs,
    which the stack never creates)."""
    resources = ctx.resources
    name = target.name
    projects = ctx.config.input.projects
    if target.kind == "dataset":
        for key, project in projects.items():
            dataset = project.bigquery_dataset
            if dataset is not None and dataset.dataset_id == name and key in resources.datasets:
                return resources.datasets[key]
        return None
    if target.kind == "service_account":
        for key, project in projects.items():
            account = project.service_account
            if account is not None and account.account_id == name:
                return resources.service_accounts.get(key)
        return None
    by_project: dict[str, Any] = {
        "secret": resources.secrets,
        "bucket": resources.buckets,
        "topic": resources.topics,
        "subscription": resources.subscriptions,
    }
    for found in by_project.get(target.kind, {}).values():
        if name in found:
            return found[name]
    return None


def _declared_project(ctx: BuildContext, target: Target) -> str | None:
    """The ``project`` argument of the section entry that creates the resource a short name
    names, when it sets one."""
    for project in ctx.config.input.projects.values():
        entries: list[Any] = []
        if target.kind == "secret":
            entries = [s for s in project.secrets if s.secret_id == target.name]
        elif target.kind == "dataset" and project.bigquery_dataset is not None:
            dataset = project.bigquery_dataset
            entries = [dataset] if dataset.dataset_id == target.name else []
        elif target.kind == "topic":
            entries = [t for t in project.pubsub_topics if t.name == target.name]
        elif target.kind == "subscription":
            entries = [
                s for t in project.pubsub_topics for s in t.subscriptions if s.name == target.name
            ]
        for entry in entries:
            value = entry.args.get("project")
            if isinstance(value, str) and value:
                return value
    return None
