"""Job runs with overrides, and cancelling and deleting executions, spoken to over raw HTTP."""

from __future__ import annotations

from typing import Any

from polyinfra.emulator import FakeCloudRun
from tests.emulator.test_server import JOBS, call

EXECUTIONS = "/apis/run.googleapis.com/v1/namespaces/proj/executions"


def job_with_containers() -> dict[str, Any]:
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": {"name": "ingest", "namespace": "proj"},
        "spec": {
            "template": {
                "spec": {
                    "taskCount": 2,
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "main",
                                    "image": "img:1",
                                    "args": ["--day", "today"],
                                    "env": [
                                        {"name": "MODE", "value": "full"},
                                        {"name": "LEVEL", "value": "info"},
                                    ],
                                },
                                {"name": "sidecar", "image": "proxy:1", "args": ["--port=1"]},
                            ]
                        }
                    },
                }
            }
        },
    }


def ready_job(fake: FakeCloudRun, *, execution_polls: int = 1) -> None:
    fake.script("ingest", polls=0)
    fake.script("ingest", polls=execution_polls)
    status, _ = call(fake, "POST", JOBS, job_with_containers())
    assert status == 200


def run(fake: FakeCloudRun, overrides: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return call(fake, "POST", f"{JOBS}/ingest:run", {"overrides": overrides})


def test_overrides_replace_args_merge_env_and_set_tasks_and_timeout() -> None:
    with FakeCloudRun() as fake:
        ready_job(fake)
        status, execution = run(
            fake,
            {
                "containerOverrides": [
                    {
                        "name": "main",
                        "args": ["--day", "2024-05-01"],
                        "env": [
                            {"name": "LEVEL", "value": "debug"},
                            {"name": "EXTRA", "value": "1"},
                        ],
                    }
                ],
                "taskCount": 5,
                "timeoutSeconds": 120,
            },
        )
        _, job = call(fake, "GET", f"{JOBS}/ingest")
    assert status == 200
    spec = execution["spec"]
    assert spec["taskCount"] == 5
    task = spec["template"]["spec"]
    assert task["timeoutSeconds"] == "120"
    main, sidecar = task["containers"]
    assert main["args"] == ["--day", "2024-05-01"]
    assert main["env"] == [
        {"name": "MODE", "value": "full"},
        {"name": "LEVEL", "value": "debug"},
        {"name": "EXTRA", "value": "1"},
    ]
    assert sidecar["args"] == ["--port=1"]
    assert "env" not in sidecar
    # The job keeps its own template: overrides are for this execution only.
    template = job["spec"]["template"]["spec"]
    assert template["taskCount"] == 2
    assert template["template"]["spec"]["timeoutSeconds"] == "600"
    assert template["template"]["spec"]["containers"][0]["args"] == ["--day", "today"]


def test_an_override_without_a_name_is_for_the_first_container_and_clear_args_clears() -> None:
    with FakeCloudRun() as fake:
        ready_job(fake)
        _, first = run(fake, {"containerOverrides": [{"clearArgs": True}]})
        fake.script("ingest", polls=1)
        _, second = run(
            fake, {"containerOverrides": [{"name": "sidecar", "clearArgs": True}], "taskCount": 0}
        )
    main, sidecar = first["spec"]["template"]["spec"]["containers"]
    assert "args" not in main
    assert sidecar["args"] == ["--port=1"]
    main, sidecar = second["spec"]["template"]["spec"]["containers"]
    assert main["args"] == ["--day", "today"]
    assert "args" not in sidecar
    # proto3: a taskCount of 0 is no override
    assert second["spec"]["taskCount"] == 2


def test_invalid_overrides_are_400_with_the_field_and_start_nothing() -> None:
    cases = [
        (
            {"containerOverrides": [{"args": ["x"], "clearArgs": True}]},
            "overrides.containerOverrides[0].args",
            "Must be empty when clearArgs is true.",
        ),
        (
            {"containerOverrides": [{"name": "main"}, {"name": "worker", "args": ["x"]}]},
            "overrides.containerOverrides[1].name",
            "Container 'worker' is not in the job's task template (containers: 'main', 'sidecar').",
        ),
        ({"taskCount": -1}, "overrides.taskCount", "Must be greater than or equal to 0, got -1."),
        (
            {"taskCount": 2, "retries": 1},
            "overrides",
            "Invalid JSON payload received. Unknown name \"retries\" at 'overrides': Cannot "
            "find field.",
        ),
        (
            {"containerOverrides": [{"env": [{"value": "1"}]}]},
            "overrides.containerOverrides[0].env[0].name",
            "Field is required.",
        ),
    ]
    with FakeCloudRun() as fake:
        ready_job(fake)
        for overrides, field, description in cases:
            status, answer = run(fake, overrides)
            assert status == 400, overrides
            error = answer["error"]
            assert error["status"] == "INVALID_ARGUMENT"
            assert error["details"] == [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": field, "description": description}],
                }
            ]
        _, job = call(fake, "GET", f"{JOBS}/ingest")
        assert fake.objects("executions") == []
    assert job["status"]["executionCount"] == 0


def test_delete_an_execution_answers_a_status_and_leaves_the_job() -> None:
    with FakeCloudRun() as fake:
        ready_job(fake)
        _, execution = run(fake, {})
        name = execution["metadata"]["name"]
        status, deleted = call(fake, "DELETE", f"{EXECUTIONS}/{name}")
        gone, _ = call(fake, "GET", f"{EXECUTIONS}/{name}")
        again, error = call(fake, "DELETE", f"{EXECUTIONS}/{name}")
        _, listed = call(fake, "GET", EXECUTIONS)
        assert fake.get_object("jobs", "proj", "ingest") is not None
    assert status == 200
    assert deleted == {
        "status": "Success",
        "details": {
            "name": name,
            "group": "run.googleapis.com",
            "kind": "executions",
            "uid": execution["metadata"]["uid"],
        },
    }
    assert (gone, again, error["error"]["status"]) == (404, 404, "NOT_FOUND")
    assert listed["items"] == []


def test_cancel_a_running_execution_and_not_a_completed_one() -> None:
    with FakeCloudRun() as fake:
        ready_job(fake, execution_polls=100)
        _, execution = run(fake, {"taskCount": 3})
        name = execution["metadata"]["name"]
        status, cancelled = call(fake, "POST", f"{EXECUTIONS}/{name}:cancel", {})
        _, polled = call(fake, "GET", f"{EXECUTIONS}/{name}")
        again, error = call(fake, "POST", f"{EXECUTIONS}/{name}:cancel", {})
        _, job = call(fake, "GET", f"{JOBS}/ingest")
    assert status == 200
    assert polled == cancelled
    assert cancelled["status"]["cancelledCount"] == 3
    completed = cancelled["status"]["conditions"][0]
    assert (completed["type"], completed["status"], completed["reason"]) == (
        "Completed",
        "False",
        "Cancelled",
    )
    assert (again, error["error"]["status"]) == (400, "FAILED_PRECONDITION")
    assert job["status"]["latestCreatedExecution"]["completionStatus"] == "EXECUTION_CANCELLED"
