"""Artifact Registry repositories (stateful: protected per stack)."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "artifact_registry"
API = "artifactregistry.googleapis.com"
ARGS = argspec.REPOSITORY_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``artifactregistry.Repository`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        registry = project.artifact_registry
        if registry is None:
            continue
        location = registry.location or ctx.config.gcp.region
        assert location is not None  # validated
        args = {**registry.args, "location": location}
        args = ctx.with_protection(ARGS, ctx.with_labels(ARGS, args))
        ctx.resources.repositories[name] = gcp.artifactregistry.Repository(
            resource_name=make_resource_name("registry", registry.repository_id, location),
            opts=ctx.options(api=API, stateful=True),
            **args,
        )
