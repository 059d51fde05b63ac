"""A service's traffic in the emulator, over raw HTTP: ``spec.traffic`` validated as Cloud Run
validates it, resolved in ``status.traffic`` with tag URLs, revisions named by the client, and
revisions deleted unless they serve traffic. Every exchange conforms to the discovery
document."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from polyinfra.emulator import FakeCloudRun
from tests.conformance import check_exchanges
from tests.emulator.test_server import send

NS = "/apis/serving.knative.dev/v1/namespaces/proj"
SERVICES = f"{NS}/services"
REVISIONS = f"{NS}/revisions"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


def service(name: str = "api", image: str = "img:1", revision: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "proj"},
        "spec": {"template": {"spec": {"containers": [{"image": image}]}}},
    }
    if revision:
        body["spec"]["template"]["metadata"] = {"name": revision}
    return body


def call(
    fake: FakeCloudRun,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    user_agent: str = "",
) -> tuple[int, dict[str, Any]]:
    answer = send(fake, method, path, body, {"User-Agent": user_agent} if user_agent else None)
    return answer.status, answer.data


@pytest.fixture
def fake() -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=0) as server:
        yield server


def two_revisions(fake: FakeCloudRun) -> tuple[str, str]:
    """Service ``api`` with revisions ``api-one`` (image 1) and ``api-two`` (image 2), all
    traffic on the latest."""
    assert call(fake, "POST", SERVICES, service(revision="api-one"))[0] == 200
    assert (
        call(fake, "PUT", f"{SERVICES}/api", service(image="img:2", revision="api-two"))[0] == 200
    )
    return "api-one", "api-two"


def with_traffic(
    targets: list[dict[str, Any]], image: str = "img:2", revision: str = "api-two"
) -> dict[str, Any]:
    """Service ``api`` (as :func:`two_revisions` left it) with ``targets`` as its traffic."""
    body = service(image=image, revision=revision)
    body["spec"]["traffic"] = targets
    return body


def put_traffic(fake: FakeCloudRun, targets: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Replace service ``api`` (as :func:`two_revisions` left it) with ``targets``."""
    return call(fake, "PUT", f"{SERVICES}/api", with_traffic(targets))


def invalid(message: str, *violations: tuple[str, str]) -> dict[str, Any]:
    return {
        "error": {
            "code": 400,
            "message": message,
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": BAD_REQUEST,
                    "fieldViolations": [
                        {"field": field, "description": description}
                        for field, description in violations
                    ],
                }
            ],
        }
    }


def test_percents_that_do_not_sum_to_100_are_invalid_and_nothing_changes(
    fake: FakeCloudRun,
) -> None:
    one, two = two_revisions(fake)
    before = fake.get_object("services", "proj", "api")
    status, answer = put_traffic(
        fake, [{"revisionName": one, "percent": 80}, {"revisionName": two, "percent": 10}]
    )
    assert status == 400
    assert answer == invalid(
        "spec.traffic: Traffic targets sum to 90, want 100",
        ("spec.traffic", "Traffic targets sum to 90, want 100"),
    )
    assert fake.get_object("services", "proj", "api") == before
    assert fake.revisions("proj", "api") == [one, two]


def test_percents_are_integers_from_0_to_100(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    status, answer = put_traffic(
        fake,
        [
            {"revisionName": one, "percent": 101},
            {"revisionName": two, "percent": -1},
            {"latestRevision": True, "percent": 10.5},
        ],
    )
    assert status == 400
    assert answer["error"]["details"][0]["fieldViolations"] == [
        {"field": "spec.traffic[0].percent", "description": "expected 0 <= 101 <= 100"},
        {"field": "spec.traffic[1].percent", "description": "expected 0 <= -1 <= 100"},
        {
            "field": "spec.traffic[2].percent",
            "description": "Invalid value at 'service.spec.traffic[2].percent' (TYPE_INT32), 10.5",
        },
    ]
    # An int32 may come as a JSON string (proto3 JSON); a missing percent is 0.
    status, answer = put_traffic(
        fake, [{"revisionName": one, "percent": "100"}, {"revisionName": two, "tag": "t"}]
    )
    assert status == 200, answer
    assert answer["spec"]["traffic"] == [
        {"revisionName": one, "percent": 100},
        {"revisionName": two, "tag": "t"},
    ]


def test_a_target_pins_a_revision_or_follows_the_latest_not_both(fake: FakeCloudRun) -> None:
    one, _ = two_revisions(fake)
    status, answer = put_traffic(
        fake,
        [
            {"revisionName": one, "latestRevision": True, "percent": 50},
            {"latestRevision": False, "percent": 50},
        ],
    )
    assert status == 400
    assert answer == invalid(
        'spec.traffic[0].latestRevision: may not set revisionName "api-one" when '
        'latestRevision is true spec.traffic[1].latestRevision: may not set revisionName "" '
        "when latestRevision is false",
        (
            "spec.traffic[0].latestRevision",
            'may not set revisionName "api-one" when latestRevision is true',
        ),
        (
            "spec.traffic[1].latestRevision",
            'may not set revisionName "" when latestRevision is false',
        ),
    )
    # A target that names no revision follows the latest one.
    status, answer = put_traffic(fake, [{"percent": 100}])
    assert status == 200
    assert answer["status"]["traffic"] == [
        {"revisionName": "api-two", "latestRevision": True, "percent": 100}
    ]


def test_a_pinned_revision_must_exist_and_belong_to_the_service(fake: FakeCloudRun) -> None:
    one, _ = two_revisions(fake)
    assert call(fake, "POST", SERVICES, service("web", revision="web-one"))[0] == 200
    status, answer = put_traffic(
        fake,
        [
            {"revisionName": "api-gone", "percent": 50},
            {"revisionName": "web-one", "percent": 25},
            {"revisionName": one, "percent": 25},
        ],
    )
    assert status == 400
    violations = answer["error"]["details"][0]["fieldViolations"]
    assert violations == [
        {
            "field": "spec.traffic[0].revisionName",
            "description": "Revision 'api-gone' does not exist or is deleted. Update all "
            "traffic to route to currently available revisions.",
        },
        {
            "field": "spec.traffic[1].revisionName",
            "description": "Revision 'web-one' belongs to service 'web', not to 'api'.",
        },
    ]
    assert answer["error"]["message"].startswith(
        "spec.traffic[0].revisionName: Revision 'api-gone' does not exist"
    )


def test_tags_are_unique_dns_labels(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    status, answer = put_traffic(
        fake,
        [
            {"revisionName": one, "percent": 100, "tag": "Blue"},
            {"revisionName": two, "percent": 0, "tag": "green"},
            {"latestRevision": True, "percent": 0, "tag": "green"},
            {"revisionName": one, "percent": 0, "tag": "1st"},
        ],
    )
    assert status == 400
    fields = [
        (v["field"], v["description"][:24])
        for v in answer["error"]["details"][0]["fieldViolations"]
    ]
    assert fields == [
        ("spec.traffic[0].tag", "not a DNS 1035 label: [a"),
        ("spec.traffic[2].tag", "Multiple definitions for"),
        ("spec.traffic[3].tag", "not a DNS 1035 label: [a"),
    ]
    assert 'Multiple definitions for "green"' in answer["error"]["message"]


def test_status_resolves_targets_and_gives_each_tag_its_url(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    status, answer = put_traffic(
        fake,
        [
            {"revisionName": one, "percent": 90, "tag": "blue"},
            {"latestRevision": True, "percent": 10},
            {"revisionName": two, "percent": 0, "tag": "green"},
        ],
    )
    number = fake.project_number("proj")
    assert status == 200
    assert answer["status"]["url"] == f"https://api-{number}.europe-west1.run.app"
    assert answer["status"]["traffic"] == [
        {
            "revisionName": one,
            "percent": 90,
            "tag": "blue",
            "url": f"https://blue---api-{number}.europe-west1.run.app",
        },
        {"revisionName": two, "latestRevision": True, "percent": 10},
        {
            "revisionName": two,
            "percent": 0,
            "tag": "green",
            "url": f"https://green---api-{number}.europe-west1.run.app",
        },
    ]
    assert fake.revisions("proj", "api") == [one, two]


def test_traffic_may_name_the_revision_the_same_write_cuts(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    body = with_traffic(
        [
            {"revisionName": one, "percent": 50},
            {"revisionName": two, "percent": 40},
            {"revisionName": "api-three", "percent": 10, "tag": "canary"},
        ],
        image="img:3",
        revision="api-three",
    )
    status, answer = call(fake, "PUT", f"{SERVICES}/api", body)
    assert status == 200, answer
    assert fake.revisions("proj", "api") == [one, two, "api-three"]
    assert [(t["revisionName"], t["percent"]) for t in answer["status"]["traffic"]] == [
        (one, 50),
        (two, 40),
        ("api-three", 10),
    ]
    assert answer["status"]["latestReadyRevisionName"] == "api-three"


def test_a_revision_name_is_reused_only_with_the_same_template(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    # The template of api-one again, under its name: no revision is cut, api-one is latest.
    status, answer = call(fake, "PUT", f"{SERVICES}/api", service(revision=one))
    assert status == 200, answer
    assert fake.revisions("proj", "api") == [one, two]
    assert answer["status"]["latestCreatedRevisionName"] == one
    assert answer["status"]["latestReadyRevisionName"] == one
    assert answer["metadata"]["generation"] == 3
    # Another template under a taken name is a conflict.
    status, answer = call(fake, "PUT", f"{SERVICES}/api", service(image="img:9", revision=two))
    assert (status, answer["error"]) == (
        409,
        {
            "code": 409,
            "message": "Revision named 'api-two' with different configuration already exists.",
            "status": "ALREADY_EXISTS",
        },
    )


def test_sending_back_what_a_get_answered_cuts_no_revision(fake: FakeCloudRun) -> None:
    """The record of the writing client in the template is Cloud Run's, not a change."""
    agent = "polyinfra/1.0"
    one, two = "api-one", "api-two"
    call(fake, "POST", SERVICES, service(revision=one), user_agent=agent)
    call(fake, "PUT", f"{SERVICES}/api", service(image="img:2", revision=two), user_agent=agent)
    _, live = call(fake, "GET", f"{SERVICES}/api")
    template_meta = live["spec"]["template"]["metadata"]
    assert template_meta["annotations"]["run.googleapis.com/client-name"] == "polyinfra"
    live["spec"]["traffic"] = [{"revisionName": one, "percent": 100}]
    status, answer = call(fake, "PUT", f"{SERVICES}/api", live, user_agent=agent)
    assert status == 200, answer
    assert fake.revisions("proj", "api") == [one, two]
    assert answer["metadata"]["generation"] == 3
    assert answer["status"]["traffic"] == [{"revisionName": one, "percent": 100}]


def test_a_revision_that_serves_traffic_is_not_deleted(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    assert (
        call(fake, "PUT", f"{SERVICES}/api", service(image="img:3", revision="api-three"))[0] == 200
    )
    pinned = with_traffic(
        [
            {"revisionName": one, "percent": 100},
            {"revisionName": two, "percent": 0, "tag": "old"},
        ],
        image="img:3",
        revision="api-three",
    )
    assert call(fake, "PUT", f"{SERVICES}/api", pinned)[0] == 200
    serving = call(fake, "DELETE", f"{REVISIONS}/{one}")
    tagged = call(fake, "DELETE", f"{REVISIONS}/{two}")
    latest = call(fake, "DELETE", f"{REVISIONS}/api-three")
    assert serving == (
        400,
        {
            "error": {
                "code": 400,
                "message": 'Revision "api-one" cannot be directly deleted because it is '
                "actively serving.",
                "status": "FAILED_PRECONDITION",
            }
        },
    )
    assert tagged[0] == 400
    assert tagged[1]["error"]["message"] == (
        'Revision "api-two" cannot be directly deleted because it is actively serving.'
    )
    assert latest == (
        400,
        {
            "error": {
                "code": 400,
                "message": 'Revision "api-three" cannot be directly deleted because it is the '
                'latest revision of service "api".',
                "status": "FAILED_PRECONDITION",
            }
        },
    )
    assert fake.revisions("proj", "api") == [one, two, "api-three"]


def test_a_revision_without_traffic_is_deleted(fake: FakeCloudRun) -> None:
    one, two = two_revisions(fake)
    _, revision = call(fake, "GET", f"{REVISIONS}/{one}")
    dry = call(fake, "DELETE", f"{REVISIONS}/{one}?dryRun=all")
    assert fake.revisions("proj", "api") == [one, two]
    status, answer = call(fake, "DELETE", f"{REVISIONS}/{one}")
    assert dry == (status, answer)
    assert (status, answer) == (
        200,
        {
            "status": "Success",
            "details": {
                "name": one,
                "group": "serving.knative.dev",
                "kind": "revisions",
                "uid": revision["metadata"]["uid"],
            },
        },
    )
    assert fake.revisions("proj", "api") == [two]
    gone = call(fake, "GET", f"{REVISIONS}/{one}")
    again = call(fake, "DELETE", f"{REVISIONS}/{one}")
    assert gone[0] == again[0] == 404
    assert again[1]["error"]["status"] == "NOT_FOUND"
    # A deleted revision can no longer be given traffic.
    status, answer = put_traffic(fake, [{"revisionName": one, "percent": 100}])
    assert status == 400
    assert "Revision 'api-one' does not exist or is deleted" in answer["error"]["message"]


def test_every_traffic_exchange_conforms(fake: FakeCloudRun) -> None:
    one, _ = two_revisions(fake)
    body = with_traffic(
        [{"revisionName": one, "percent": 90}, {"latestRevision": True, "percent": 10, "tag": "c"}]
    )
    call(fake, "PUT", f"{SERVICES}/api", body)
    call(fake, "GET", f"{SERVICES}/api")
    put_traffic(fake, [{"revisionName": one, "percent": 9}])
    call(fake, "DELETE", f"{REVISIONS}/{one}")
    moved = copy.deepcopy(body)
    moved["spec"]["traffic"] = [{"latestRevision": True, "percent": 100}]
    call(fake, "PUT", f"{SERVICES}/api", moved)
    call(fake, "DELETE", f"{REVISIONS}/{one}?dryRun=all")
    call(fake, "DELETE", f"{REVISIONS}/{one}")
    statuses = [r.status for r in fake.requests]
    assert statuses == [200, 200, 200, 200, 400, 400, 200, 200, 200]
    assert check_exchanges(fake.requests) == []
