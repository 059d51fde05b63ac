"""Replace semantics, retries, error meanings and readiness against the fake Admin API."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from polyinfra.deploy.apply import (
    VERSION_ANNOTATION,
    VERSION_LABEL,
    DeployFailed,
    WaitTimeout,
    apply_object,
    execute_job,
    stamp_version,
    wait_ready,
)
from polyinfra.deploy.client import CloudRunClient, ObjectRef, Pacer, RetryPolicy
from polyinfra.deploy.endpoint import emulator_endpoint
from polyinfra.deploy.errors import CloudRunError, ConflictError, TransientError
from polyinfra.emulator import FakeCloudRun
from tests.deploy.conftest import token_credentials

API = ObjectRef("Service", "proj", "api")
INGEST = ObjectRef("Job", "proj", "ingest")
RETRYABLE = [429, 500, 502, 503, 504]


def test_create_then_replace_with_resource_version(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first = apply_object(client, API, make_service(image="img:1"))
    assert first.action == "created"
    assert first.generation == 1
    version = fake.get_object("services", "proj", "api")["metadata"]["resourceVersion"]  # type: ignore[index]
    second = apply_object(client, API, make_service(image="img:2"))
    assert second.action == "replaced"
    assert second.generation == 2
    writes = fake.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("POST", "/apis/serving.knative.dev/v1/namespaces/proj/services"),
        ("PUT", "/apis/serving.knative.dev/v1/namespaces/proj/services/api"),
    ]
    assert writes[1].body is not None
    assert writes[1].body["metadata"]["resourceVersion"] == version


def test_conflict_409_is_reported_not_overwritten(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    apply_object(client, API, make_service())
    fake.fail(409, method="PUT", message="the object has been modified")
    with pytest.raises(ConflictError) as caught:
        apply_object(client, API, make_service(image="img:2"))
    assert str(caught.value) == (
        "service api (project proj) was changed by someone else meanwhile (HTTP 409); nothing "
        "was overwritten. Run the deploy again to apply on top of the current version"
    )
    assert [w.method for w in fake.writes()] == ["POST", "PUT"]
    stored = fake.get_object("services", "proj", "api")
    assert stored is not None
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "img:1"


@pytest.mark.parametrize("status", RETRYABLE)
def test_get_is_retried_with_growing_backoff(
    fake: FakeCloudRun, client: CloudRunClient, status: int, sleeps: Any
) -> None:
    fake.fail(status, method="GET", times=3)
    assert client.get(API) is None
    assert [r.status for r in fake.requests] == [status, status, status, 404]
    # rand() is 1.0 in the fixture, so each delay is the full exponential step.
    assert sleeps.delays == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", RETRYABLE)
def test_create_is_retried_after_a_fresh_get(
    fake: FakeCloudRun, client: CloudRunClient, status: int, make_service: Any
) -> None:
    fake.fail(status, method="POST")
    applied = apply_object(client, API, make_service())
    assert applied.action == "created"
    assert [(r.method, r.status) for r in fake.requests] == [
        ("GET", 404),
        ("POST", status),
        ("GET", 404),
        ("POST", 200),
    ]


@pytest.mark.parametrize("status", RETRYABLE)
def test_replace_is_retried_when_it_did_not_land(
    fake: FakeCloudRun, client: CloudRunClient, status: int, make_service: Any
) -> None:
    apply_object(client, API, make_service())
    fake.fail(status, method="PUT")
    applied = apply_object(client, API, make_service(image="img:2"))
    assert applied.action == "replaced"
    assert [r.status for r in fake.requests if r.method == "PUT"] == [status, 200]


def test_dropped_connections_are_retried(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.drop(method="GET", times=2)
    applied = apply_object(client, API, make_service())
    assert applied.action == "created"
    assert [r.status for r in fake.requests] == [0, 0, 404, 200]


def test_lost_create_response_is_followed_by_get_not_a_second_create(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.lose_response(method="POST")
    applied = apply_object(client, API, stamp_version(make_service(), "v1"))
    assert applied.action == "created"
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]
    assert len(fake.objects("services")) == 1


def test_lost_replace_response_is_not_sent_twice(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    apply_object(client, API, make_service())
    fake.lose_response(method="PUT")
    applied = apply_object(client, API, make_service(image="img:2"))
    assert applied.action == "replaced"
    assert [r.method for r in fake.requests[2:]] == ["GET", "PUT", "GET"]


def test_retries_are_bounded(fake: FakeCloudRun, client: CloudRunClient) -> None:
    fake.fail(503, method="GET", times=10)
    with pytest.raises(TransientError, match=r"HTTP 503.*gave up after 6 attempts"):
        client.get(API)
    assert len(fake.requests) == 6


def test_backoff_has_jitter_and_a_cap() -> None:
    low = RetryPolicy(base=1.0, cap=8.0, rand=lambda: 0.0)
    high = RetryPolicy(base=1.0, cap=8.0, rand=lambda: 1.0)
    assert [low.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [high.delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert high.delay(1, retry_after=5.0) == 5.0


def test_403_says_which_permissions_are_missing(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.fail(403, method="POST", message="Permission 'run.services.create' denied")
    with pytest.raises(CloudRunError) as caught:
        apply_object(client, API, make_service())
    message = str(caught.value)
    assert message.startswith(
        "create service api (project proj): permission denied (HTTP 403 PERMISSION_DENIED): "
        "Permission 'run.services.create' denied."
    )
    assert "roles/iam.serviceAccountUser" in message
    assert "run.services.update" in message


def test_400_and_404_carry_their_meaning(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    bad = make_service()
    del bad["spec"]["template"]
    with pytest.raises(
        CloudRunError, match=r"rejected the manifest \(HTTP 400 INVALID_ARGUMENT\): spec.template"
    ):
        apply_object(client, API, bad)
    fake.fail(404, method="POST")
    with pytest.raises(CloudRunError, match=r"deployment endpoint not found.*Check the region"):
        apply_object(client, API, make_service())


def test_wait_ignores_stale_status_and_reports_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.ready_after = 3
    first = apply_object(client, API, make_service())
    assert wait_ready(client, API, first.generation, timeout=60).ready
    # The second change keeps the previous generation's Ready=True until it settles.
    second = apply_object(client, API, make_service(image="img:2"))
    gets_before = len(fake.requests)
    state = wait_ready(client, API, second.generation, timeout=60)
    assert len(fake.requests) - gets_before == 3
    assert state.revision == fake.revisions("proj", "api")[-1]
    assert state.revision.startswith("api-00002-")


def test_ready_false_raises_with_message_and_reason(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.script("api", ready=False, message="container failed to start", reason="HealthCheck")
    applied = apply_object(client, API, make_service())
    with pytest.raises(DeployFailed) as caught:
        wait_ready(client, API, applied.generation, timeout=60)
    assert str(caught.value) == "Ready=False: container failed to start (reason: HealthCheck)"


def test_wait_times_out(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any, sleeps: Any
) -> None:
    fake.ready_after = 10_000
    applied = apply_object(client, API, make_service())
    with pytest.raises(WaitTimeout, match=r"not ready after 30s \(last state: waiting for"):
        wait_ready(client, API, applied.generation, timeout=30)
    assert sleeps.now == pytest.approx(30)
    assert max(sleeps.delays) <= 1.0


def test_execute_job_reports_failed_tasks(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    fake.script("ingest", polls=0)
    fake.script("ingest", polls=2, ready=False, failed_tasks=1, message="Task 1 exit code 3")
    applied = apply_object(client, INGEST, make_job(tasks=4))
    wait_ready(client, INGEST, applied.generation, timeout=60)
    with pytest.raises(DeployFailed) as caught:
        execute_job(client, INGEST, timeout=60)
    assert str(caught.value).endswith("failed: 1 of 4 task(s) failed: Task 1 exit code 3")


def test_execute_job_success(fake: FakeCloudRun, client: CloudRunClient, make_job: Any) -> None:
    fake.script("ingest", polls=0)
    apply_object(client, INGEST, make_job(tasks=2))
    result = execute_job(client, INGEST, timeout=60)
    assert (result.succeeded, result.failed) == (2, 0)
    assert result.name.startswith("ingest-")


def test_stamp_version_annotation_always_label_when_safe(make_service: Any) -> None:
    plain = stamp_version(make_service(), "2024-06-01_abc")
    meta = plain["spec"]["template"]["metadata"]
    assert meta["annotations"][VERSION_ANNOTATION] == "2024-06-01_abc"
    assert meta["annotations"]["autoscaling.knative.dev/maxScale"] == "2"
    assert meta["labels"][VERSION_LABEL] == "2024-06-01_abc"
    dotted = stamp_version(make_service(), "v1.2.3")
    assert dotted["spec"]["template"]["metadata"]["annotations"][VERSION_ANNOTATION] == "v1.2.3"
    assert "labels" not in dotted["spec"]["template"]["metadata"]


def test_emulator_endpoint_from_flag_or_environment() -> None:
    assert emulator_endpoint(None, {}) is None
    assert emulator_endpoint(None, {"CLOUD_RUN_EMULATOR_HOST": "127.0.0.1:9"}) == (
        "http://127.0.0.1:9"
    )
    assert emulator_endpoint("http://127.0.0.1:8/", {}) == "http://127.0.0.1:8"


TOKEN = "ya29.very-secret-token"


def test_credentials_are_sent_but_never_logged(
    fake: FakeCloudRun, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    made = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=token_credentials(TOKEN),
        pacer=Pacer(wait=lambda _: None),
    )
    caplog.set_level(logging.DEBUG, logger="polyinfra.deploy.http")
    fake.fail(403, method="POST")
    with pytest.raises(CloudRunError) as caught:
        apply_object(made, API, make_service())
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "<redacted>" in caplog.text
    assert "→ GET" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in str(caught.value)


def test_lost_run_answer_does_not_start_a_second_execution(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    fake.script("ingest", polls=0)
    apply_object(client, INGEST, make_job(tasks=1))
    fake.lose_response(method="POST", path=":run")
    result = execute_job(client, INGEST, timeout=60)
    runs = [r for r in fake.requests if r.path.endswith(":run")]
    assert len(runs) == 1
    assert len(fake.objects("executions")) == 1
    assert result.name == fake.objects("executions")[0]["metadata"]["name"]


def test_run_rejected_with_503_is_sent_again(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    fake.script("ingest", polls=0)
    apply_object(client, INGEST, make_job(tasks=1))
    fake.fail(503, method="POST", path=":run")
    execute_job(client, INGEST, timeout=60)
    assert [r.status for r in fake.requests if r.path.endswith(":run")] == [503, 200]
    assert len(fake.objects("executions")) == 1


def test_connect_uses_the_regional_endpoint_with_default_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    seen: list[Any] = []

    def default(scopes: Any = None, **_: Any) -> tuple[Any, str]:
        seen.append(scopes)
        return AnonymousCredentials(), "proj"

    monkeypatch.setattr(google.auth, "default", default)
    made = CloudRunClient.connect("europe-west1")
    assert made.endpoint == "https://europe-west1-run.googleapis.com"
    assert made.authenticated
    assert seen == [["https://www.googleapis.com/auth/cloud-platform"]]
    monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", "127.0.0.1:9")
    emulated = CloudRunClient.connect("europe-west1")
    assert emulated.endpoint == "http://127.0.0.1:9"
    assert not emulated.authenticated


def test_connect_without_credentials_says_how_to_log_in(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth
    import google.auth.exceptions

    from polyinfra.errors import UserError

    def default(**_: Any) -> Any:
        raise google.auth.exceptions.DefaultCredentialsError("none")

    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(google.auth, "default", default)
    with pytest.raises(UserError) as caught:
        CloudRunClient.connect("europe-west1")
    assert caught.value.message == "no Google Cloud credentials found"
    assert "gcloud auth application-default login" in (caught.value.hint or "")
