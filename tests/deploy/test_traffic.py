"""Traffic splits: the arithmetic, and the exact bodies deploy and promote write to the fake
Admin API (the new revision named in advance, every target pinned, idempotent writes)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from polyinfra.deploy.apply import apply_object
from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.deploy.promote import promote
from polyinfra.deploy.release import stamp_release
from polyinfra.deploy.rollout import DeployTarget
from polyinfra.deploy.traffic import (
    ALONE,
    Target,
    TrafficPlan,
    TrafficRequest,
    describe,
    revision_name,
    scaled,
    shifted,
    split_table,
    traffic_request,
)
from polyinfra.emulator import FakeCloudRun

API = ObjectRef("Service", "proj", "api")


# ---- the arithmetic ----------------------------------------------------------------------


def pinned(*shares: tuple[str, int]) -> list[Target]:
    return [Target(name, percent) for name, percent in shares]


def test_the_others_keep_their_relative_shares_by_largest_remainder() -> None:
    assert scaled(pinned(("a", 90), ("b", 10)), 50) == pinned(("a", 45), ("b", 5))
    # 85 * (50, 30, 20) / 100 = 42.5, 25.5, 17: the one unit left goes to the larger tie.
    assert scaled(pinned(("a", 50), ("b", 30), ("c", 20)), 85) == pinned(
        ("a", 43), ("b", 25), ("c", 17)
    )
    # Equal remainders and equal shares: the order given decides.
    assert scaled(pinned(("a", 34), ("b", 33), ("c", 33)), 50) == pinned(
        ("a", 17), ("b", 17), ("c", 16)
    )
    # A target rounded down to 0% is dropped unless it carries a tag.
    assert scaled(pinned(("a", 1), ("b", 99)), 50) == pinned(("b", 50))
    assert scaled([Target("a", 1, "blue"), Target("b", 99)], 50) == [
        Target("a", 0, "blue"),
        Target("b", 50),
    ]
    for rest in range(101):
        shares = scaled(pinned(("a", 17), ("b", 41), ("c", 42)), rest)
        assert sum(t.percent for t in shares) == rest


def test_shifting_gives_the_revision_its_share_and_moves_the_tag() -> None:
    current = [Target("a", 90, "blue"), Target("b", 10, "canary")]
    assert shifted(current, "c", 20) == [
        Target("a", 72, "blue"),
        Target("b", 8, "canary"),
        Target("c", 20),
    ]
    assert shifted(current, "c", 0, "canary") == [
        Target("a", 90, "blue"),
        Target("b", 10),
        Target("c", 0, "canary"),
    ]
    # The revision's own share is given back first; it keeps its tag.
    assert shifted([Target("a", 70), Target("c", 30, "green")], "c", 50) == [
        Target("a", 50),
        Target("c", 50, "green"),
    ]
    # Nothing else serves: there is nothing to split with.
    assert shifted([Target("c", 100)], "c", 10) == []
    assert shifted([], "c", 10) == []


def test_revision_names_are_stable_dns_labels_of_the_version_and_template() -> None:
    manifest = stamp_release(
        {"spec": {"template": {"spec": {"containers": [{"image": "i"}]}}}},
        app="api",
        env="dev",
        version="v1.2.3+Build_7",
    )
    name = revision_name("api", manifest)
    assert re.fullmatch(r"api-v1-2-3-build-7-[0-9a-f]{6}", name)
    assert revision_name("api", copy.deepcopy(manifest)) == name
    named = copy.deepcopy(manifest)
    named["spec"]["template"]["metadata"]["name"] = "api-whatever"
    assert revision_name("api", named) == name
    changed = copy.deepcopy(manifest)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "j"
    assert revision_name("api", changed) != name
    assert revision_name("api", changed)[:-6] == name[:-6]
    long = stamp_release(manifest, app="api", env="dev", version="x" * 100)
    assert len(revision_name("a" * 40, long)) == 63
    assert re.fullmatch(r"a{40}-x{15}-[0-9a-f]{6}", revision_name("a" * 40, long))
    assert revision_name("a" * 60, long) == ""


def test_requests_and_descriptions() -> None:
    assert traffic_request(None, no_traffic=False, tag=None) is None
    assert traffic_request(None, no_traffic=True, tag=None) == TrafficRequest(0)
    assert traffic_request(10, no_traffic=False, tag="c") == TrafficRequest(10, "c")
    assert TrafficRequest(0, "c").flags() == "--no-traffic --tag c"
    assert TrafficRequest(10).flags() == "--traffic 10"
    assert TrafficRequest(None, "c").flags() == "--tag c"
    assert describe([Target("a", 90), Target("b", 10), Target("c", 0, "t")]) == "90% a, 10% b"
    assert describe([Target("", 100, latest=True)]) == "100% to the latest revision"
    assert split_table(
        [Target("api-1", 100)],
        [Target("api-1", 90), Target("api-2", 10, "canary", url="https://c")],
        "api-2",
    ) == [
        "  revision  before  after",
        "  api-1       100%    90%",
        "  api-2          -    10%  new, tag canary",
    ]


# ---- against the fake ----------------------------------------------------------------------


def release(make_service: Any, version: str, image: str = "img:1") -> dict[str, Any]:
    """The service as deploy writes it for ``version``."""
    return stamp_release(make_service(image=image), app="api", env="dev", version=version)


def deploy(
    client: CloudRunClient, desired: dict[str, Any], request: TrafficRequest | None = None
) -> TrafficPlan:
    """Apply ``desired`` with the traffic plan deploy uses, and let it settle."""
    plan = TrafficPlan("api", request)
    apply_object(client, API, desired, adjust=plan.adjust)
    client.get(API)  # one poll settles the fake's rollout
    return plan


def split_off(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any, request: TrafficRequest
) -> tuple[str, str]:
    """Deploy v1, then v2 with ``request``: the names of their revisions."""
    deploy(client, release(make_service, "v1"))
    first = fake.revisions("proj", "api")[0]
    desired = release(make_service, "v2")
    deploy(client, desired, request)
    return first, revision_name("api", desired)


def traffic_written(fake: FakeCloudRun) -> list[Any]:
    body = fake.writes()[-1].body
    assert body is not None
    return list(body["spec"]["traffic"])


def template_name(fake: FakeCloudRun) -> str | None:
    body = fake.writes()[-1].body
    assert body is not None
    return body["spec"]["template"]["metadata"].get("name")


def test_traffic_n_pins_the_others_and_names_the_new_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    deploy(client, release(make_service, "v1"))
    (first,) = fake.revisions("proj", "api")
    desired = release(make_service, "v2")
    plan = deploy(client, desired, TrafficRequest(10))
    new = revision_name("api", desired)
    assert template_name(fake) == new
    assert traffic_written(fake) == [
        {"revisionName": first, "percent": 90},
        {"revisionName": new, "percent": 10},
    ]
    assert fake.revisions("proj", "api") == [first, new]
    report = plan.report(client.get(API)["status"]["traffic"])  # type: ignore[index]
    assert report.before == (Target(first, 100),)
    assert report.after == (Target(first, 90), Target(new, 10))
    assert (report.revision, report.note, report.replaced) == (new, "", ())
    # A third version at 15%: the others keep 90:10 of the remaining 85.
    third = release(make_service, "v3")
    deploy(client, third, TrafficRequest(15))
    assert traffic_written(fake) == [
        {"revisionName": first, "percent": 77},
        {"revisionName": new, "percent": 8},
        {"revisionName": revision_name("api", third), "percent": 15},
    ]


def test_the_same_deploy_again_writes_nothing_and_a_lost_answer_is_not_resent(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    deploy(client, release(make_service, "v1"))
    desired = release(make_service, "v2")
    fake.lose_response(method="PUT")
    plan = TrafficPlan("api", TrafficRequest(10))
    applied = apply_object(client, API, desired, adjust=plan.adjust)
    assert applied.action == "replaced"
    assert [w.method for w in fake.writes()] == ["POST", "PUT"]
    sent = fake.writes()[-1].body
    live = client.get(API)
    assert live is not None
    # Adjusting against the live object that holds the write makes the same body.
    again = plan.adjust(desired, live)
    assert sent is not None
    assert again["spec"] == sent["spec"]
    assert apply_object(client, API, desired, adjust=plan.adjust).action == "unchanged"
    assert [w.method for w in fake.writes()] == ["POST", "PUT"]


def test_no_traffic_keeps_the_split_exactly_and_tags_the_new_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, second = split_off(fake, client, make_service, TrafficRequest(30, "canary"))
    third_desired = release(make_service, "v3")
    deploy(client, third_desired, TrafficRequest(0, "canary"))
    third = revision_name("api", third_desired)
    assert traffic_written(fake) == [
        {"revisionName": first, "percent": 70},
        {"revisionName": second, "percent": 30},
        {"revisionName": third, "percent": 0, "tag": "canary"},
    ]
    live = client.get(API)
    assert live is not None
    assert live["status"]["traffic"][2]["url"].startswith("https://canary---api-")
    # Without a tag the new revision gets no target at all.
    fourth_desired = release(make_service, "v4")
    deploy(client, fourth_desired, TrafficRequest(0))
    assert traffic_written(fake) == [
        {"revisionName": first, "percent": 70},
        {"revisionName": second, "percent": 30},
        {"revisionName": third, "percent": 0, "tag": "canary"},
    ]
    assert template_name(fake) == revision_name("api", fourth_desired)


def test_a_following_split_is_pinned_to_the_revision_serving_now(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    deploy(client, release(make_service, "v1"))
    first = fake.revisions("proj", "api")[0]
    deploy(client, release(make_service, "v2"), TrafficRequest(0))
    assert traffic_written(fake) == [{"revisionName": first, "percent": 100}]


@pytest.mark.parametrize("request_", [TrafficRequest(10), TrafficRequest(0, "canary")])
def test_first_deploy_gives_the_new_revision_everything(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any, request_: TrafficRequest
) -> None:
    desired = release(make_service, "v1")
    plan = deploy(client, desired, request_)
    new = revision_name("api", desired)
    tagged = [{"revisionName": new, "percent": 0, "tag": "canary"}] if request_.tag else []
    assert traffic_written(fake) == [{"latestRevision": True, "percent": 100}, *tagged]
    assert fake.revisions("proj", "api") == [new]
    assert plan.note == ALONE
    assert plan.report().before == ()


def test_a_plain_deploy_replaces_a_pinned_split_and_says_which(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, second = split_off(fake, client, make_service, TrafficRequest(10))
    plan = deploy(client, release(make_service, "v3"))
    # The fixture's manifest has no traffic: Cloud Run's default is written, explicitly.
    assert traffic_written(fake) == [{"latestRevision": True, "percent": 100}]
    assert template_name(fake) is None
    report = plan.report()
    assert report.replaced == (Target(first, 90), Target(second, 10))
    assert report.written == (Target("", 100, latest=True),)
    assert report.shown is False
    # Nothing pinned: nothing to say, and the manifest's traffic (here none) is left as it is.
    assert deploy(client, release(make_service, "v4")).report().replaced == ()
    body = fake.writes()[-1].body
    assert body is not None
    assert "traffic" not in body["spec"]
    manifest = release(make_service, "v5")
    manifest["spec"]["traffic"] = [{"percent": 100}]
    deploy(client, manifest)
    assert traffic_written(fake) == [{"percent": 100}]


def test_a_plain_deploy_of_the_version_deployed_with_traffic_cuts_no_new_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    deploy(client, release(make_service, "v1"))
    desired = release(make_service, "v2")
    deploy(client, desired, TrafficRequest(10))
    revisions = fake.revisions("proj", "api")
    plan = deploy(client, desired)
    assert template_name(fake) == revision_name("api", desired)
    assert traffic_written(fake) == [{"latestRevision": True, "percent": 100}]
    assert fake.revisions("proj", "api") == revisions
    assert plan.report().replaced != ()


def test_tag_alone_tags_the_new_revision_next_to_the_manifests_traffic(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    deploy(client, release(make_service, "v1"))
    desired = release(make_service, "v2")
    desired["spec"]["traffic"] = [{"latestRevision": True, "percent": 100, "tag": "pr-7"}]
    deploy(client, desired, TrafficRequest(None, "pr-7"))
    new = revision_name("api", desired)
    assert traffic_written(fake) == [
        {"latestRevision": True, "percent": 100},
        {"revisionName": new, "percent": 0, "tag": "pr-7"},
    ]
    assert template_name(fake) == new


# ---- promote -------------------------------------------------------------------------------


TARGET = DeployTarget(
    app="api",
    env="dev",
    manifest={"kind": "Service", "metadata": {"namespace": "proj", "name": "api"}},
    region="europe-west1",
)


def test_promote_moves_a_share_then_everything_to_the_latest_ready_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, new = split_off(fake, client, make_service, TrafficRequest(10, "canary"))
    half = promote(client, TARGET, 50, timeout=10)
    assert traffic_written(fake) == [
        {"revisionName": first, "percent": 50},
        {"revisionName": new, "percent": 50, "tag": "canary"},
    ]
    assert (half.revision, half.action) == (new, "replaced")
    assert half.before == (Target(first, 90), Target(new, 10, "canary"))
    assert [(t.revision, t.percent, t.tag) for t in half.after] == [
        (first, 50, ""),
        (new, 50, "canary"),
    ]
    whole = promote(client, TARGET, 100, timeout=10)
    assert traffic_written(fake) == [
        {"latestRevision": True, "percent": 100},
        {"revisionName": new, "percent": 0, "tag": "canary"},
    ]
    assert [(t.revision, t.percent, t.latest) for t in whole.after[:1]] == [(new, 100, True)]
    writes = len(fake.writes())
    assert promote(client, TARGET, 100, timeout=10).action == "unchanged"
    assert len(fake.writes()) == writes
    # No revision was cut: promote changes traffic only.
    assert fake.revisions("proj", "api") == [first, new]
