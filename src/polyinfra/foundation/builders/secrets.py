"""Secret Manager secrets (containers only: values are added outside the stack, never in config);
stateful, so protected per stack."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "secrets"
API = "secretmanager.googleapis.com"
ARGS = argspec.SECRET_ARGS
AUTOMATIC_REPLICATION: dict[str, dict[str, str]] = {"auto": {}}


def build(ctx: BuildContext) -> None:
    """Declare ``secretmanager.Secret`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        if not project.secrets:
            continue
        declared = ctx.resources.secrets.setdefault(name, {})
        for secret in project.secrets:
            args = {"replication": AUTOMATIC_REPLICATION, **secret.args}
            declared[secret.secret_id] = gcp.secretmanager.Secret(
                resource_name=make_resource_name("secret", secret.secret_id),
                opts=ctx.options(api=API, stateful=True),
                **ctx.with_protection(ARGS, ctx.with_labels(ARGS, args)),
            )
