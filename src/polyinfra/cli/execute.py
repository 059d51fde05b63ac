"""`polyinfra execute`: run a deployed job once, with overrides for that run; and the options
the commands that call Cloud Run for one environment share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    EndpointOption,
    EnvOption,
    HttpTimeoutOption,
    RegionOption,
    WorkspaceOption,
)
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_FINDINGS, UserError

if TYPE_CHECKING:
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.rollout import DeployTarget


#: Seconds ``execute --wait`` waits by default.
DEFAULT_WAIT = 3600.0


def say(line: str) -> None:
    err.print(line, markup=False, highlight=False)


def deployed_job(
    job: str,
    env: str,
    *,
    region: str | None,
    endpoint: str | None,
    http_timeout: float | None,
    workspace: Path,
) -> tuple[DeployTarget, CloudRunClient]:
    """Where job app ``job`` lives in ``env`` and a client for its region, once the job is
    read and found deployed; exit 1 with a hint to deploy it when it is not. The caller
    closes the client."""
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.endpoint import http_timeout as resolve_http_timeout
    from polyinfra.deploy.endpoint import log_http_calls
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.jobs import locate_job
    from polyinfra.manifests.links import discover_workspace

    calls_timeout = resolve_http_timeout(http_timeout)
    if state.debug:
        log_http_calls()
    target = locate_job(discover_workspace(workspace), job, env, region)
    ref = target.ref
    client = CloudRunClient.connect(target.region, endpoint=endpoint, timeout=calls_timeout)
    try:
        live = client.get(ref)
    except CloudRunError as exc:
        client.close()
        say(f"error: {job} (env {env}): {exc}")
        raise typer.Exit(EXIT_FINDINGS) from None
    if live is None:
        client.close()
        where = f"project {ref.namespace}, region {target.region}"
        say(f"error: {job} (env {env}): job {ref.name} ({where}) is not deployed")
        say(f"  hint: deploy it first: polyinfra deploy {job} --env {env} --version VERSION")
        raise typer.Exit(EXIT_FINDINGS)
    return target, client


def execute(
    job: Annotated[str, typer.Argument(help="The job app to run.", metavar="JOB")],
    env: EnvOption = ...,  # type: ignore[assignment]
    args: Annotated[
        list[str] | None,
        typer.Option(
            "--args",
            help="Run with these arguments instead of the job's (gcloud's --args); one "
            "argument per --args, repeat it for more, so an argument may hold commas.",
            show_default=False,
            metavar="ARG",
        ),
    ] = None,
    clear_args: Annotated[
        bool,
        typer.Option(
            "--clear-args",
            help="Run without the job's arguments (gcloud's --args=\"\").",
        ),
    ] = False,
    env_var: Annotated[
        list[str] | None,
        typer.Option(
            "--env-var",
            help="Set one environment variable for this run (repeatable); the value is "
            "taken whole, commas included, and never printed.",
            show_default=False,
            metavar="KEY=VALUE",
        ),
    ] = None,
    update_env_vars: Annotated[
        list[str] | None,
        typer.Option(
            "--update-env-vars",
            help="Comma-separated KEY=VALUE pairs, as gcloud's --update-env-vars takes them "
            "(repeatable); merged with --env-var.",
            show_default=False,
            metavar="KEY=VALUE",
        ),
    ] = None,
    tasks: Annotated[
        int | None,
        typer.Option(
            "--tasks",
            min=1,
            help="Number of tasks of this run (gcloud's --tasks).",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    task_timeout: Annotated[
        str | None,
        typer.Option(
            "--task-timeout",
            help="Time each task of this run may take: seconds or a duration such as 10m or "
            "1h30m (gcloud's --task-timeout).",
            show_default=False,
            metavar="SECONDS",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for the execution to complete and report failed tasks (gcloud's "
            "--wait); without it, print the execution's name once it has started.",
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=1,
            help="Seconds to wait with --wait before giving up (the execution goes on; "
            "default 3600).",
            metavar="SECONDS",
            show_default=False,
        ),
    ] = None,
    region: RegionOption = None,
    endpoint: EndpointOption = None,
    http_timeout: HttpTimeoutOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Run a deployed job once, like `gcloud run jobs execute`, with overrides for this
    execution only: arguments, environment variables, task count and task timeout.

    Prints the execution's name on stdout once it has started; with --wait, waits for it and
    reports failed tasks as `deploy --execute` does. The values of environment variables are
    never printed, only their names.

    Exit status: 0 started (or, with --wait, succeeded), 1 the job is not deployed, the run
    failed or did not complete in time, 2 bad input (a service named as JOB), 130 interrupted.
    """
    from polyinfra.deploy.apply import (
        DeployFailed,
        WaitTimeout,
        describe_error,
        execute_job,
        start_execution,
    )
    from polyinfra.deploy.errors import CloudRunError
    from polyinfra.deploy.jobs import RunOverrides, env_pairs, task_timeout_seconds
    from polyinfra.redact import Redactor

    if clear_args and args:
        raise UserError("--args and --clear-args both set the arguments: pass one")
    if timeout is not None and not wait:
        raise UserError(
            "--timeout bounds the wait of --wait; without --wait nothing waits",
            hint="add --wait, or drop --timeout",
        )
    overrides = RunOverrides(
        args=tuple(args) if args else None,
        clear_args=clear_args,
        env=env_pairs(env_var or [], update_env_vars or []),
        tasks=tasks,
        task_timeout=task_timeout_seconds(task_timeout) if task_timeout is not None else None,
    )
    redact = Redactor(overrides.secrets)
    target, client = deployed_job(
        job, env, region=region, endpoint=endpoint, http_timeout=http_timeout, workspace=workspace
    )
    ref = target.ref
    label = f"{job} ({env})"
    last = ""

    def progress(message: str) -> None:
        nonlocal last
        if message != last:
            last = message
            say(f"{label}: {message}")

    try:
        summary = overrides.summary()
        say(
            f"{label}: executing job {ref.name} in project {ref.namespace}, region "
            f"{target.region}" + (f" ({summary})" if summary else "")
        )
        if not wait:
            execution = start_execution(client, ref, overrides.to_api())
            name = str(execution["metadata"]["name"])
            say(f"{label}: execution {name} started; see `polyinfra executions {job} --env {env}`")
            out.print(name, markup=False, highlight=False)
            return
        result = execute_job(
            client,
            ref,
            timeout=timeout or DEFAULT_WAIT,
            progress=progress,
            overrides=overrides.to_api(),
        )
        out.print(
            f"{label}: execution {result.name} succeeded ({result.succeeded} task(s))",
            markup=False,
            highlight=False,
        )
    except WaitTimeout as exc:
        say(f"error: {job} (env {env}, {target.source}): {redact(str(exc))}; it goes on running")
        raise typer.Exit(EXIT_FINDINGS) from None
    except (CloudRunError, DeployFailed) as exc:
        say(f"error: {job} (env {env}, {target.source}): {redact(describe_error(exc))}")
        raise typer.Exit(EXIT_FINDINGS) from None
    finally:
        client.close()


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("execute")(execute)
