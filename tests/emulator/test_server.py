"""The fake Cloud Run Admin API, spoken to over raw HTTP (independently of polyinfra's client)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from typing import Any

import pytest

from polyinfra.emulator import FakeCloudRun

SERVICES = "/apis/serving.knative.dev/v1/namespaces/proj/services"
JOBS = "/apis/run.googleapis.com/v1/namespaces/proj/jobs"


def service(name: str = "api", image: str = "img:1") -> dict[str, Any]:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "proj"},
        "spec": {"template": {"spec": {"containers": [{"image": image}]}}},
    }


def job(name: str = "ingest", tasks: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "proj"},
        "spec": {
            "template": {
                "spec": {"taskCount": tasks, "template": {"spec": {"containers": [{"image": "i"}]}}}
            }
        },
    }


def call(
    fake: FakeCloudRun, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(fake.host, timeout=5)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload else {}
    conn.request(method, path, body=payload, headers=headers)
    answer = conn.getresponse()
    data = json.loads(answer.read() or b"{}")
    conn.close()
    return answer.status, data


def test_create_fills_server_fields_and_settles_after_polls() -> None:
    with FakeCloudRun(ready_after=2) as fake:
        status, created = call(fake, "POST", SERVICES, service())
        assert status == 200
        meta = created["metadata"]
        assert meta["generation"] == 1
        assert meta["resourceVersion"]
        assert meta["uid"]
        assert meta["creationTimestamp"].endswith("Z")
        assert created["status"]["observedGeneration"] == 0
        assert (
            created["status"]["latestCreatedRevisionName"]
            == "api-00001-" + (created["status"]["latestCreatedRevisionName"][-3:])
        )
        _, first = call(fake, "GET", f"{SERVICES}/api")
        assert first["status"]["conditions"][0]["status"] == "Unknown"
        _, second = call(fake, "GET", f"{SERVICES}/api")
        assert second["status"]["observedGeneration"] == 1
        assert second["status"]["conditions"][0] == {
            "type": "Ready",
            "status": "True",
            "lastTransitionTime": second["status"]["conditions"][0]["lastTransitionTime"],
        }
        assert (
            second["status"]["latestReadyRevisionName"]
            == second["status"]["latestCreatedRevisionName"]
        )


def test_replace_checks_resource_version_and_cuts_a_revision_on_template_change() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        _, created = call(fake, "POST", SERVICES, service())
        stale = service(image="img:2")
        stale["metadata"]["resourceVersion"] = "999"
        status, error = call(fake, "PUT", f"{SERVICES}/api", stale)
        assert status == 409
        assert error["error"]["status"] == "ABORTED"
        fresh = service(image="img:2")
        fresh["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
        status, replaced = call(fake, "PUT", f"{SERVICES}/api", fresh)
        assert status == 200
        assert replaced["metadata"]["generation"] == 2
        assert replaced["metadata"]["uid"] == created["metadata"]["uid"]
        assert len(fake.revisions("proj", "api")) == 2
        same = service(image="img:2")
        status, unchanged = call(fake, "PUT", f"{SERVICES}/api", same)
        assert unchanged["metadata"]["generation"] == 2
        assert len(fake.revisions("proj", "api")) == 2


def test_create_of_existing_is_409_and_bad_bodies_are_400() -> None:
    with FakeCloudRun() as fake:
        call(fake, "POST", SERVICES, service())
        assert call(fake, "POST", SERVICES, service())[0] == 409
        assert call(fake, "POST", SERVICES, job())[0] == 400
        wrong_ns = service("other")
        wrong_ns["metadata"]["namespace"] = "elsewhere"
        status, error = call(fake, "POST", SERVICES, wrong_ns)
        assert status == 400
        assert "metadata.namespace" in error["error"]["message"]
        assert call(fake, "GET", f"{SERVICES}/missing")[0] == 404
        assert call(fake, "PUT", f"{SERVICES}/missing", service("missing"))[0] == 404


def test_dry_run_answers_but_stores_nothing() -> None:
    with FakeCloudRun() as fake:
        status, answer = call(fake, "POST", SERVICES + "?dryRun=all", service())
        assert status == 200
        assert answer["metadata"]["generation"] == 1
        assert fake.get_object("services", "proj", "api") is None
        assert fake.writes() == []
        assert fake.requests[0].dry_run


def test_faults_answer_status_drop_connections_and_lose_responses() -> None:
    with FakeCloudRun() as fake:
        fake.fail(429, method="GET", retry_after=2)
        fake.fail(503, path="/services/api", times=2)
        assert call(fake, "GET", f"{SERVICES}/api")[0] == 429
        assert call(fake, "GET", f"{SERVICES}/api")[0] == 503
        assert call(fake, "GET", f"{SERVICES}/api")[0] == 503
        assert call(fake, "GET", f"{SERVICES}/api")[0] == 404
        fake.drop(method="GET")
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            call(fake, "GET", f"{SERVICES}/api")
        fake.lose_response(method="POST")
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            call(fake, "POST", SERVICES, service())
        # The create happened although its answer was lost.
        assert fake.get_object("services", "proj", "api") is not None
        assert [r.status for r in fake.requests] == [429, 503, 503, 404, 0, 200]


def test_scripted_failure_and_job_execution_with_failed_tasks() -> None:
    with FakeCloudRun(ready_after=1) as fake:
        fake.script("api", ready=False, message="container failed startup probe", reason="Probe")
        call(fake, "POST", SERVICES, service())
        _, polled = call(fake, "GET", f"{SERVICES}/api")
        ready = polled["status"]["conditions"][0]
        assert (ready["status"], ready["reason"], ready["message"]) == (
            "False",
            "Probe",
            "container failed startup probe",
        )
        assert "latestReadyRevisionName" not in polled["status"]

        fake.script("ingest", polls=0)
        fake.script("ingest", polls=1, ready=False, failed_tasks=2, message="exit code 1")
        call(fake, "POST", JOBS, job(tasks=3))
        status, execution = call(fake, "POST", f"{JOBS}/ingest:run", {})
        assert status == 200
        name = execution["metadata"]["name"]
        assert execution["metadata"]["labels"] == {"run.googleapis.com/job": "ingest"}
        _, done = call(
            fake, "GET", f"/apis/run.googleapis.com/v1/namespaces/proj/executions/{name}"
        )
        assert done["status"]["failedCount"] == 2
        assert done["status"]["succeededCount"] == 1
        assert done["status"]["conditions"][0]["message"] == "exit code 1"
        _, listed = call(
            fake,
            "GET",
            "/apis/run.googleapis.com/v1/namespaces/proj/executions"
            "?labelSelector=run.googleapis.com%2Fjob%3Dingest",
        )
        assert [e["metadata"]["name"] for e in listed["items"]] == [name]
        _, stored = call(fake, "GET", f"{JOBS}/ingest")
        assert stored["status"]["latestCreatedExecution"]["name"] == name


def test_standalone_emulator_prints_its_address() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "polyinfra.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        host = process.stdout.readline().strip()
        assert host.startswith("127.0.0.1:")
        conn = http.client.HTTPConnection(host, timeout=5)
        conn.request("GET", f"{SERVICES}/api")
        assert conn.getresponse().status == 404
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "Local Cloud Run emulator" in err
    assert f"CLOUD_RUN_EMULATOR_HOST={host}" in err


def test_touch_simulates_a_concurrent_change() -> None:
    with FakeCloudRun() as fake:
        _, created = call(fake, "POST", SERVICES, service())
        fake.touch("services", "proj", "api")
        mine = service(image="img:2")
        mine["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
        status, error = call(fake, "PUT", f"{SERVICES}/api", mine)
        assert status == 409
        assert "has been modified" in error["error"]["message"]
        stored = fake.get_object("services", "proj", "api")
        assert stored is not None
        assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "img:1"


def test_latency_delays_every_answer() -> None:
    with FakeCloudRun(latency=0.2) as fake:
        started = time.monotonic()
        call(fake, "GET", f"{SERVICES}/api")
        assert time.monotonic() - started >= 0.2


def test_ready_latency_holds_readiness_back() -> None:
    with FakeCloudRun(ready_after=0, ready_latency=0.3) as fake:
        call(fake, "POST", SERVICES, service())
        _, early = call(fake, "GET", f"{SERVICES}/api")
        assert early["status"]["conditions"][0]["status"] == "Unknown"
        time.sleep(0.35)
        _, late = call(fake, "GET", f"{SERVICES}/api")
        assert late["status"]["conditions"][0]["status"] == "True"
