"""Eventarc triggers delivering events to Cloud Run functions, each with an identity of its own:
a service account that may receive events (``roles/eventarc.eventReceiver``) and invoke the
function (``roles/run.invoker`` on that service only). For Cloud Storage triggers, the Cloud
Storage service agent may publish to Pub/Sub (one grant per stack).

Eventarc refuses a trigger whose Cloud Run service does not exist yet, and the invoker grant
needs the service too: a new function is deployed before its trigger is provisioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyinfra.foundation.eventarc import (
    EVENTARC_API,
    RUN_API,
    STORAGE_API,
    Trigger,
)
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

if TYPE_CHECKING:
    import pulumi
    import pulumi_gcp as gcp

NAME = "eventarc_triggers"
API = EVENTARC_API
IAM_API = "iam.googleapis.com"
PROJECT_IAM_API = "cloudresourcemanager.googleapis.com"
EVENT_RECEIVER = "roles/eventarc.eventReceiver"
RUN_INVOKER = "roles/run.invoker"
PUBSUB_PUBLISHER = "roles/pubsub.publisher"
#: The key of the Cloud Storage service agent's grant in ``Resources.service_agent_grants``.
STORAGE_AGENT = "storage"


def build(ctx: BuildContext) -> None:
    """Declare each trigger, its account and grants, and the storage agent's grant."""
    for name, project in ctx.config.input.projects.items():
        for trigger in project.triggers:
            _declare(ctx, name, trigger)


def _declare(ctx: BuildContext, project: str, trigger: Trigger) -> None:
    import pulumi
    import pulumi_gcp as gcp

    gcp_project = ctx.config.project
    region = trigger.region or ctx.config.gcp.region
    assert region is not None  # validated
    account = gcp.serviceaccount.Account(
        resource_name=make_resource_name("serviceaccount", trigger.account_id),
        account_id=trigger.account_id,
        display_name=f"Eventarc trigger {trigger.name}",
        project=gcp_project,
        opts=ctx.options(api=IAM_API),
    )
    receiver = gcp.projects.IAMMember(
        resource_name=make_resource_name("iammember", trigger.account_id, EVENT_RECEIVER),
        project=gcp_project,
        role=EVENT_RECEIVER,
        member=account.member,
        opts=ctx.options(api=PROJECT_IAM_API),
    )
    invoker = gcp.cloudrunv2.ServiceIamMember(
        resource_name=make_resource_name(
            "serviceiammember", trigger.function, trigger.account_id, RUN_INVOKER
        ),
        name=trigger.function,
        location=region,
        project=gcp_project,
        role=RUN_INVOKER,
        member=account.member,
        opts=ctx.options(api=RUN_API),
    )
    criteria = [
        gcp.eventarc.TriggerMatchingCriteriaArgs(attribute="type", value=trigger.event_type)
    ]
    if trigger.bucket is not None:
        criteria.append(
            gcp.eventarc.TriggerMatchingCriteriaArgs(attribute="bucket", value=trigger.bucket)
        )
    criteria += [
        gcp.eventarc.TriggerMatchingCriteriaArgs(attribute=attribute, value=value)
        for attribute, value in trigger.filters.items()
    ]
    transport = None
    topic_id = trigger.topic_id(gcp_project)
    if topic_id is not None:
        transport = gcp.eventarc.TriggerTransportArgs(
            pubsub=gcp.eventarc.TriggerTransportPubsubArgs(topic=topic_id)
        )
    needs: list[pulumi.Resource] = [receiver, invoker, *_sources(ctx, trigger)]
    if trigger.source == "storage":
        needs.append(_storage_agent_grant(ctx))
    services = ctx.resources.services
    needs += [services[api] for api in trigger.apis if api != API and api in services]
    declared = gcp.eventarc.Trigger(
        resource_name=make_resource_name("trigger", trigger.name),
        name=trigger.name,
        location=region,
        project=gcp_project,
        matching_criterias=criteria,
        destination=gcp.eventarc.TriggerDestinationArgs(
            cloud_run_service=gcp.eventarc.TriggerDestinationCloudRunServiceArgs(
                service=trigger.function, region=region
            )
        ),
        service_account=account.email,
        transport=transport,
        labels=dict(ctx.config.labels) or None,
        opts=pulumi.ResourceOptions.merge(
            ctx.options(api=API), pulumi.ResourceOptions(depends_on=needs)
        ),
    )
    ctx.resources.trigger_accounts.setdefault(project, {})[trigger.name] = account
    ctx.resources.trigger_receivers.setdefault(project, {})[trigger.name] = receiver
    ctx.resources.trigger_invokers.setdefault(project, {})[trigger.name] = invoker
    ctx.resources.triggers.setdefault(project, {})[trigger.name] = declared


def _sources(ctx: BuildContext, trigger: Trigger) -> list[pulumi.Resource]:
    """The topic or bucket this stack declares that the trigger listens to (none when it is
    managed elsewhere)."""
    if trigger.external:
        return []
    found: list[pulumi.Resource] = []
    own = f"projects/{ctx.config.project}/topics/"
    topic_id = trigger.topic_id(ctx.config.project)
    if topic_id is not None and topic_id.startswith(own):
        topic = topic_id.removeprefix(own)
        found += [t[topic] for t in ctx.resources.topics.values() if topic in t]
    if trigger.bucket is not None:
        found += [b[trigger.bucket] for b in ctx.resources.buckets.values() if trigger.bucket in b]
    return found


def _storage_agent_grant(ctx: BuildContext) -> gcp.projects.IAMMember:
    """The Cloud Storage service agent may publish to Pub/Sub, so Eventarc can carry a bucket's
    events (https://cloud.google.com/eventarc/docs/run/create-trigger-storage-gcloud). Its
    email holds the project number: it is asked of Cloud Storage when the program runs."""
    import pulumi
    import pulumi_gcp as gcp

    grant = ctx.resources.service_agent_grants.get(STORAGE_AGENT)
    if grant is not None:
        return grant
    storage_api = ctx.resources.services.get(STORAGE_API)
    agent = gcp.storage.get_project_service_account_output(
        project=ctx.config.project,
        opts=pulumi.InvokeOutputOptions(depends_on=[storage_api]) if storage_api else None,
    )
    grant = gcp.projects.IAMMember(
        resource_name=make_resource_name("iammember", "storage-service-agent", PUBSUB_PUBLISHER),
        project=ctx.config.project,
        role=PUBSUB_PUBLISHER,
        member=agent.member,
        opts=ctx.options(api=PROJECT_IAM_API),
    )
    ctx.resources.service_agent_grants[STORAGE_AGENT] = grant
    return grant
