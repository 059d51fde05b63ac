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


def test_diff_ignores_annotations_the_server_owns_even_where_the_manifest_sets_them(
    make_service: Any,
) -> None:
    # A Cloud Run function's manifest sets run.googleapis.com/client-name; what comes back names
    # the tool that wrote last.
    desired = make_service()
    template = desired["spec"]["template"]["metadata"]
    template["annotations"]["run.googleapis.com/client-name"] = "cloudfunctions"
    live = make_service()
    live_template = live["spec"]["template"]["metadata"]
    live_template["annotations"]["run.googleapis.com/client-name"] = "gcloud"
    live_template["annotations"]["run.googleapis.com/client-version"] = "457.0.0"
    live_template["labels"] = {"run.googleapis.com/startupProbeType": "Default"}
    live["metadata"]["annotations"] = {
        "run.googleapis.com/operation-id": "0b5b4c5e",
        "serving.knative.dev/lastModifier": "ci@example.com",
    }
    assert diff_objects(live, desired) == []
    del live_template["annotations"]["run.googleapis.com/client-name"]
    assert diff_objects(live, desired) == []


def test_diff_ignores_a_default_the_server_fills_in_unless_the_manifest_sets_it(
    make_service: Any,
) -> None:
    desired = make_service()
    del desired["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/maxScale"]
    live = make_service()
    live["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/maxScale"] = "100"
    assert diff_objects(live, desired) == []
    assert [c.render() for c in diff_objects(live, make_service())] == [
        "~ spec.template.metadata.annotations[autoscaling.knative.dev/maxScale]: '100' -> '2'"
    ]
    labelled = make_service()
    labelled["metadata"]["labels"]["cloud.googleapis.com/location"] = "us-central1"
    live["metadata"]["labels"]["cloud.googleapis.com/location"] = "europe-west1"
    assert [c.render() for c in diff_objects(live, labelled)] == [
        "~ metadata.labels[cloud.googleapis.com/location]: 'europe-west1' -> 'us-central1'",
        "~ spec.template.metadata.annotations[autoscaling.knative.dev/maxScale]: '100' -> '2'",
    ]
