"""The record of a job's previous template that a deploy keeps on the job."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from polyinfra.deploy.client import CloudRunClient
from polyinfra.deploy.release import stamp_release
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.rollback import (
    MAX_RECORD_BYTES,
    PREVIOUS_TEMPLATE_ANNOTATION,
    record_previous,
)
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests
from polyinfra.emulator import FakeCloudRun

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
