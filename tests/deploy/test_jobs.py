"""A job run's overrides, from the options to the API's Overrides and into the execution the
fake starts, and the rows an execution listing is made of."""

from __future__ import annotations

from typing import Any

import pytest

from polyinfra.deploy.apply import apply_object, execute_job, start_execution
from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.deploy.jobs import (
    RunOverrides,
    env_pairs,
    execution_row,
    executions_text,
    recent_executions,
    task_timeout_seconds,
)
from polyinfra.emulator import FakeCloudRun
from polyinfra.errors import UserError

INGEST = ObjectRef("Job", "proj", "ingest")


def test_overrides_become_the_api_overrides() -> None:
    overrides = RunOverrides(
        args=("--day", "a,b"), env=(("TOKEN", "s3cret"), ("MODE", "x")), tasks=3, task_timeout=90
    )
    assert overrides.to_api() == {
        "containerOverrides": [
            {
                "args": ["--day", "a,b"],
                "env": [{"name": "TOKEN", "value": "s3cret"}, {"name": "MODE", "value": "x"}],
            }
        ],
        "taskCount": 3,
        "timeoutSeconds": 90,
    }
    assert overrides.summary() == "2 arg(s); env TOKEN, MODE; 3 task(s); task timeout 90s"
    assert overrides.secrets == {"s3cret", "x"}
    assert RunOverrides(clear_args=True).to_api() == {"containerOverrides": [{"clearArgs": True}]}
    assert RunOverrides().to_api() is None
    assert RunOverrides().summary() == ""


def test_env_pairs_take_one_per_env_var_and_gcloud_lists() -> None:
    assert env_pairs(["A=1,2", "B="], ["C=3,D=4"]) == (
        ("A", "1,2"),
        ("B", ""),
        ("C", "3"),
        ("D", "4"),
    )


@pytest.mark.parametrize(
    ("env_vars", "update", "message"),
    [
        (["NOVALUE"], [], "--env-var: NOVALUE is not KEY=VALUE with KEY a variable name"),
        (["bad name=hunter2"], [], "--env-var: an entry is not KEY=VALUE"),
        (["A=1"], ["A=2"], "--update-env-vars: A is given twice"),
    ],
)
def test_bad_env_entries_are_usage_errors_that_show_no_value(
    env_vars: list[str], update: list[str], message: str
) -> None:
    with pytest.raises(UserError) as caught:
        env_pairs(env_vars, update)
    assert str(caught.value).startswith(message)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("600", 600), ("10m", 600), ("1h30m", 5400), ("90s", 90), ("168h", 604800)],
)
def test_task_timeout_takes_seconds_or_a_duration(text: str, seconds: int) -> None:
    assert task_timeout_seconds(text) == seconds


@pytest.mark.parametrize("text", ["0", "169h", "ten", "", "5d"])
def test_task_timeout_out_of_range_or_unreadable_is_a_usage_error(text: str) -> None:
    with pytest.raises(UserError, match="--task-timeout"):
        task_timeout_seconds(text)


def test_lost_run_answer_with_overrides_starts_one_execution_with_them(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    fake.script("ingest", polls=0)
    apply_object(client, INGEST, make_job(tasks=1))
    fake.lose_response(method="POST", path=":run")
    overrides = RunOverrides(args=("--full",), tasks=4).to_api()
    execution = start_execution(client, INGEST, overrides)
    runs = [r for r in fake.requests if r.path.endswith(":run")]
    assert [r.body for r in runs] == [{"overrides": overrides}]
    (stored,) = fake.objects("executions")
    assert execution["metadata"]["name"] == stored["metadata"]["name"]
    assert stored["spec"]["taskCount"] == 4
    assert stored["spec"]["template"]["spec"]["containers"][0]["args"] == ["--full"]


def test_execute_job_passes_overrides_and_names_failed_tasks(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    from polyinfra.deploy.apply import DeployFailed

    fake.script("ingest", polls=0)
    fake.script("ingest", polls=1, ready=False, failed_tasks=2, message="exit 3")
    apply_object(client, INGEST, make_job(tasks=1))
    with pytest.raises(DeployFailed) as caught:
        execute_job(client, INGEST, timeout=60, overrides={"taskCount": 5})
    assert str(caught.value).endswith("failed: 2 of 5 task(s) failed: exit 3")


def execution(
    name: str, started: str, *, state: str = "", failed: int = 0, tasks: int = 3, reason: str = ""
) -> dict[str, Any]:
    status: dict[str, Any] = {"startTime": started}
    if state:
        status["completionTime"] = started.replace("T10", "T11")
        status["conditions"] = [{"type": "Completed", "status": state, "reason": reason}]
        status["failedCount"] = failed
        status["succeededCount"] = tasks - failed
    else:
        status["conditions"] = [{"type": "Completed", "status": "Unknown"}]
    return {"metadata": {"name": name}, "spec": {"taskCount": tasks}, "status": status}


def test_executions_table_newest_first_within_80_columns() -> None:
    executions = [
        execution("ingest-aaaaa", "2024-05-01T10:00:00.000001Z", state="True"),
        execution("ingest-ccccc", "2024-05-03T10:00:00.000001Z"),
        execution("ingest-bbbbb", "2024-05-02T10:00:00.000001Z", state="False", failed=2),
        execution("ingest-ddddd", "2024-04-30T10:00:00.000001Z", state="False", reason="Cancelled"),
    ]
    rows = recent_executions(executions, limit=3)
    assert executions_text(rows).splitlines() == [
        "execution     started (UTC)     completed (UTC)   status",
        "ingest-ccccc  2024-05-03 10:00  -                 running",
        "ingest-bbbbb  2024-05-02 10:00  2024-05-02 11:00  failed 2 of 3",
        "ingest-aaaaa  2024-05-01 10:00  2024-05-01 11:00  succeeded",
    ]
    assert execution_row(executions[3]).status == "cancelled"
    assert execution_row(executions[2]).to_json() == {
        "name": "ingest-bbbbb",
        "started": "2024-05-02T10:00:00.000001Z",
        "completed": "2024-05-02T11:00:00.000001Z",
        "status": "failed",
        "tasks": 3,
        "succeeded": 1,
        "failed": 2,
        "cancelled": 0,
    }
