"""Rolling back against the fake Cloud Run API: a service's traffic to an earlier revision, a
job's template from the record a deploy keeps on it, and that record itself."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.rollback import describe
from polyinfra.deploy.apply import stamp_version
from polyinfra.deploy.client import CloudRunClient
from polyinfra.deploy.errors import ConflictError
from polyinfra.deploy.release import COMMIT_ANNOTATION, stamp_release
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.rollback import (
    MAX_RECORD_BYTES,
    PREVIOUS_TEMPLATE_ANNOTATION,
    previous_template,
    record_previous,
)
from polyinfra.deploy.rollback.plan import Share, plan_job, plan_service, roll_back
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests
from polyinfra.emulator import FakeCloudRun
from polyinfra.errors import UserError

PROJECT = "proj"
REGION = "europe-west1"
A, B, C = "a" * 40, "b" * 40, "c" * 40


def deploy(fake: FakeCloudRun, manifest: dict[str, Any], version: str, commit: str = "") -> bool:
    """``polyinfra deploy`` of one object, as the rollout does it."""

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient(endpoint=fake.endpoint, credentials=None, pacer=pacer)

    report = deploy_manifests(
        [target(manifest)],
        DeployOptions(version=version, commit=commit, first_poll=0.01, poll=0.02),
        client_factory=factory,
    )
    return report.ok


def target(manifest: dict[str, Any]) -> DeployTarget:
    return DeployTarget(manifest["metadata"]["name"], "sandbox", manifest, REGION)


def never_rendered(commit: str, version: str) -> dict[str, Any]:
    raise AssertionError(f"rendered {version} at {commit}")


def stored_job(fake: FakeCloudRun) -> dict[str, Any]:
    obj = fake.get_object("jobs", PROJECT, "ingest")
    assert obj is not None
    return obj


def record_text(obj: dict[str, Any] | None) -> str:
    assert obj is not None
    return str(obj["metadata"].get("annotations", {}).get(PREVIOUS_TEMPLATE_ANNOTATION, ""))


def record_of(obj: dict[str, Any] | None) -> Any:
    return json.loads(record_text(obj))


# ---- the record a deploy keeps on a job -------------------------------------------------------


def test_a_job_deployed_again_with_another_version_records_the_template_it_replaced(
    fake: FakeCloudRun, make_job: Any
) -> None:
    assert deploy(fake, make_job(), "v1", A)
    assert record_text(stored_job(fake)) == ""
    assert deploy(fake, make_job(), "v2", B)
    # The template as the v1 manifest wrote it: what Cloud Run filled in (task timeout,
    # default service account, CPU and memory, the client record) is left out.
    v1 = stamp_release(make_job(), app="ingest", env="sandbox", version="v1", commit=A)
    assert record_of(stored_job(fake)) == {
        "version": "v1",
        "commit": A,
        "template": v1["spec"]["template"],
    }
    assert " " not in record_text(stored_job(fake))  # compact


def test_a_redeploy_of_the_same_version_keeps_the_record_and_writes_nothing(
    fake: FakeCloudRun, make_job: Any
) -> None:
    assert deploy(fake, make_job(), "v1", A)
    assert deploy(fake, make_job(), "v2", B)
    writes = len(fake.writes())
    assert deploy(fake, make_job(), "v2", B)
    assert len(fake.writes()) == writes
    assert record_of(stored_job(fake))["version"] == "v1"


def test_the_record_is_written_once_when_the_answer_to_the_write_is_lost(
    fake: FakeCloudRun, make_job: Any
) -> None:
    assert deploy(fake, make_job(), "v1", A)
    assert deploy(fake, make_job(), "v2", B)
    writes = len(fake.writes())
    fake.lose_response(method="PUT")
    assert deploy(fake, make_job(), "v3", C)
    puts = fake.writes()[writes:]
    assert [(r.method, r.status) for r in puts] == [("PUT", 200)]
    # The read after the lost answer found the write: the record is v2's, as sent.
    assert record_of(stored_job(fake))["version"] == "v2"
    assert record_text(stored_job(fake)) == record_text(puts[0].body)


def test_record_previous_is_the_same_against_a_live_object_that_holds_it(make_job: Any) -> None:
    live = stamp_release(make_job(), app="ingest", env="sandbox", version="v1", commit=A)
    desired = stamp_release(make_job(), app="ingest", env="sandbox", version="v2", commit=B)
    written = record_previous(desired, live)
    assert record_previous(desired, written) == written
    assert record_previous(written, written) == written
    # nothing live, or nothing stamped live: nothing to record, the manifest as it is
    assert record_previous(desired, None) is desired
    assert record_previous(desired, make_job()) is desired
    # a stale record on what is written is dropped when the live object holds none
    assert record_previous(written, desired) == desired


def test_a_template_too_large_to_record_keeps_its_version_and_commit(
    fake: FakeCloudRun, make_job: Any, caplog: pytest.LogCaptureFixture
) -> None:
    big = make_job()
    container = big["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "PAYLOAD", "value": "x" * MAX_RECORD_BYTES}]
    assert deploy(fake, big, "v1", A)
    caplog.set_level(logging.DEBUG, logger="polyinfra.deploy.http")
    assert deploy(fake, make_job(), "v2", B)
    assert record_of(stored_job(fake)) == {"version": "v1", "commit": A}
    assert [m for m in caplog.messages if m.startswith("job ")] == [
        "job ingest: the template of version v1 is 65849 bytes as JSON, more than 65536: only "
        "its version and commit are recorded (a rollback to it re-renders it from git)"
    ]


# ---- services -----------------------------------------------------------------------------


def two_versions(fake: FakeCloudRun, make_service: Any) -> list[str]:
    assert deploy(fake, make_service(), "v1", A)
    assert deploy(fake, make_service(image="img:2"), "v2", B)
    return fake.revisions(PROJECT, "api")


def test_a_service_goes_back_to_the_previous_version_without_a_new_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, second = two_versions(fake, make_service)
    live = fake.served_object("services", PROJECT, "api")
    assert live is not None
    plan = plan_service(client, target(make_service()), None)
    assert (plan.before_version, plan.after_version, plan.revision) == ("v2", "v1", first)
    assert plan.before == (Share(second, 100, "v2"),)
    assert [c.render() for c in plan.changes] == [f"+ spec.traffic[0].revisionName: '{first}'"]
    writes = len(fake.writes())
    done = roll_back(client, plan, timeout=30)
    assert done.after == (Share(first, 100, "v1"),)
    assert done.warning == ""
    put = fake.writes()[writes:]
    assert [r.method for r in put] == ["PUT"]
    expected = {k: v for k, v in live.items() if k != "status"}
    expected["spec"] = {**live["spec"], "traffic": [{"revisionName": first, "percent": 100}]}
    assert put[0].body == expected
    assert fake.revisions(PROJECT, "api") == [first, second]
    stored = fake.served_object("services", PROJECT, "api")
    assert stored is not None
    assert stored["status"]["traffic"] == [{"revisionName": first, "percent": 100}]
    assert stored["spec"]["template"] == live["spec"]["template"]


def test_to_names_a_version_or_a_revision(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, second = two_versions(fake, make_service)
    assert deploy(fake, make_service(image="img:3"), "v3", C)
    third = fake.revisions(PROJECT, "api")[2]
    assert plan_service(client, target(make_service()), None).revision == second
    assert plan_service(client, target(make_service()), "v1").revision == first
    assert plan_service(client, target(make_service()), second).revision == second
    already = plan_service(client, target(make_service()), third)
    assert already.desired is None
    assert already.note == (
        f"api (sandbox): {third} (v3) already serves 100% of the traffic; nothing to roll back"
    )
    with pytest.raises(UserError) as caught:
        plan_service(client, target(make_service()), "v9")
    assert caught.value.render() == (
        "api (sandbox): service api has no revision named 'v9' and none that carries version "
        f"'v9'\n  hint: its revisions by version: v1: {first}; v2: {second}; v3: {third}"
    )


def test_without_an_earlier_version_there_is_nothing_to_roll_back_to(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    assert deploy(fake, make_service(), "v1", A)
    # a new revision of the same version is no earlier version
    assert deploy(fake, make_service(image="img:2"), "v1", A)
    first, second = fake.revisions(PROJECT, "api")
    with pytest.raises(UserError) as caught:
        plan_service(client, target(make_service()), None)
    assert caught.value.render() == (
        "api (sandbox): no earlier version to roll back to: service api has no Ready revision "
        f"older than {second} (v1) that carries another version\n"
        f"  hint: its revisions by version: v1: {first}, {second}; name one with --to"
    )
    with pytest.raises(UserError, match="does not exist, so there is nothing to roll back"):
        plan_service(client, target(make_service(name="other")), None)


def test_a_revision_that_is_not_ready_is_refused_with_the_reason(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, _ = two_versions(fake, make_service)
    fake.script("api", ready=False, message="Container failed to start on port 8080.")
    assert not deploy(fake, make_service(image="img:3"), "v3", C)
    third = fake.revisions(PROJECT, "api")[2]
    refusal = (
        f"api (sandbox): revision {third} (v3) is not Ready, so Cloud Run cannot send traffic "
        "to it (Ready=False: Container failed to start on port 8080. (reason: RevisionFailed))"
        f"\n  hint: name another version or revision with --to; `gcloud run revisions describe "
        f"{third}` shows why it failed"
    )
    for to in ("v3", third):
        with pytest.raises(UserError) as caught:
            plan_service(client, target(make_service()), to)
        assert caught.value.render() == refusal
    # the failed revision never got traffic: v2 is live, the one before it v1
    plan = plan_service(client, target(make_service()), None)
    assert (plan.before_version, plan.revision) == ("v2", first)


def test_tags_keep_pointing_where_they_pointed(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, second = two_versions(fake, make_service)
    live = client.get(target(make_service()).ref)
    assert live is not None
    live["spec"]["traffic"] = [
        {"latestRevision": True, "percent": 100},
        {"revisionName": first, "tag": "stable", "percent": 0},
        {"latestRevision": True, "tag": "edge", "percent": 0},
    ]
    client.replace(target(make_service()).ref, live)
    assert client.get(target(make_service()).ref) is not None  # settles
    plan = plan_service(client, target(make_service()), None)
    assert plan.tags == (("stable", first), ("edge", second))
    done = roll_back(client, plan, timeout=30)
    assert describe(plan, done=done) == [
        "rolled back api (sandbox): v2 → v1",
        f"  before  100%  {second}  v2",
        f"  after   100%  {first}  v1",
        f"  tag stable stays on {first}",
        f"  tag edge stays on {second}",
    ]
    stored = fake.served_object("services", PROJECT, "api")
    assert stored is not None
    assert stored["spec"]["traffic"] == [
        {"revisionName": first, "percent": 100},
        {"revisionName": first, "percent": 0, "tag": "stable"},
        {"revisionName": second, "percent": 0, "tag": "edge"},
    ]
    # status names the same targets, each tagged one with its own URL
    routed = stored["status"]["traffic"]
    assert [{k: v for k, v in t.items() if k != "url"} for t in routed] == stored["spec"]["traffic"]
    assert [t["url"].split("---")[0] for t in routed if "tag" in t] == [
        "https://stable",
        "https://edge",
    ]
    assert fake.revisions(PROJECT, "api") == [first, second]


def test_a_lost_answer_to_the_rollback_is_not_sent_twice(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    first, _ = two_versions(fake, make_service)
    plan = plan_service(client, target(make_service()), None)
    writes = len(fake.writes())
    fake.lose_response(method="PUT")
    done = roll_back(client, plan, timeout=30)
    assert [(r.method, r.status) for r in fake.writes()[writes:]] == [("PUT", 200)]
    assert done.after == (Share(first, 100, "v1"),)


def test_a_deploy_in_between_is_a_conflict_and_nothing_is_overwritten(
    fake: FakeCloudRun, client: CloudRunClient, make_service: Any
) -> None:
    two_versions(fake, make_service)
    plan = plan_service(client, target(make_service()), None)
    assert deploy(fake, make_service(image="img:3"), "v3", C)
    writes = len(fake.writes())
    with pytest.raises(ConflictError, match="was deployed by someone else while it was being"):
        roll_back(client, plan, timeout=30)
    assert fake.writes()[writes:] == []


# ---- jobs ---------------------------------------------------------------------------------


def test_a_job_goes_back_to_the_recorded_template_and_records_the_one_it_replaced(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    assert deploy(fake, make_job(tasks=2), "v1", A)
    v1 = fake.served_object("jobs", PROJECT, "ingest")
    assert deploy(fake, make_job(tasks=5), "v2", B)
    v2 = fake.served_object("jobs", PROJECT, "ingest")
    assert v1 is not None
    assert v2 is not None
    plan = plan_job(
        client, target(make_job()), None, root=Path("/nowhere"), rerender=never_rendered
    )
    assert (plan.before_version, plan.after_version) == ("v2", "v1")
    assert plan.source == f"the template of v1 recorded on the job (commit {A[:12]})"
    assert [c.render() for c in plan.changes if "previous-template" not in c.path] == [
        f"~ metadata.annotations[{COMMIT_ANNOTATION}]: '{B}' -> '{A}'",
        "~ spec.template.metadata.annotations[polyinfra.dev/version]: 'v2' -> 'v1'",
        "~ spec.template.metadata.labels[polyinfra-version]: 'v2' -> 'v1'",
        "~ spec.template.spec.taskCount: 5 -> 2",
    ]
    assert [(c.path, c.kind) for c in plan.changes if "previous-template" in c.path] == [
        (f"metadata.annotations[{PREVIOUS_TEMPLATE_ANNOTATION}]", "change")
    ]
    roll_back(client, plan, timeout=30)
    back = fake.served_object("jobs", PROJECT, "ingest")
    assert back is not None
    assert back["spec"]["template"] == v1["spec"]["template"]
    assert back["metadata"]["annotations"][COMMIT_ANNOTATION] == A
    record = previous_template(back)
    assert record is not None
    assert (record.version, record.commit) == ("v2", B)
    # rolling back again goes forward
    again = plan_job(
        client, target(make_job()), None, root=Path("/nowhere"), rerender=never_rendered
    )
    assert (again.before_version, again.after_version) == ("v1", "v2")
    roll_back(client, again, timeout=30)
    forward = fake.served_object("jobs", PROJECT, "ingest")
    assert forward is not None
    assert forward["spec"]["template"] == v2["spec"]["template"]
    assert record_of(forward)["version"] == "v1"


def test_a_job_without_a_record_or_a_commit_cannot_be_rolled_back(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any, tmp_path: Path
) -> None:
    assert deploy(fake, make_job(), "v1", A)
    with pytest.raises(UserError) as caught:
        plan_job(client, target(make_job()), None, root=tmp_path, rerender=never_rendered)
    assert caught.value.render() == (
        "ingest (sandbox): job ingest has no record of a previous template (a deploy records "
        "one when it replaces the job's version)\n  hint: name the version to go back to with "
        "--to VERSION: a commit or tag of this repository is re-rendered from git"
    )
    assert deploy(fake, make_job(), "v2", B)
    with pytest.raises(UserError) as caught:
        plan_job(client, target(make_job()), "v0", root=tmp_path, rerender=never_rendered)
    assert caught.value.render() == (
        "ingest (sandbox): version 'v0' of job ingest is neither recorded on the job (the job "
        f"records v1 only) nor a commit of the repository at {tmp_path}\n  hint: name a "
        "recorded version, or a commit or tag that is in this clone (a shallow clone may need "
        "`git fetch --unshallow`)"
    )
    already = plan_job(client, target(make_job()), "v2", root=tmp_path, rerender=never_rendered)
    assert already.desired is None
    assert (
        already.note == "ingest (sandbox): job ingest already runs version v2; nothing to roll back"
    )


def test_a_lost_answer_to_a_job_rollback_is_recognised(
    fake: FakeCloudRun, client: CloudRunClient, make_job: Any
) -> None:
    assert deploy(fake, make_job(tasks=2), "v1", A)
    assert deploy(fake, make_job(tasks=5), "v2", B)
    plan = plan_job(
        client, target(make_job()), "v1", root=Path("/nowhere"), rerender=never_rendered
    )
    writes = len(fake.writes())
    fake.lose_response(method="PUT")
    roll_back(client, plan, timeout=30)
    assert [(r.method, r.status) for r in fake.writes()[writes:]] == [("PUT", 200)]
    back = fake.get_object("jobs", PROJECT, "ingest")
    assert record_of(back)["version"] == "v2"
    assert (
        stamp_version(make_job(tasks=2), "v1")["spec"]["template"]["spec"]["taskCount"]
        == (
            back["spec"]["template"]["spec"]["taskCount"]  # type: ignore[index]
        )
    )
