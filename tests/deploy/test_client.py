"""The Cloud Run client as Google's front ends see it: compressed answers, tokens that expire,
the quota project, the user agent, and Google's error bodies turned into what they mean."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from polyinfra import __version__
from polyinfra.deploy.apply import apply_object
from polyinfra.deploy.client import CloudRunClient, ObjectRef, Pacer, RetryPolicy
from polyinfra.deploy.errors import CloudRunError, GoogleError
from polyinfra.emulator import FakeCloudRun
from tests.deploy.conftest import token_credentials

API = ObjectRef("Service", "proj", "api")


def client_for(fake: FakeCloudRun, credentials: Any) -> CloudRunClient:
    return CloudRunClient(
        endpoint=fake.endpoint,
        credentials=credentials,
        retry=RetryPolicy(rand=lambda: 1.0),
        pacer=Pacer(wait=lambda _: None),
    )


def test_gzip_answers_are_decoded(make_service: Any) -> None:
    with FakeCloudRun(require_auth=True) as fake:
        client = client_for(fake, token_credentials("ya29.first"))
        applied = apply_object(client, API, make_service(image="img:1"))
        live = client.get(API)
        client.close()
    assert applied.action == "created"
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "img:1"
    assert fake.requests
    for exchange in fake.requests:
        assert "gzip" in exchange.headers["accept-encoding"]
        assert exchange.response_headers["Content-Encoding"] == "gzip"


def test_a_401_is_fixed_by_one_refreshed_token(make_service: Any) -> None:
    with FakeCloudRun(require_auth=True) as fake:
        fake.reject_token("ya29.expired")
        client = client_for(fake, token_credentials("ya29.expired", refreshed=["ya29.fresh"]))
        applied = apply_object(client, API, make_service())
        client.close()
    assert applied.action == "created"
    sent = [(r.method, r.headers.get("authorization"), r.status) for r in fake.requests]
    assert sent == [
        ("GET", "Bearer ya29.expired", 401),
        ("GET", "Bearer ya29.fresh", 404),
        ("POST", "Bearer ya29.fresh", 200),
    ]


def test_a_second_401_is_an_error_that_says_how_to_log_in(make_service: Any) -> None:
    with FakeCloudRun(require_auth=True) as fake:
        fake.reject_token("ya29.expired")
        fake.reject_token("ya29.revoked")
        client = client_for(fake, token_credentials("ya29.expired", refreshed=["ya29.revoked"]))
        with pytest.raises(CloudRunError) as caught:
            client.get(API)
        client.close()
    assert [r.status for r in fake.requests] == [401, 401]
    message = str(caught.value)
    assert message.startswith(
        "get service api (project proj): not authenticated (HTTP 401 UNAUTHENTICATED): "
        "Request had invalid authentication credentials."
    )
    assert message.endswith("`gcloud auth application-default login`")
    assert "ya29" not in message


def test_a_failed_refresh_is_an_error_not_a_traceback() -> None:
    with FakeCloudRun(require_auth=True) as fake:
        fake.reject_token("ya29.expired")
        client = client_for(fake, token_credentials("ya29.expired", refreshed=[]))
        with pytest.raises(CloudRunError) as caught:
            client.get(API)
        client.close()
    assert str(caught.value) == (
        "get service api (project proj): cannot get an access token (no further test token); "
        "run `gcloud auth application-default login` or check GOOGLE_APPLICATION_CREDENTIALS"
    )
    assert [r.status for r in fake.requests] == [401]


def test_no_token_gets_googles_401(make_service: Any) -> None:
    with FakeCloudRun(require_auth=True) as fake:
        client = client_for(fake, None)
        with pytest.raises(CloudRunError) as caught:
            client.get(API)
        client.close()
    assert caught.value.status == 401
    assert "Request is missing required authentication credential" in str(caught.value)
    assert "authorization" not in fake.requests[0].headers


def test_quota_project_and_user_agent_are_sent() -> None:
    credentials = Credentials(token="ya29.token", quota_project_id="billing-project")
    with FakeCloudRun(require_auth=True) as fake:
        client = client_for(fake, credentials)
        assert client.get(API) is None
        client.close()
    headers = fake.requests[0].headers
    assert headers["x-goog-user-project"] == "billing-project"
    assert headers["user-agent"].startswith(f"polyinfra/{__version__} python-requests/")


def test_400_shows_googles_message_and_field_violations(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.fail(
        400,
        method="POST",
        message="The request has errors",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {
                        "field": "spec.template.spec.containers[0].resources.limits.memory",
                        "description": "Invalid value specified for container memory.",
                    }
                ],
            }
        ],
    )
    with pytest.raises(CloudRunError) as caught:
        apply_object(client, API, make_service())
    assert str(caught.value) == (
        "create service api (project proj): Cloud Run rejected the manifest (HTTP 400 "
        "INVALID_ARGUMENT): The request has errors; "
        "spec.template.spec.containers[0].resources.limits.memory: Invalid value specified "
        "for container memory."
    )


def test_403_names_the_permission_google_says_is_missing(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    fake.fail(
        403,
        method="POST",
        message="Permission 'run.services.create' denied on resource "
        "'namespaces/proj/services/api' (or resource may not exist).",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "run.googleapis.com",
                "metadata": {"permission": "run.services.create"},
            }
        ],
    )
    with pytest.raises(CloudRunError) as caught:
        apply_object(client, API, make_service())
    assert str(caught.value) == (
        "create service api (project proj): permission denied (HTTP 403 PERMISSION_DENIED): "
        "Permission 'run.services.create' denied on resource 'namespaces/proj/services/api' "
        "(or resource may not exist).. The deploying identity needs `run.services.create` on "
        "the project and `iam.serviceAccounts.actAs` (roles/iam.serviceAccountUser) on the "
        "app's runtime service account"
    )


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (502, b"<html><body>Bad   Gateway</body></html>", "<html><body>Bad Gateway</body></html>"),
        (500, b'{"error": "not google"}', ""),
        (
            400,
            b'{"error": {"code": 400, "message": "m", "status": "INVALID_ARGUMENT", "details": '
            b'[{"@type": "type.googleapis.com/google.rpc.Help", "links": [{"url": "https://x"}]}]}}',
            "m; see https://x",
        ),
    ],
)
def test_error_bodies_that_are_not_googles_still_say_something(
    status: int, content: bytes, expected: str
) -> None:
    assert GoogleError.parse(status, content).text() == expected


def test_an_unresolvable_host_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*_: Any, **__: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    client = CloudRunClient(
        endpoint="http://polyinfra-no-such-host.invalid",
        credentials=None,
        pacer=Pacer(wait=lambda _: None),
    )
    with pytest.raises(CloudRunError) as caught:
        client.get(API)
    assert str(caught.value) == (
        "get service api (project proj): cannot resolve the host of "
        "http://polyinfra-no-such-host.invalid; check the region and your network"
    )


def test_services_and_jobs_are_listed_by_label_across_pages(make_service: Any) -> None:
    with FakeCloudRun() as fake:
        client = client_for(fake, None)
        for name, team in (("api", "a"), ("web", "b"), ("zeta", "a"), ("beta", "a")):
            service = make_service()
            service["metadata"]["name"] = name
            service["metadata"]["labels"] = {"team": team}
            apply_object(client, ObjectRef("Service", "proj", name), service)
        listed = client.list_objects("Service", "proj", "team=a")
        every = client.list_objects("Service", "proj")
        jobs = client.list_objects("Job", "proj")
        paged = fake.served_object("services", "proj", "api")
        client.close()
    assert [s["metadata"]["name"] for s in listed] == ["api", "beta", "zeta"]
    assert [s["metadata"]["name"] for s in every] == ["api", "beta", "web", "zeta"]
    assert jobs == []
    assert paged is not None
    assert listed[0]["metadata"]["uid"] == paged["metadata"]["uid"]


def test_a_list_follows_continue_tokens() -> None:
    with FakeCloudRun() as fake:
        client = client_for(fake, None)
        pages = []
        original = client.request

        def request(method: str, path: str, what: str, **kwargs: Any) -> Any:
            params = dict(kwargs.get("params") or {})
            if path.endswith("/revisions"):
                params["limit"] = "1"
                pages.append(params.get("continue", ""))
            kwargs["params"] = params
            return original(method, path, what, **kwargs)

        client.request = request  # type: ignore[method-assign]
        for image in ("img:1", "img:2", "img:3"):
            service = {
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "metadata": {"name": "api"},
                "spec": {"template": {"spec": {"containers": [{"image": image}]}}},
            }
            live = client.get(API)
            if live is None:
                client.create(API, service)
            else:
                service["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
                client.replace(API, service)
        revisions = client.list_revisions(API)
        first = client.get_revision("proj", revisions[0]["metadata"]["name"])
        missing = client.get_revision("proj", "api-nope")
        client.close()
    assert len(revisions) == 3
    assert len(pages) == 3
    assert pages[0] == ""
    assert all(pages[1:])
    assert first is not None
    assert first["metadata"]["name"] == revisions[0]["metadata"]["name"]
    assert missing is None
