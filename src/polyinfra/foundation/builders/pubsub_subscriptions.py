"""Pub/Sub subscriptions of the declared topics; a dead letter topic may name a declared topic."""

from __future__ import annotations

from typing import Any

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "pubsub_subscriptions"
API = "pubsub.googleapis.com"
ARGS = argspec.SUBSCRIPTION_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``pubsub.Subscription`` resources."""
    import pulumi_gcp as gcp

    by_name = {
        topic_name: topic
        for topics in ctx.resources.topics.values()
        for topic_name, topic in topics.items()
    }
    for name, project in ctx.config.input.projects.items():
        for topic in project.pubsub_topics:
            for subscription in topic.subscriptions:
                args: dict[str, Any] = dict(subscription.args)
                policy = args.get("dead_letter_policy")
                if isinstance(policy, dict):
                    target = policy.get("dead_letter_topic")
                    if isinstance(target, str) and target in by_name:
                        args["dead_letter_policy"] = {
                            **policy,
                            "dead_letter_topic": by_name[target].id,
                        }
                declared = ctx.resources.subscriptions.setdefault(name, {})
                declared[subscription.name] = gcp.pubsub.Subscription(
                    resource_name=make_resource_name("subscription", subscription.name),
                    topic=by_name[topic.name].id,
                    opts=ctx.options(api=API),
                    **ctx.with_labels(ARGS, args),
                )
