"""Running a deployed job on demand and reading its executions: where the app's job lives,
the overrides of one run (arguments, environment variables, task count and timeout, as the
API's ``Overrides``), and the recent executions as rows of a table or JSON.

Environment variable values given for a run may be secrets: only their names are ever shown
(:meth:`RunOverrides.summary`); the values go to the API and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polyinfra.deploy.errors import JsonObject
from polyinfra.errors import UserError

if TYPE_CHECKING:
    from polyinfra.deploy.rollout import DeployTarget
    from polyinfra.workspace import Workspace

#: An environment variable name Cloud Run accepts (a C identifier; the API rejects the rest).
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: ``--task-timeout``: seconds, or a duration such as ``1h30m`` or ``90s`` (as gcloud takes it).
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")

#: The longest task timeout Cloud Run accepts: 168 hours
#: (https://cloud.google.com/run/docs/configuring/task-timeout).
MAX_TASK_TIMEOUT = 168 * 3600


@dataclass(frozen=True)
class RunOverrides:
    """What one run of a job changes of the job's template, for that execution only.

    ``args`` (when not None) replace the container's arguments; ``clear_args`` runs it with
    none; ``env`` is merged into its variables by name; ``tasks`` and ``task_timeout``
    (seconds) replace the task count and the task timeout. The overrides are for the job's
    first container (its only one, for the jobs polyinfra renders).
    """

    args: tuple[str, ...] | None = None
    clear_args: bool = False
    env: tuple[tuple[str, str], ...] = ()
    tasks: int | None = None
    task_timeout: int | None = None

    def to_api(self) -> JsonObject | None:
        """The API's ``Overrides`` (None when nothing is overridden)."""
        container: JsonObject = {}
        if self.clear_args:
            container["clearArgs"] = True
        elif self.args is not None:
            container["args"] = list(self.args)
        if self.env:
            container["env"] = [{"name": name, "value": value} for name, value in self.env]
        overrides: JsonObject = {}
        if container:
            overrides["containerOverrides"] = [container]
        if self.tasks is not None:
            overrides["taskCount"] = self.tasks
        if self.task_timeout is not None:
            overrides["timeoutSeconds"] = self.task_timeout
        return overrides or None

    @property
    def secrets(self) -> frozenset[str]:
        """The environment variable values: never to be printed."""
        return frozenset(value for _, value in self.env if value)

    def summary(self) -> str:
        """What is overridden, naming the variables but never their values ("" for nothing)."""
        parts = []
        if self.clear_args:
            parts.append("no args")
        elif self.args is not None:
            parts.append(f"{len(self.args)} arg(s)")
        if self.env:
            parts.append("env " + ", ".join(name for name, _ in self.env))
        if self.tasks is not None:
            parts.append(f"{self.tasks} task(s)")
        if self.task_timeout is not None:
            parts.append(f"task timeout {self.task_timeout}s")
        return "; ".join(parts)


def env_pairs(
    env_vars: Sequence[str], update_env_vars: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """The variables of ``--env-var KEY=VALUE`` (one each; the value may hold commas) and of
    ``--update-env-vars KEY=VALUE,...`` (gcloud's comma-separated list), in order. A name given
    twice, or an entry that is not ``KEY=VALUE``, is a UserError that shows no value."""
    entries = [("--env-var", item) for item in env_vars]
    for item in update_env_vars:
        entries.extend(("--update-env-vars", part) for part in item.split(","))
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for option, entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not _ENV_NAME.fullmatch(name):
            shown = name if _ENV_NAME.fullmatch(name) else "an entry"
            raise UserError(
                f"{option}: {shown} is not KEY=VALUE with KEY a variable name",
                hint=f"write {option} NAME=VALUE (NAME: letters, digits and _)",
            )
        if name in seen:
            raise UserError(f"{option}: {name} is given twice", hint="give each variable once")
        seen.add(name)
        pairs.append((name, value))
    return tuple(pairs)


def task_timeout_seconds(text: str) -> int:
    """``--task-timeout``: seconds (``600``) or a duration (``1h``, ``10m30s``), at least 1
    second and at most :data:`MAX_TASK_TIMEOUT`."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if text.isdigit():
        seconds = int(text)
    elif text and match is not None:
        hours, minutes, secs = (int(group or 0) for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise UserError(
            f"--task-timeout {text!r}: expected seconds or a duration such as 10m or 1h30m"
        )
    if not 1 <= seconds <= MAX_TASK_TIMEOUT:
        raise UserError(
            f"--task-timeout {text!r}: must be between 1 second and 168h "
            f"({MAX_TASK_TIMEOUT} seconds), the range Cloud Run accepts"
        )
    return seconds


def locate_job(ws: Workspace, app: str, env: str, region: str | None) -> DeployTarget:
    """The job app ``app`` deploys to ``env``; a UserError when it is a service."""
    from polyinfra.deploy.locate import locate

    targets = locate(ws, [app], env, region=region)
    jobs = [target for target in targets if target.kind == "Job"]
    if not jobs:
        kinds = ", ".join(f"{t.kind.lower()} {t.ref.name}" for t in targets) or "nothing"
        raise UserError(
            f"app {app} deploys {kinds} in {env}, not a job: only jobs are executed",
            hint="name a job app; a service runs by itself once deployed",
        )
    if len(jobs) > 1:
        names = ", ".join(t.ref.name for t in jobs)
        raise UserError(f"app {app} deploys several jobs in {env} ({names}): cannot tell which")
    return jobs[0]


# ---- executions --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionRow:
    """One execution as the listing shows it. ``state`` is running, succeeded, failed or
    cancelled; times are RFC 3339 as the API gives them ("" when not yet)."""

    name: str
    started: str
    completed: str
    state: str
    tasks: int
    succeeded: int
    failed: int
    cancelled: int

    @property
    def status(self) -> str:
        """``running``, ``succeeded``, ``cancelled`` or ``failed N of M``."""
        if self.state == "failed":
            return f"failed {self.failed} of {self.tasks}"
        return self.state

    def to_json(self) -> JsonObject:
        return {
            "name": self.name,
            "started": self.started or None,
            "completed": self.completed or None,
            "status": self.state,
            "tasks": self.tasks,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "cancelled": self.cancelled,
        }


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def execution_row(execution: JsonObject) -> ExecutionRow:
    """What an Execution object says of its run."""
    metadata = execution.get("metadata") or {}
    status = execution.get("status") or {}
    completed = next(
        (
            c
            for c in status.get("conditions") or []
            if isinstance(c, dict) and c.get("type") == "Completed"
        ),
        {},
    )
    failed, cancelled = _int(status.get("failedCount")), _int(status.get("cancelledCount"))
    if completed.get("status") == "True":
        state = "succeeded"
    elif completed.get("status") == "False":
        state = "cancelled" if cancelled or completed.get("reason") == "Cancelled" else "failed"
    else:
        state = "running"
    return ExecutionRow(
        name=str(metadata.get("name", "")),
        started=str(status.get("startTime") or metadata.get("creationTimestamp") or ""),
        completed=str(status.get("completionTime") or "") if state != "running" else "",
        state=state,
        tasks=_int((execution.get("spec") or {}).get("taskCount")) or 1,
        succeeded=_int(status.get("succeededCount")),
        failed=failed,
        cancelled=cancelled,
    )


def recent_executions(executions: Sequence[JsonObject], limit: int) -> list[ExecutionRow]:
    """The ``limit`` most recent executions, newest first (by start, then name)."""
    rows = [execution_row(e) for e in executions]
    rows.sort(key=lambda row: (row.started, row.name), reverse=True)
    return rows[:limit]


EXECUTION_COLUMNS = ("execution", "started (UTC)", "completed (UTC)", "status")


def _minute(timestamp: str) -> str:
    """``2024-05-01T12:34:56.789Z`` as ``2024-05-01 12:34`` (UTC); "-" for none."""
    if not timestamp:
        return "-"
    return timestamp[:16].replace("T", " ")


def executions_text(rows: Sequence[ExecutionRow]) -> str:
    """The executions as an aligned table (times to the minute, in UTC)."""
    table = [EXECUTION_COLUMNS]
    table.extend((r.name, _minute(r.started), _minute(r.completed), r.status) for r in rows)
    widths = [max(len(row[i]) for row in table) for i in range(len(EXECUTION_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )
