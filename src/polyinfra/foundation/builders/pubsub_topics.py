"""Pub/Sub topics."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "pubsub_topics"
API = "pubsub.googleapis.com"
ARGS = argspec.TOPIC_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``pubsub.Topic`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        if not project.pubsub_topics:
            continue
        declared = ctx.resources.topics.setdefault(name, {})
        for topic in project.pubsub_topics:
            declared[topic.name] = gcp.pubsub.Topic(
                resource_name=make_resource_name("topic", topic.name),
                opts=ctx.options(api=API),
                **ctx.with_labels(ARGS, topic.args),
            )
