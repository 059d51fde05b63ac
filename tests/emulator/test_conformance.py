"""The conformance checker (tests/conformance.py) catches what it should, and every exchange with
the emulator, driven over raw HTTP, conforms to the Cloud Run Admin API v1 discovery document."""

from __future__ import annotations

import copy
import gzip
import http.client
import json
from typing import Any

from polyinfra.emulator import FakeCloudRun, RecordedRequest
from polyinfra.emulator.wire import _METHODS
from tests.conformance import (
    check_error_body,
    check_exchange,
    check_exchanges,
    check_value,
    find_method,
)

NS = "/apis/serving.knative.dev/v1/namespaces/proj"
SERVICES = f"{NS}/services"
JOBS = "/apis/run.googleapis.com/v1/namespaces/proj/jobs"
EXECUTIONS = "/apis/run.googleapis.com/v1/namespaces/proj/executions"
JSON = {"Content-Type": "application/json; charset=UTF-8", "Content-Length": "2"}


def service(name: str = "api", image: str = "img:1") -> dict[str, Any]:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "proj", "labels": {"team": "data"}},
        "spec": {
            "template": {
                "metadata": {"annotations": {"autoscaling.knative.dev/maxScale": "2"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            }
        },
    }


def job(name: str = "ingest") -> dict[str, Any]:
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "proj"},
        "spec": {
            "template": {
                "spec": {
                    "taskCount": 2,
                    "template": {"spec": {"containers": [{"image": "i"}], "maxRetries": 0}},
                }
            }
        },
    }


def recorded(
    method: str,
    path: str,
    *,
    status: int = 200,
    body: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> RecordedRequest:
    return RecordedRequest(
        method, path, query or {}, body, {}, status, response, headers or dict(JSON)
    )


# ---- the checker -------------------------------------------------------------------------


def test_methods_are_found_by_http_method_and_flat_path() -> None:
    get = find_method("GET", f"{SERVICES}/api")
    assert get is not None
    assert get.id == "run.namespaces.services.get"
    run = find_method("POST", f"{JOBS}/ingest:run")
    assert run is not None
    assert (run.id, run.request, run.response) == (
        "run.namespaces.jobs.run",
        "RunJobRequest",
        "Execution",
    )
    assert find_method("PATCH", f"{SERVICES}/api") is None
    assert find_method("GET", "/apis/serving.knative.dev/v1/namespaces/proj/nothing") is None
    problems = check_exchange(recorded("GET", "/nothing", response={}))
    assert problems == ["no method of the discovery document answers GET /nothing"]


def test_every_method_the_emulator_serves_is_in_the_discovery_document() -> None:
    for (collection, http_method, named, verb), method_id in _METHODS.items():
        group = (
            "serving.knative.dev"
            if collection in ("services", "revisions")
            else ("run.googleapis.com")
        )
        path = f"/apis/{group}/v1/namespaces/p/{collection}" + (f"/n{verb}" if named else "")
        found = find_method(http_method, path)
        assert found is not None, path
        assert found.id == method_id


def test_a_conformant_exchange_has_no_problems() -> None:
    answer = copy.deepcopy(service())
    answer["metadata"].update({"generation": 1, "resourceVersion": "AAY", "uid": "u"})
    answer["metadata"]["creationTimestamp"] = "2024-06-01T10:00:00.123456Z"
    answer["status"] = {
        "observedGeneration": 1,
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    exchange = recorded("POST", SERVICES, body=service(), response=answer, query={"dryRun": "all"})
    assert check_exchange(exchange) == []


def test_an_unknown_field_is_a_problem() -> None:
    body = service()
    body["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    body["spec"]["replicas"] = 2
    problems = check_exchange(recorded("POST", SERVICES, body=body, response=service()))
    assert problems == [
        "request.spec.template.spec.containers[0].imagePullPolicyy: unknown field (Container has "
        "no 'imagePullPolicyy')",
        "request.spec.replicas: unknown field (ServiceSpec has no 'replicas')",
    ]


def test_a_wrong_type_is_a_problem() -> None:
    answer = service()
    answer["metadata"]["generation"] = "1"
    answer["metadata"]["labels"]["team"] = 7
    answer["spec"]["template"]["spec"]["containerConcurrency"] = True
    problems = check_exchange(recorded("GET", f"{SERVICES}/api", response=answer))
    assert problems == [
        "response.metadata.labels['team']: expected a string, got a number 7",
        "response.metadata.generation: expected an integer (int32), got '1'",
        "response.spec.template.spec.containerConcurrency: expected an integer (int32), got True",
    ]


def test_int64_is_a_string_and_int32_a_number() -> None:
    task = {"$ref": "TaskSpec"}
    assert check_value({"timeoutSeconds": "600", "maxRetries": 3}, task, "t") == []
    assert check_value({"timeoutSeconds": 600}, task, "t") == [
        "t.timeoutSeconds: int64 is a JSON string in discovery, got the number 600"
    ]
    assert check_value({"maxRetries": "3"}, task, "t") == [
        "t.maxRetries: expected an integer (int32), got '3'"
    ]
    assert check_value({"creationTimestamp": "yesterday"}, {"$ref": "ObjectMeta"}, "m") == [
        "m.creationTimestamp: 'yesterday' is not an RFC 3339 timestamp"
    ]
    reference = {"name": "x", "completionStatus": "DONE"}
    assert check_value(reference, {"$ref": "ExecutionReference"}, "r") == [
        "r.completionStatus: 'DONE' is not one of ['COMPLETION_STATUS_UNSPECIFIED', "
        "'EXECUTION_SUCCEEDED', 'EXECUTION_FAILED', 'EXECUTION_RUNNING', 'EXECUTION_PENDING', "
        "'EXECUTION_CANCELLED']"
    ]


def test_request_integers_may_take_either_json_form_answers_may_not() -> None:
    body = job()
    task = body["spec"]["template"]["spec"]["template"]["spec"]
    task["timeoutSeconds"] = 600
    body["spec"]["template"]["spec"]["taskCount"] = "2"
    assert check_exchange(recorded("POST", JOBS, body=body, response=job())) == []
    task["maxRetries"] = "three"
    assert check_exchange(recorded("POST", JOBS, body=body, response=body)) == [
        "request.spec.template.spec.template.spec.maxRetries: expected an integer (int32), got "
        "'three'",
        "response.spec.template.spec.taskCount: expected an integer (int32), got '2'",
        "response.spec.template.spec.template.spec.maxRetries: expected an integer (int32), got "
        "'three'",
        "response.spec.template.spec.template.spec.timeoutSeconds: int64 is a JSON string in "
        "discovery, got the number 600",
    ]


def test_an_undeclared_query_parameter_is_a_problem() -> None:
    get = recorded("GET", f"{SERVICES}/api", response=service(), query={"dryRun": "all"})
    assert check_exchange(get) == [
        "query parameter 'dryRun' is not declared for run.namespaces.services.get"
    ]
    listing = recorded(
        "GET",
        f"{NS}/revisions",
        response={"items": []},
        query={"labelSelectr": "a=b", "prettyPrint": "yes", "alt": "json"},
    )
    assert check_exchange(listing) == [
        "query parameter 'labelSelectr' is not declared for run.namespaces.revisions.list",
        "query parameter 'prettyPrint': 'yes' is not a boolean",
    ]


def test_bodies_where_none_belong_and_none_where_one_does() -> None:
    assert check_exchange(recorded("GET", f"{SERVICES}/api", body={}, response=service())) == [
        "request: run.namespaces.services.get takes no body, one was sent"
    ]
    assert check_exchange(recorded("POST", SERVICES, response=service())) == [
        "request: run.namespaces.services.create takes a Service body, none was sent"
    ]


def test_a_bad_error_body_is_a_problem() -> None:
    assert (
        check_error_body(404, {"error": {"code": 404, "message": "m", "status": "NOT_FOUND"}}) == []
    )
    assert check_error_body(404, {"message": "not found"}) == [
        "error answer: expected {\"error\": {...}}, got {'message': 'not found'}"
    ]
    assert check_error_body(
        404, {"error": {"code": "404", "message": "", "status": "GONE", "reason": "x"}}
    ) == [
        "error.reason: unknown field",
        "error.code: expected an integer, got '404'",
        "error.message: expected a non-empty string, got ''",
        "error.status: 'GONE' is not a canonical status name",
    ]
    assert check_error_body(
        409, {"error": {"code": 404, "message": "m", "status": "NOT_FOUND"}}
    ) == [
        "error.code: 404 differs from the HTTP status 409",
        "error.status: NOT_FOUND is answered with HTTP 404, not 409",
    ]
    details = [
        {"reason": "X"},
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "X", "metadata": {"a": 1}},
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "f"}]},
    ]
    body = {
        "error": {"code": 400, "message": "m", "status": "INVALID_ARGUMENT", "details": details}
    }
    assert check_error_body(400, body) == [
        "error.details[0].@type: expected 'type.googleapis.com/...', got None",
        "error.details[1].domain: expected a non-empty string",
        "error.details[1].metadata: expected a map of strings, got {'a': 1}",
        "error.details[2].fieldViolations[0].description: expected a non-empty string",
    ]


def test_headers_are_checked() -> None:
    error = {"error": {"code": 401, "message": "m", "status": "UNAUTHENTICATED"}}
    exchange = RecordedRequest(
        "GET",
        f"{SERVICES}/api",
        {},
        None,
        {"accept-encoding": "gzip"},
        401,
        error,
        {"Content-Type": "text/html"},
    )
    assert check_exchange(exchange) == [
        "Content-Type: expected application/json, got 'text/html'",
        "Content-Encoding: the request accepted gzip, the answer is not gzip",
        "WWW-Authenticate: a 401 answer carries a Bearer challenge",
    ]


# ---- the emulator, end to end --------------------------------------------------------------


class Client:
    """Raw HTTP to the emulator, with or without a token and gzip."""

    def __init__(self, fake: FakeCloudRun) -> None:
        self.fake = fake

    def __call__(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = "ya29.good",
        gzip_ok: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection(self.fake.host, timeout=5)
        headers = {"Accept-Encoding": "gzip, deflate" if gzip_ok else "identity"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        conn.close()
        if answer.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return answer.status, json.loads(raw)


def test_every_exchange_with_the_emulator_conforms() -> None:
    with FakeCloudRun(require_auth=True, ready_after=1) as fake:
        call = Client(fake)
        statuses = []

        def expect(status: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
            got, data = call(*args, **kwargs)
            assert got == status, (args, data)
            statuses.append(got)
            return data

        expect(200, "POST", SERVICES, service())
        expect(200, "POST", f"{SERVICES}?dryRun=all", service("other"), gzip_ok=False)
        expect(200, "GET", f"{SERVICES}/api")
        live = expect(200, "GET", f"{SERVICES}/api?prettyPrint=false")
        changed = copy.deepcopy(live)
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2"
        expect(200, "PUT", f"{SERVICES}/api?dryRun=all", changed)
        replaced = expect(200, "PUT", f"{SERVICES}/api", changed)
        expect(200, "GET", f"{SERVICES}/api")
        revisions = expect(
            200, "GET", f"{NS}/revisions?labelSelector=serving.knative.dev%2Fservice%3Dapi"
        )
        assert len(revisions["items"]) == 2
        expect(200, "GET", f"{NS}/revisions/{revisions['items'][0]['metadata']['name']}")

        expect(200, "POST", JOBS, job())
        expect(200, "GET", f"{JOBS}/ingest")
        execution = expect(200, "POST", f"{JOBS}/ingest:run", {})
        name = execution["metadata"]["name"]
        expect(200, "GET", f"{EXECUTIONS}/{name}")
        expect(200, "GET", f"{EXECUTIONS}?labelSelector=run.googleapis.com%2Fjob%3Dingest")
        expect(200, "GET", f"{JOBS}/ingest")
        fake.script("slow", polls=5)
        expect(200, "POST", JOBS, job("slow"))

        # Errors, each in Google's body.
        expect(404, "GET", f"{SERVICES}/missing")
        expect(404, "GET", f"{NS}/revisions/api-00009-abc", gzip_ok=False)
        expect(409, "POST", SERVICES, service())
        stale = copy.deepcopy(changed)
        stale["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        assert replaced["metadata"]["resourceVersion"] != live["metadata"]["resourceVersion"]
        expect(409, "PUT", f"{SERVICES}/api", stale)
        bad = service("bad")
        bad["apiVersion"] = "serving.knative.dev/v2"
        bad["spec"] = {}
        expect(400, "POST", SERVICES, bad)
        expect(400, "POST", f"{JOBS}/slow:run", {})
        expect(401, "GET", f"{SERVICES}/api", token=None)
        fake.reject_token("ya29.expired")
        expect(401, "GET", f"{SERVICES}/api", token="ya29.expired", gzip_ok=False)
        fake.fail(
            403,
            method="PUT",
            message="Permission 'run.services.update' denied on resource.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "IAM_PERMISSION_DENIED",
                    "domain": "run.googleapis.com",
                    "metadata": {"permission": "run.services.update"},
                }
            ],
        )
        expect(403, "PUT", f"{SERVICES}/api", changed)
        fake.fail(429, method="GET", retry_after=3)
        expect(429, "GET", f"{SERVICES}/api")
        fake.fail(500, method="GET")
        expect(500, "GET", f"{SERVICES}/api")
        fake.fail(503, method="GET")
        expect(503, "GET", f"{SERVICES}/api")
        fake.fail(504, method="GET")
        expect(504, "GET", f"{SERVICES}/api")

        expect(200, "DELETE", f"{SERVICES}/api?dryRun=all")
        expect(200, "DELETE", f"{JOBS}/ingest")

        records = fake.requests
    assert len(records) == len(statuses)
    assert [r.status for r in records] == statuses
    assert {r.status for r in records} >= {200, 400, 401, 403, 404, 409, 429, 500, 503, 504}
    assert check_exchanges(records) == []
