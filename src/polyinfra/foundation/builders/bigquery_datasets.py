"""BigQuery datasets (stateful: protected per stack)."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "bigquery_datasets"
API = "bigquery.googleapis.com"
ARGS = argspec.DATASET_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``bigquery.Dataset`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        dataset = project.bigquery_dataset
        if dataset is None:
            continue
        args = ctx.with_protection(ARGS, ctx.with_labels(ARGS, dataset.args))
        ctx.resources.datasets[name] = gcp.bigquery.Dataset(
            resource_name=make_resource_name("dataset", dataset.dataset_id),
            opts=ctx.options(api=API, stateful=True),
            **args,
        )
