"""`polyinfra execute` and `polyinfra executions` on the example workspace, against the fake
Cloud Run API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
JOB = "dmd-inv-mov-api2bq"
REGION = "asia-southeast1"
JOB_PATH = f"/apis/run.googleapis.com/v1/namespaces/{PROJECT}/jobs/{JOB}"
EXECUTIONS_PATH = f"/apis/run.googleapis.com/v1/namespaces/{PROJECT}/executions"
OVERLAY = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/sandbox/kustomization.yaml"

pytestmark = pytest.mark.slow


def cli(fake: FakeCloudRun, *args: str) -> int:
    """Run a command on the example workspace's sandbox against ``fake``."""
    return main([*args, "--env", "sandbox", "-w", str(EXAMPLE), "--endpoint", fake.endpoint])


@pytest.fixture
def deployed(fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> FakeCloudRun:
    assert cli(fake, "deploy", JOB, "--version", "v1") == 0
    capsys.readouterr()
    return fake


def calls(fake: FakeCloudRun, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests[since:]]


def test_execute_runs_once_with_the_overrides_and_prints_the_execution(
    deployed: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(deployed.requests)
    code = cli(
        deployed,
        "execute",
        JOB,
        "--args",
        "--day",
        "--args",
        "2024-05-01,2024-05-02",
        "--env-var",
        "API_TOKEN=hunter2-secret",
        "--update-env-vars",
        "LOG_LEVEL=debug,DRY_RUN=1",
        "--tasks",
        "3",
        "--task-timeout",
        "10m",
    )
    output = capsys.readouterr()
    assert code == 0
    (execution,) = deployed.objects("executions")
    name = execution["metadata"]["name"]
    assert output.out == f"{name}\n"
    assert calls(deployed, before) == [
        ("GET", JOB_PATH),
        ("GET", JOB_PATH),
        ("POST", f"{JOB_PATH}:run"),
    ]
    run = deployed.requests[-1]
    assert run.body == {
        "overrides": {
            "containerOverrides": [
                {
                    "args": ["--day", "2024-05-01,2024-05-02"],
                    "env": [
                        {"name": "API_TOKEN", "value": "hunter2-secret"},
                        {"name": "LOG_LEVEL", "value": "debug"},
                        {"name": "DRY_RUN", "value": "1"},
                    ],
                }
            ],
            "taskCount": 3,
            "timeoutSeconds": 600,
        }
    }
    spec = execution["spec"]
    assert spec["taskCount"] == 3
    task = spec["template"]["spec"]
    assert task["timeoutSeconds"] == "600"
    (container,) = task["containers"]
    assert container["args"] == ["--day", "2024-05-01,2024-05-02"]
    env = {var["name"]: var for var in container["env"]}
    assert env["API_TOKEN"] == {"name": "API_TOKEN", "value": "hunter2-secret"}
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "debug"}
    assert env["ENVIRONMENT"] == {"name": "ENVIRONMENT", "value": "sandbox"}
    assert output.err.splitlines() == [
        f"{JOB} (sandbox): executing job {JOB} in project {PROJECT}, region {REGION} "
        "(2 arg(s); env API_TOKEN, LOG_LEVEL, DRY_RUN; 3 task(s); task timeout 600s)",
        f"{JOB} (sandbox): execution {name} started; see `polyinfra executions {JOB} --env "
        "sandbox`",
    ]
    assert "hunter2" not in output.out + output.err


def test_execute_wait_reports_failed_tasks_and_never_shows_a_value(
    deployed: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.script(
        JOB, polls=1, ready=False, failed_tasks=1, message="Task 1 exited: bad token hunter2-secret"
    )
    before = len(deployed.requests)
    code = cli(
        deployed, "execute", JOB, "--wait", "--tasks", "2", "--env-var", "API_TOKEN=hunter2-secret"
    )
    output = capsys.readouterr()
    assert code == 1
    (execution,) = deployed.objects("executions")
    name = execution["metadata"]["name"]
    assert output.out == ""
    assert output.err.splitlines()[-1] == (
        f"error: {JOB} (env sandbox, {OVERLAY}): execution {name} failed: 1 of 2 task(s) "
        "failed: Task 1 exited: bad token <redacted>"
    )
    assert "hunter2" not in output.err
    assert [m for m, p in calls(deployed, before) if p.endswith(":run")] == ["POST"]


def test_execute_wait_success(deployed: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> None:
    before = len(deployed.requests)
    assert cli(deployed, "execute", JOB, "--wait") == 0
    (execution,) = deployed.objects("executions")
    name = execution["metadata"]["name"]
    assert capsys.readouterr().out == f"{JOB} (sandbox): execution {name} succeeded (1 task(s))\n"
    assert calls(deployed, before) == [
        ("GET", JOB_PATH),
        ("GET", JOB_PATH),
        ("POST", f"{JOB_PATH}:run"),
        ("GET", f"{EXECUTIONS_PATH}/{name}"),
    ]


def test_a_service_is_not_executed(fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(fake, "execute", "inventory-api") == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: app inventory-api deploys service inventory-api in sandbox, not a job: only jobs "
        "are executed",
        "  hint: name a job app; a service runs by itself once deployed",
    ]
    assert fake.requests == []


def test_a_job_that_is_not_deployed_says_how_to_deploy_it(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("execute", "executions"):
        assert cli(fake, command, JOB) == 1
        assert capsys.readouterr().err.splitlines() == [
            f"error: {JOB} (env sandbox): job {JOB} (project {PROJECT}, region {REGION}) is not "
            "deployed",
            f"  hint: deploy it first: polyinfra deploy {JOB} --env sandbox --version VERSION",
        ]
    assert calls(fake) == [("GET", JOB_PATH), ("GET", JOB_PATH)]


def test_bad_overrides_are_usage_errors_before_any_call(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(fake, "execute", JOB, "--args", "x", "--clear-args") == 2
    assert cli(fake, "execute", JOB, "--tasks", "0") == 2
    assert cli(fake, "execute", JOB, "--task-timeout", "soon") == 2
    assert cli(fake, "execute", JOB, "--env-var", "A=1", "--env-var", "A=2") == 2
    capsys.readouterr()
    assert cli(fake, "execute", JOB, "--timeout", "60") == 2
    assert "--timeout bounds the wait of --wait" in capsys.readouterr().err
    assert fake.requests == []


def test_executions_lists_newest_first(
    deployed: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(deployed, "execute", JOB, "--wait", "--tasks", "2") == 0
    deployed.script(JOB, polls=1, ready=False, failed_tasks=1)
    assert cli(deployed, "execute", JOB, "--wait", "--tasks", "3") == 1
    deployed.script(JOB, polls=1000)
    assert cli(deployed, "execute", JOB) == 0
    capsys.readouterr()
    before = len(deployed.requests)
    assert cli(deployed, "executions", JOB) == 0
    table = capsys.readouterr().out
    assert calls(deployed, before) == [("GET", JOB_PATH), ("GET", EXECUTIONS_PATH)]
    assert deployed.requests[-1].query == {"labelSelector": f"run.googleapis.com/job={JOB}"}
    stored = sorted(
        deployed.objects("executions"),
        key=lambda e: e["metadata"]["creationTimestamp"],
        reverse=True,
    )
    running, failed, succeeded = (
        (e["metadata"]["name"], e["status"]["startTime"], e["status"].get("completionTime", ""))
        for e in stored
    )

    def minute(stamp: str) -> str:
        return stamp[:10] + " " + stamp[11:16]

    assert table == (
        "execution                 started (UTC)     completed (UTC)   status\n"
        f"{running[0]}  {minute(running[1])}  -                 running\n"
        f"{failed[0]}  {minute(failed[1])}  {minute(failed[2])}  failed 1 of 3\n"
        f"{succeeded[0]}  {minute(succeeded[1])}  {minute(succeeded[2])}  succeeded\n"
    )
    assert max(len(line) for line in table.splitlines()) <= 80

    assert cli(deployed, "executions", JOB, "--limit", "1", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "app": JOB,
        "job": JOB,
        "env": "sandbox",
        "project": PROJECT,
        "region": REGION,
        "executions": [
            {
                "name": running[0],
                "started": running[1],
                "completed": None,
                "status": "running",
                "tasks": 1,
                "succeeded": 0,
                "failed": 0,
                "cancelled": 0,
            }
        ],
    }
