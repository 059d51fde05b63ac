"""The fake Cloud Run Admin API, spoken to over raw HTTP (independently of polyinfra's client)."""

from __future__ import annotations

import copy
import gzip
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from polyinfra.emulator import FakeCloudRun
from polyinfra.emulator.server import main
from polyinfra.emulator.wire import CREDENTIALS_MISSING_MESSAGE

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


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes
    data: dict[str, Any]


def send(
    fake: FakeCloudRun,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One raw HTTP exchange; a gzip body is decompressed into ``data``, ``raw`` as received."""
    conn = http.client.HTTPConnection(fake.host, timeout=5)
    payload = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json"} if payload else {}
    sent.update(headers or {})
    conn.request(method, path, body=payload, headers=sent)
    answer = conn.getresponse()
    raw = answer.read()
    received = {k.lower(): v for k, v in answer.getheaders()}
    conn.close()
    text = gzip.decompress(raw) if received.get("content-encoding") == "gzip" else raw
    return Answer(answer.status, received, raw, json.loads(text or b"{}"))


def call(
    fake: FakeCloudRun, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    answer = send(fake, method, path, body)
    return answer.status, answer.data


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
        assert "has been modified" in error["error"]["message"]
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
        status, error = call(fake, "POST", SERVICES, service())
        assert (status, error["error"]["status"]) == (409, "ALREADY_EXISTS")
        assert error["error"]["message"] == "Resource 'api' already exists."
        assert call(fake, "POST", SERVICES, job())[0] == 400
        wrong_ns = service("other")
        wrong_ns["metadata"]["namespace"] = "elsewhere"
        status, error = call(fake, "POST", SERVICES, wrong_ns)
        assert status == 400
        assert "metadata.namespace" in error["error"]["message"]
        status, error = call(fake, "GET", f"{SERVICES}/missing")
        assert status == 404
        assert error == {
            "error": {
                "code": 404,
                "message": "Resource 'missing' of kind 'SERVICE' in region 'europe-west1' in "
                "project 'proj' does not exist.",
                "status": "NOT_FOUND",
            }
        }
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
        assert execution["metadata"]["labels"] == {
            "run.googleapis.com/job": "ingest",
            "cloud.googleapis.com/location": "europe-west1",
        }
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
        latest = stored["status"]["latestCreatedExecution"]
        assert latest["name"] == name
        assert latest["creationTimestamp"] == execution["metadata"]["creationTimestamp"]
        assert latest["completionTimestamp"] == done["status"]["completionTime"]
        assert latest["completionStatus"] == "EXECUTION_FAILED"
        assert stored["status"]["executionCount"] == 1


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


def test_answers_are_gzip_compressed_when_the_request_accepts_it() -> None:
    with FakeCloudRun() as fake:
        created = send(fake, "POST", SERVICES, service(), {"Accept-Encoding": "gzip, deflate"})
        missing = send(fake, "GET", f"{SERVICES}/missing", headers={"Accept-Encoding": "gzip"})
        records = fake.requests
    for answer in (created, missing):
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.raw[:2] == b"\x1f\x8b"
        assert answer.headers["content-type"] == "application/json; charset=UTF-8"
        assert answer.headers["vary"] == "Origin, X-Origin, Referer"
        assert answer.headers["content-length"] == str(len(answer.raw))
    assert created.status == 200
    assert created.data["metadata"]["name"] == "api"
    assert missing.status == 404
    assert missing.data["error"]["status"] == "NOT_FOUND"
    assert [r.response for r in records] == [created.data, missing.data]
    assert records[0].response_headers["Content-Encoding"] == "gzip"
    assert records[1].response_headers["Content-Type"] == "application/json; charset=UTF-8"


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, identity", "br"])
def test_answers_are_plain_when_gzip_is_not_accepted(accept: str | None) -> None:
    with FakeCloudRun() as fake:
        headers = {"Accept-Encoding": accept} if accept else {}
        answer = send(fake, "POST", SERVICES, service(), headers)
        (record,) = fake.requests
    assert "content-encoding" not in answer.headers
    assert answer.raw[:1] == b"{"
    assert json.loads(answer.raw) == answer.data == record.response
    assert "Content-Encoding" not in record.response_headers
    assert answer.headers["vary"] == "Origin, X-Origin, Referer"


def test_without_a_token_require_auth_answers_googles_401() -> None:
    with FakeCloudRun(require_auth=True) as fake:
        answer = send(fake, "GET", f"{SERVICES}/api", headers={"Accept-Encoding": "gzip"})
        basic = send(fake, "GET", f"{SERVICES}/api", headers={"Authorization": "Basic eDp5"})
        (first, second) = fake.requests
    assert answer.status == 401
    assert answer.raw[:2] == b"\x1f\x8b"
    assert answer.headers["www-authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    assert answer.data == {
        "error": {
            "code": 401,
            "message": "Request is missing required authentication credential. Expected OAuth 2 "
            "access token, login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "CREDENTIALS_MISSING",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "run.googleapis.com",
                        "method": "run.namespaces.services.get",
                    },
                }
            ],
        }
    }
    assert answer.data["error"]["message"] == CREDENTIALS_MISSING_MESSAGE
    assert basic.status == 401
    assert (first.status, first.response) == (401, answer.data)
    assert first.response_headers["WWW-Authenticate"] == answer.headers["www-authenticate"]
    assert second.headers["authorization"] == "Basic eDp5"


def test_a_rejected_token_gets_401_and_a_fresh_token_is_served() -> None:
    with FakeCloudRun(require_auth=True) as fake:
        fake.fail(503, method="GET")
        fake.reject_token("ya29.expired")
        old = send(fake, "GET", f"{SERVICES}/api", headers={"Authorization": "Bearer ya29.expired"})
        # The 401 is answered before anything else: the scripted fault is still pending.
        fresh = send(fake, "GET", f"{SERVICES}/api", headers={"Authorization": "Bearer ya29.fresh"})
        again = send(fake, "GET", f"{SERVICES}/api", headers={"Authorization": "Bearer ya29.fresh"})
        sent = [(r.headers.get("authorization"), r.status) for r in fake.requests]
    assert old.status == 401
    error = old.data["error"]
    assert error["message"].startswith(
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential."
    )
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    assert old.headers["www-authenticate"].startswith('Bearer realm="https://accounts.google.com/"')
    assert (fresh.status, again.status) == (503, 404)
    assert sent == [
        ("Bearer ya29.expired", 401),
        ("Bearer ya29.fresh", 503),
        ("Bearer ya29.fresh", 404),
    ]


def test_a_rejected_token_is_refused_even_without_require_auth() -> None:
    with FakeCloudRun() as fake:
        fake.reject_token("ya29.revoked")
        assert send(fake, "GET", f"{SERVICES}/api").status == 404
        revoked = {"Authorization": "Bearer ya29.revoked"}
        assert send(fake, "GET", f"{SERVICES}/api", headers=revoked).status == 401


def test_namespace_is_answered_as_the_project_number() -> None:
    with FakeCloudRun(project_numbers={"proj": "123456789012"}) as fake:
        _, created = call(fake, "POST", SERVICES, service())
        by_number = "/apis/serving.knative.dev/v1/namespaces/123456789012/services/api"
        status, fetched = call(fake, "GET", by_number)
        assert status == 200
        assert created["metadata"]["namespace"] == fetched["metadata"]["namespace"]
        assert fake.get_object("services", "123456789012", "api") is not None
        assert fake.get_object("services", "proj", "api") is not None
    assert created["metadata"]["namespace"] == "123456789012"
    assert created["metadata"]["selfLink"] == by_number
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]
    with FakeCloudRun() as fake, FakeCloudRun() as other:
        _, first = call(fake, "POST", SERVICES, service())
        _, second = call(other, "POST", SERVICES, service())
        number = fake.project_number("proj")
    assert re.fullmatch(r"[1-9]\d{11}", number)
    assert first["metadata"]["namespace"] == second["metadata"]["namespace"] == number


def test_server_fields_defaults_and_annotations() -> None:
    with FakeCloudRun(principal="ci@proj.iam.gserviceaccount.com") as fake:
        _, created = call(fake, "POST", SERVICES, service())
        number = fake.project_number("proj")
    meta = created["metadata"]
    assert meta["generation"] == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", meta["creationTimestamp"])
    assert meta["labels"]["cloud.googleapis.com/location"] == "europe-west1"
    annotations = meta["annotations"]
    assert annotations["serving.knative.dev/creator"] == "ci@proj.iam.gserviceaccount.com"
    assert annotations["serving.knative.dev/lastModifier"] == "ci@proj.iam.gserviceaccount.com"
    assert annotations["run.googleapis.com/operation-id"]
    assert annotations["run.googleapis.com/ingress-status"] == "all"
    pod = created["spec"]["template"]["spec"]
    assert pod["containerConcurrency"] == 80
    assert pod["timeoutSeconds"] == 300
    assert pod["serviceAccountName"] == f"{number}-compute@developer.gserviceaccount.com"
    assert pod["containers"] == [
        {
            "image": "img:1",
            "resources": {"limits": {"cpu": "1000m", "memory": "512Mi"}},
            "ports": [{"name": "http1", "containerPort": 8080}],
        }
    ]
    assert created["spec"]["traffic"] == [{"percent": 100, "latestRevision": True}]


def test_job_defaults_keep_the_discovery_types() -> None:
    with FakeCloudRun() as fake:
        body = job(tasks=2)
        del body["spec"]["template"]["spec"]["taskCount"]
        _, created = call(fake, "POST", JOBS, body)
        number = fake.project_number("proj")
    execution = created["spec"]["template"]["spec"]
    assert execution["taskCount"] == 1
    task = execution["template"]["spec"]
    assert task["maxRetries"] == 3
    assert task["timeoutSeconds"] == "600"  # int64: a string in the discovery document
    assert task["serviceAccountName"] == f"{number}-compute@developer.gserviceaccount.com"
    assert task["containers"][0]["resources"] == {"limits": {"cpu": "1000m", "memory": "512Mi"}}
    assert created["metadata"]["annotations"]["run.googleapis.com/creator"]


def test_integers_are_answered_in_the_json_form_of_their_discovery_type() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        body = job()
        body["spec"]["template"]["spec"]["template"]["spec"]["timeoutSeconds"] = 1200
        body["spec"]["template"]["spec"]["taskCount"] = "4"
        _, created = call(fake, "POST", JOBS, body)
        again = job()
        again["spec"]["template"]["spec"]["template"]["spec"]["timeoutSeconds"] = "1200"
        again["spec"]["template"]["spec"]["taskCount"] = 4
        _, replaced = call(fake, "PUT", f"{JOBS}/ingest", again)
    for answer in (created, replaced):
        execution = answer["spec"]["template"]["spec"]
        assert execution["taskCount"] == 4
        assert execution["template"]["spec"]["timeoutSeconds"] == "1200"
    assert replaced["metadata"]["generation"] == 1


def test_defaults_do_not_count_as_a_change() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        _, created = call(fake, "POST", SERVICES, service())
        _, same = call(fake, "PUT", f"{SERVICES}/api", service())
        assert same["metadata"]["generation"] == 1
        # What a GET answered, defaults, server fields and status included, sent back as it is.
        _, live = call(fake, "GET", f"{SERVICES}/api")
        status, round_trip = call(fake, "PUT", f"{SERVICES}/api", live)
        assert status == 200
        assert round_trip["metadata"]["generation"] == 1
        explicit = service()
        explicit["spec"]["template"]["spec"]["timeoutSeconds"] = 300
        explicit["spec"]["traffic"] = [{"percent": 100, "latestRevision": True}]
        assert call(fake, "PUT", f"{SERVICES}/api", explicit)[1]["metadata"]["generation"] == 1
        assert fake.revisions("proj", "api") == [created["status"]["latestCreatedRevisionName"]]
        longer = service()
        longer["spec"]["template"]["spec"]["timeoutSeconds"] = 600
        assert call(fake, "PUT", f"{SERVICES}/api", longer)[1]["metadata"]["generation"] == 2
        assert len(fake.revisions("proj", "api")) == 2


def test_resource_version_is_opaque_and_moves_on_every_write() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        versions = [call(fake, "POST", SERVICES, service())[1]["metadata"]["resourceVersion"]]
        for _ in range(3):
            versions.append(
                call(fake, "PUT", f"{SERVICES}/api", service())[1]["metadata"]["resourceVersion"]
            )
        fake.touch("services", "proj", "api")
        versions.append(call(fake, "GET", f"{SERVICES}/api")[1]["metadata"]["resourceVersion"])
    assert len(set(versions)) == len(versions)
    for version in versions:
        assert re.fullmatch(r"[A-Za-z0-9_-]{11}", version)
        assert not version.isdigit()


def test_racing_creates_one_wins_the_other_gets_already_exists() -> None:
    with FakeCloudRun() as fake:
        start = threading.Barrier(2)
        results: list[tuple[int, dict[str, Any]]] = []

        def create(image: str) -> None:
            start.wait()
            results.append(call(fake, "POST", SERVICES, service(image=image)))

        threads = [threading.Thread(target=create, args=(f"img:{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(status for status, _ in results) == [200, 409]
        (lost,) = [answer for status, answer in results if status == 409]
        assert lost["error"]["status"] == "ALREADY_EXISTS"
        assert len(fake.objects("services")) == 1
        assert len(fake.revisions("proj", "api")) == 1


def test_stale_resource_version_is_409_aborted_and_changes_nothing() -> None:
    with FakeCloudRun() as fake:
        _, created = call(fake, "POST", SERVICES, service())
        _, replaced = call(fake, "PUT", f"{SERVICES}/api", service(image="img:2"))
        stale = service(image="img:3")
        stale["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
        status, error = call(fake, "PUT", f"{SERVICES}/api", stale)
        _, live = call(fake, "GET", f"{SERVICES}/api")
    assert (status, error["error"]["code"], error["error"]["status"]) == (409, 409, "ABORTED")
    assert live["metadata"]["resourceVersion"] == replaced["metadata"]["resourceVersion"]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "img:2"


def test_revision_names_and_the_revisions_list() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        call(fake, "POST", SERVICES, service())
        call(fake, "PUT", f"{SERVICES}/api", service(image="img:2"))
        call(fake, "POST", SERVICES, service("other"))
        names = fake.revisions("proj", "api")
        revisions = f"{SERVICES.rsplit('/', 1)[0]}/revisions"
        status, listed = call(
            fake, "GET", f"{revisions}?labelSelector=serving.knative.dev%2Fservice%3Dapi"
        )
        _, everything = call(fake, "GET", revisions)
        _, one = call(fake, "GET", f"{revisions}/{names[1]}")
        missing = call(fake, "GET", f"{revisions}/api-00009-zzz")
        number = fake.project_number("proj")
    assert len(names) == 2
    for name in names:
        assert re.fullmatch(r"^api-\d{5}-[a-z0-9]{3}$", name)
    assert [name[:9] for name in names] == ["api-00001", "api-00002"]
    assert status == 200
    assert (listed["apiVersion"], listed["kind"]) == ("serving.knative.dev/v1", "RevisionList")
    assert "metadata" in listed
    assert [item["metadata"]["name"] for item in listed["items"]] == names
    assert len(everything["items"]) == 3
    assert one == listed["items"][1]
    assert one["kind"] == "Revision"
    assert one["metadata"]["namespace"] == number
    assert one["metadata"]["labels"] == {
        "run.googleapis.com/startupProbeType": "Default",
        "serving.knative.dev/service": "api",
        "serving.knative.dev/configuration": "api",
        "serving.knative.dev/configurationGeneration": "2",
        "cloud.googleapis.com/location": "europe-west1",
    }
    assert one["spec"]["containers"][0]["image"] == "img:2"
    assert one["spec"]["containerConcurrency"] == 80
    assert one["status"]["observedGeneration"] == 1
    assert one["status"]["conditions"][0]["type"] == "Ready"
    assert one["status"]["conditions"][0]["status"] == "True"
    assert one["status"]["imageDigest"].startswith("img@sha256:")
    assert missing[0] == 404
    assert "of kind 'REVISION'" in missing[1]["error"]["message"]


def test_template_annotations_and_labels_are_copied_to_the_revision() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        body = service()
        body["spec"]["template"]["metadata"] = {
            "labels": {"version": "v1"},
            "annotations": {"autoscaling.knative.dev/maxScale": "3"},
        }
        call(fake, "POST", SERVICES, body)
        (name,) = fake.revisions("proj", "api")
        _, revision = call(fake, "GET", f"{SERVICES.rsplit('/', 1)[0]}/revisions/{name}")
    assert revision["metadata"]["annotations"] == {"autoscaling.knative.dev/maxScale": "3"}
    assert revision["metadata"]["labels"]["version"] == "v1"


def test_a_failed_rollout_marks_its_revision_and_keeps_serving_the_previous_one() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        call(fake, "POST", SERVICES, service())
        fake.script("api", polls=0, ready=False, message="bad image", reason="ImagePull")
        call(fake, "PUT", f"{SERVICES}/api", service(image="img:broken"))
        _, live = call(fake, "GET", f"{SERVICES}/api")
        first, second = fake.revisions("proj", "api")
        revisions = f"{SERVICES.rsplit('/', 1)[0]}/revisions"
        _, broken = call(fake, "GET", f"{revisions}/{second}")
    status = live["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert (conditions["Ready"]["reason"], conditions["Ready"]["message"]) == (
        "ImagePull",
        "bad image",
    )
    assert conditions["ConfigurationsReady"]["status"] == "False"
    assert conditions["RoutesReady"]["status"] == "True"
    assert status["latestCreatedRevisionName"] == second
    assert status["latestReadyRevisionName"] == first
    assert status["traffic"] == [{"revisionName": first, "latestRevision": True, "percent": 100}]
    assert broken["status"]["conditions"][0]["status"] == "False"
    assert broken["status"]["conditions"][0]["message"] == "bad image"


def test_conditions_that_are_not_true_carry_reason_and_message() -> None:
    with FakeCloudRun(ready_after=5) as fake:
        _, created = call(fake, "POST", SERVICES, service())
    for condition in created["status"]["conditions"]:
        assert condition["status"] == "Unknown"
        assert condition["reason"]
        assert condition["message"]
        assert condition["lastTransitionTime"].endswith("Z")
    assert [c["type"] for c in created["status"]["conditions"]] == [
        "Ready",
        "ConfigurationsReady",
        "RoutesReady",
    ]


def test_status_url_and_address_url() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        _, created = call(fake, "POST", SERVICES, service())
        elsewhere = service("edge")
        elsewhere["metadata"]["labels"] = {"cloud.googleapis.com/location": "us-central1"}
        _, edge = call(fake, "POST", SERVICES, elsewhere)
        number = fake.project_number("proj")
    assert created["status"]["url"] == f"https://api-{number}.europe-west1.run.app"
    assert created["status"]["address"] == {"url": created["status"]["url"]}
    assert edge["status"]["url"] == f"https://edge-{number}.us-central1.run.app"
    with FakeCloudRun(ready_after=0, region="asia-east1", project_numbers={"proj": "42"}) as fake:
        _, created = call(fake, "POST", SERVICES, service())
    assert created["status"]["url"] == "https://api-42.asia-east1.run.app"
    assert created["metadata"]["labels"]["cloud.googleapis.com/location"] == "asia-east1"


def test_traffic_targets_are_resolved_in_status() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        call(fake, "POST", SERVICES, service())
        (first,) = fake.revisions("proj", "api")
        split = service(image="img:2")
        split["spec"]["traffic"] = [
            {"revisionName": first, "percent": 90},
            {"latestRevision": True, "percent": 10, "tag": "canary"},
        ]
        _, answer = call(fake, "PUT", f"{SERVICES}/api", split)
        second = fake.revisions("proj", "api")[-1]
        number = fake.project_number("proj")
    assert answer["status"]["traffic"] == [
        {"revisionName": first, "percent": 90},
        {
            "revisionName": second,
            "latestRevision": True,
            "percent": 10,
            "tag": "canary",
            "url": f"https://canary---api-{number}.europe-west1.run.app",
        },
    ]


def test_scripted_faults_carry_googles_body_and_details() -> None:
    with FakeCloudRun() as fake:
        denied = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "run.googleapis.com",
            "metadata": {"permission": "run.services.update"},
        }
        fake.fail(
            403, method="PUT", message="Permission 'run.services.update' denied.", details=[denied]
        )
        violations = {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "spec.template", "description": "bad"}],
        }
        fake.fail(400, method="POST", message="The request has errors", details=[violations])
        fake.fail(429, retry_after=2.5)
        fake.fail(409, status_name="ALREADY_EXISTS")
        forbidden = send(fake, "PUT", f"{SERVICES}/api", service())
        rejected = send(fake, "POST", SERVICES, service())
        throttled = send(fake, "GET", f"{SERVICES}/api")
        exists = send(fake, "GET", f"{SERVICES}/api")
    assert forbidden.status == 403
    assert forbidden.data == {
        "error": {
            "code": 403,
            "message": "Permission 'run.services.update' denied.",
            "status": "PERMISSION_DENIED",
            "details": [denied],
        }
    }
    assert rejected.data["error"]["details"] == [violations]
    assert rejected.data["error"]["status"] == "INVALID_ARGUMENT"
    assert throttled.data["error"] == {
        "code": 429,
        "message": "Too Many Requests",
        "status": "RESOURCE_EXHAUSTED",
    }
    assert throttled.headers["retry-after"] == "2.5"
    assert exists.data["error"]["status"] == "ALREADY_EXISTS"


def test_validation_errors_name_the_fields() -> None:
    with FakeCloudRun() as fake:
        bad = service("")
        bad["spec"] = {"template": {"spec": {"containers": [{"name": "app"}]}}}
        status, error = call(fake, "POST", SERVICES, bad)
        jobless = job()
        jobless["spec"]["template"]["spec"]["template"]["spec"]["containers"] = []
        job_status, job_error = call(fake, "POST", JOBS, jobless)
        garbled = send(fake, "POST", SERVICES, None, {"Content-Length": "0"})
    assert status == 400
    assert error["error"]["status"] == "INVALID_ARGUMENT"
    assert error["error"]["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [
                {"field": "metadata.name", "description": "Field is required."},
                {
                    "field": "spec.template.spec.containers[0].image",
                    "description": "Field is required.",
                },
            ],
        }
    ]
    assert error["error"]["message"].startswith("metadata.name: Field is required.")
    assert job_status == 400
    violation = job_error["error"]["details"][0]["fieldViolations"][0]
    assert violation["field"] == "spec.template.spec.template.spec.containers"
    assert garbled.status == 400
    assert garbled.data["error"]["details"][0]["fieldViolations"][0]["field"] == "service"


def test_invalid_json_is_400_with_googles_wording() -> None:
    with FakeCloudRun() as fake:
        conn = http.client.HTTPConnection(fake.host, timeout=5)
        conn.request(
            "POST", SERVICES, body=b"{not json", headers={"Content-Type": "application/json"}
        )
        answer = conn.getresponse()
        data = json.loads(answer.read())
        conn.close()
    assert answer.status == 400
    assert data["error"]["message"].startswith("Invalid JSON payload received.")
    assert data["error"]["status"] == "INVALID_ARGUMENT"


def test_running_a_job_that_is_not_ready_is_a_failed_precondition() -> None:
    with FakeCloudRun(ready_after=3) as fake:
        call(fake, "POST", JOBS, job())
        status, error = call(fake, "POST", f"{JOBS}/ingest:run", {})
    assert (status, error["error"]["status"]) == (400, "FAILED_PRECONDITION")


def test_delete_answers_a_status_and_removes_revisions_and_executions() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        _, created = call(fake, "POST", SERVICES, service())
        _, dry = call(fake, "DELETE", f"{SERVICES}/api?dryRun=all")
        assert fake.revisions("proj", "api")
        _, deleted = call(fake, "DELETE", f"{SERVICES}/api")
        assert fake.revisions("proj", "api") == []
        call(fake, "POST", JOBS, job())
        call(fake, "POST", f"{JOBS}/ingest:run", {})
        assert len(fake.objects("executions")) == 1
        call(fake, "DELETE", f"{JOBS}/ingest")
        assert fake.objects("executions") == []
    assert dry == deleted
    assert deleted == {
        "status": "Success",
        "details": {
            "name": "api",
            "group": "serving.knative.dev",
            "kind": "services",
            "uid": created["metadata"]["uid"],
        },
    }


def test_unknown_paths_and_methods_are_404_in_googles_body() -> None:
    with FakeCloudRun() as fake:
        assert call(fake, "PATCH", f"{SERVICES}/api", service())[1]["error"]["status"] == (
            "NOT_FOUND"
        )
        status, error = call(fake, "GET", "/apis/serving.knative.dev/v1/namespaces/proj/nothing")
    assert status == 404
    assert error["error"]["code"] == 404


def test_pretty_print_is_the_default_and_can_be_turned_off() -> None:
    with FakeCloudRun() as fake:
        pretty = send(fake, "GET", f"{SERVICES}/api")
        compact = send(fake, "GET", f"{SERVICES}/api?prettyPrint=false")
    assert b"\n" in pretty.raw
    assert b"\n" not in compact.raw
    assert pretty.data == compact.data


def test_served_object_is_what_a_get_answers_and_get_object_what_was_sent() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        call(fake, "POST", SERVICES, service())
        _, live = call(fake, "GET", f"{SERVICES}/api")
        served = fake.served_object("services", "proj", "api")
        stored = fake.get_object("services", "proj", "api")
    assert served == live
    assert stored is not None
    assert stored["metadata"]["namespace"] == "proj"
    assert stored["spec"] == service()["spec"]
    assert stored["metadata"]["generation"] == 1


def test_main_serves_with_the_options_given(capsys: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, Any] = {}

    def wait() -> None:
        host = capsys.readouterr().out.strip()
        conn = http.client.HTTPConnection(host, timeout=5)
        conn.request("POST", SERVICES, body=json.dumps(service()).encode())
        seen["anonymous"] = conn.getresponse().status
        conn.close()
        conn = http.client.HTTPConnection(host, timeout=5)
        conn.request(
            "POST",
            SERVICES,
            body=json.dumps(service()).encode(),
            headers={"Authorization": "Bearer t"},
        )
        response = conn.getresponse()
        seen["created"] = json.loads(response.read())
        conn.close()

    argv = ["--require-auth", "--project-number", "proj=555555555555", "--region", "us-east1"]
    assert main([*argv, "--ready-after", "0"], wait=wait) == 0
    assert seen["anonymous"] == 401
    created = seen["created"]
    assert created["metadata"]["namespace"] == "555555555555"
    assert created["status"]["url"] == "https://api-555555555555.us-east1.run.app"


def test_a_revision_named_in_the_template_is_used_once() -> None:
    with FakeCloudRun(ready_after=0) as fake:
        named = service()
        named["spec"]["template"]["metadata"] = {"name": "api-v1"}
        _, created = call(fake, "POST", SERVICES, named)
        assert call(fake, "PUT", f"{SERVICES}/api", named)[0] == 200
        changed = copy.deepcopy(named)
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2"
        status, error = call(fake, "PUT", f"{SERVICES}/api", changed)
        wrong = service("web")
        wrong["spec"]["template"]["metadata"] = {"name": "api-v1"}
        bad_status, bad = call(fake, "POST", SERVICES, wrong)
        assert fake.revisions("proj", "api") == ["api-v1"]
    assert created["status"]["latestCreatedRevisionName"] == "api-v1"
    assert (status, error["error"]["status"]) == (409, "ALREADY_EXISTS")
    assert bad_status == 400
    assert bad["error"]["details"][0]["fieldViolations"][0]["field"] == (
        "spec.template.metadata.name"
    )
