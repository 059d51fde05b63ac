"""Cloud Storage buckets: uniform bucket-level access and enforced public-access prevention unless
the stack file says otherwise; stateful, so protected per stack."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "storage_buckets"
API = "storage.googleapis.com"
ARGS = argspec.BUCKET_ARGS
SAFE_DEFAULTS = {"uniform_bucket_level_access": True, "public_access_prevention": "enforced"}


def build(ctx: BuildContext) -> None:
    """Declare ``storage.Bucket`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        if not project.cloud_storage:
            continue
        declared = ctx.resources.buckets.setdefault(name, {})
        for bucket in project.cloud_storage:
            args = ctx.with_protection(
                ARGS, ctx.with_labels(ARGS, {**SAFE_DEFAULTS, **bucket.args})
            )
            declared[bucket.name] = gcp.storage.Bucket(
                resource_name=make_resource_name("bucket", bucket.name),
                opts=ctx.options(api=API, stateful=True),
                **args,
            )
