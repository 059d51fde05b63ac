"""BigQuery tables with their schema read from ``schema_file`` (stateful: protected per stack)."""

from __future__ import annotations

import json

from polyinfra.foundation import argspec
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext
from polyinfra.yamlio.jsontext import load_json_file

NAME = "bigquery_tables"
API = "bigquery.googleapis.com"
ARGS = argspec.TABLE_ARGS


def build(ctx: BuildContext) -> None:
    """Declare ``bigquery.Table`` resources, after the project's dataset."""
    import pulumi
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        if not project.bigquery_tables:
            continue
        declared = ctx.resources.tables.setdefault(name, {})
        dataset = ctx.resources.datasets.get(name)
        for table in project.bigquery_tables:
            dataset_id = table.dataset_id or (
                project.bigquery_dataset.dataset_id if project.bigquery_dataset else None
            )
            assert dataset_id is not None  # validated
            args = {**table.args, "dataset_id": dataset_id}
            if table.schema_file is not None:
                path = (ctx.config.program_dir / table.schema_file).resolve()
                # Normalised JSON: whitespace edits to the file must not diff the table.
                args["schema"] = json.dumps(load_json_file(path, bounds=ctx.config.bounds))
            args = ctx.with_protection(ARGS, ctx.with_labels(ARGS, args))
            opts = ctx.options(api=API, stateful=True)
            own_dataset = project.bigquery_dataset
            if dataset is not None and own_dataset and dataset_id == own_dataset.dataset_id:
                after = pulumi.ResourceOptions(depends_on=[dataset])
                opts = pulumi.ResourceOptions.merge(opts, after)
            declared[table.table_id] = gcp.bigquery.Table(
                resource_name=make_resource_name("table", dataset_id, table.table_id),
                opts=opts,
                **args,
            )
