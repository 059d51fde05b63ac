"""Concurrent rollout: the concurrency bound and field-level diffs."""

from __future__ import annotations

import threading
from typing import Any

from polyinfra.deploy.client import CloudRunClient, Pacer
from polyinfra.deploy.diff import diff_objects
from polyinfra.deploy.rollout import (
    AppResult,
    DeployOptions,
    DeployTarget,
    deploy_manifests,
)
from polyinfra.emulator import FakeCloudRun


class InFlight:
    """Observer counting how many apps are between started and finished."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def started(self, target: DeployTarget) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def progress(self, target: DeployTarget, message: str) -> None:
        pass

    def finished(self, result: AppResult) -> None:
        with self.lock:
            self.now -= 1


def test_at_most_concurrency_apps_are_in_flight(make_service: Any) -> None:
    observer = InFlight()
    with FakeCloudRun(ready_after=1, ready_latency=0.3) as fake:

        def factory(region: str, pacer: Pacer) -> CloudRunClient:
            return CloudRunClient(endpoint=fake.endpoint, credentials=None, pacer=pacer)

        targets = [
            DeployTarget(f"app-{i}", "sandbox", make_service(name=f"app-{i}"), "r")
            for i in range(8)
        ]
        report = deploy_manifests(
            targets,
            DeployOptions(version="v1", concurrency=3, first_poll=0.05, poll=0.1),
            client_factory=factory,
            observer=observer,
        )
    assert report.ok
    assert observer.most == 3
    assert [r.target.app for r in report.results] == [f"app-{i}" for i in range(8)]
    assert len(fake.objects("services")) == 8


def test_diff_ignores_server_fields_and_reports_dropped_labels(make_service: Any) -> None:
    live = make_service()
    live["metadata"].update(
        generation=3,
        resourceVersion="17",
        uid="u",
        labels={"team": "data", "old": "x", "cloud.googleapis.com/location": "europe-west1"},
        annotations={"serving.knative.dev/creator": "someone@example.com"},
    )
    live["status"] = {"observedGeneration": 3}
    live["spec"]["template"]["spec"]["containerConcurrency"] = 80  # a server default
    desired = make_service(image="img:2")
    assert [c.render() for c in diff_objects(live, desired)] == [
        "- metadata.labels[old]: 'x'",
        "~ spec.template.spec.containers[app].image: 'img:1' -> 'img:2'",
    ]
    assert [c.path for c in diff_objects(live, make_service())] == ["metadata.labels[old]"]
    assert [c.render() for c in diff_objects(None, desired)] == ["+ (whole object): 'create'"]


def test_diff_compares_server_annotations_the_manifest_sets_itself(make_service: Any) -> None:
    # A Cloud Run function's manifest sets run.googleapis.com/client-name itself.
    desired = make_service()
    desired["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/client-name"] = (
        "cloudfunctions"
    )
    live = make_service()
    live["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/client-name"] = (
        "cloudfunctions"
    )
    assert diff_objects(live, desired) == []
    live["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/client-name"] = "gcloud"
    assert [c.render() for c in diff_objects(live, desired)] == [
        "~ spec.template.metadata.annotations[run.googleapis.com/client-name]: 'gcloud' -> "
        "'cloudfunctions'"
    ]
    del live["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/client-name"]
    assert [c.kind for c in diff_objects(live, desired)] == ["add"]
