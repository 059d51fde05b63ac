"""`polyinfra executions`: a deployed job's recent executions, as a table or JSON."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.execute import deployed_job, say
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    EndpointOption,
    EnvOption,
    HttpTimeoutOption,
    RegionOption,
    WorkspaceOption,
)
from polyinfra.errors import EXIT_FINDINGS


class Format(StrEnum):
    text = "text"
    json = "json"


def executions(
    job: Annotated[str, typer.Argument(help="The job app.", metavar="JOB")],
    env: EnvOption = ...,  # type: ignore[assignment]
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Show at most N executions.", metavar="N")
    ] = 20,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="text or json.", metavar="FORMAT")
    ] = Format.text,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    http_timeout: HttpTimeoutOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List a deployed job's recent executions, newest first: name, when it started and
    completed (UTC), and its status: running, succeeded, cancelled or failed N of M (tasks).

    The json format is an object with app, job, env, project, region and executions, each
    with name, started, completed (RFC 3339, null when not yet), status, tasks, succeeded,
    failed and cancelled.

    Exit status: 0 listed, 1 the job is not deployed or Cloud Run failed, 2 bad input.
    """
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.jobs import executions_text, recent_executions

    target, client = deployed_job(
        job, env, region=region, endpoint=endpoint, http_timeout=http_timeout, workspace=workspace
    )
    ref = target.ref
    try:
        rows = recent_executions(client.list_executions(ref), limit)
    except CloudRunError as exc:
        say(f"error: {job} (env {env}): {exc}")
        raise typer.Exit(EXIT_FINDINGS) from None
    finally:
        client.close()
    if output_format is Format.json:
        document = {
            "app": job,
            "job": ref.name,
            "env": env,
            "project": ref.namespace,
            "region": target.region,
            "executions": [row.to_json() for row in rows],
        }
        out.file.write(json.dumps(document, indent=2) + "\n")
    elif rows:
        out.print(executions_text(rows), markup=False, highlight=False)
    else:
        out.print(f"job {ref.name} has no executions", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("executions")(executions)
