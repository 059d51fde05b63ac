"""The read-only view of a Cloud Run object: what it reads where, and nothing where the object
holds something else (a manifest may be anything)."""

from __future__ import annotations

from typing import Any

import pytest

from polyinfra.cloudrun.vocabulary import (
    JOB_API,
    LOCATION_LABEL,
    SERVICE_API,
    CloudRunObject,
    pod_spec,
)

SERVICE: dict[str, Any] = {
    "apiVersion": SERVICE_API,
    "kind": "Service",
    "metadata": {
        "name": "api",
        "namespace": "acme-prod",
        "labels": {LOCATION_LABEL: "asia-southeast1"},
        "annotations": {"run.googleapis.com/ingress": "internal"},
    },
    "spec": {
        "template": {
            "metadata": {"annotations": {"autoscaling.knative.dev/maxScale": "3"}},
            "spec": {
                "serviceAccountName": "api@acme-prod.iam.gserviceaccount.com",
                "containers": [{"image": "a"}, "not a container", {"image": "b"}],
            },
        }
    },
}
JOB: dict[str, Any] = {
    "apiVersion": JOB_API,
    "kind": "Job",
    "metadata": {"name": "etl"},
    "spec": {
        "template": {
            "metadata": {"annotations": {"run.googleapis.com/vpc-access-egress": "all"}},
            "spec": {"template": {"spec": {"serviceAccountName": "etl@p.iam", "containers": []}}},
        }
    },
}


def test_a_service_is_read_at_the_revision_template() -> None:
    view = CloudRunObject(SERVICE)
    assert (view.is_service, view.is_job) == (True, False)
    assert (view.name, view.namespace, view.location) == ("api", "acme-prod", "asia-southeast1")
    assert view.annotations == {"run.googleapis.com/ingress": "internal"}
    assert view.template_annotations == {"autoscaling.knative.dev/maxScale": "3"}
    assert view.service_account == "api@acme-prod.iam.gserviceaccount.com"
    assert [c["image"] for c in view.containers] == ["a", "b"]
    assert pod_spec(SERVICE) is SERVICE["spec"]["template"]["spec"]


def test_a_job_is_read_at_the_task_template() -> None:
    view = CloudRunObject(JOB)
    assert (view.is_service, view.is_job) == (False, True)
    assert view.template_annotations == {"run.googleapis.com/vpc-access-egress": "all"}
    assert view.service_account == "etl@p.iam"
    assert view.containers == []
    assert view.location is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "Job", "apiVersion": SERVICE_API},
        {"kind": 3, "metadata": ["name"], "spec": "x"},
        {"metadata": {"name": 7, "labels": "x", "annotations": None}},
    ],
)
def test_the_wrong_shape_reads_as_absent(data: dict[str, Any]) -> None:
    view = CloudRunObject(data)
    assert (view.is_service, view.is_job) == (False, False)
    assert (view.name, view.namespace, view.location, view.service_account) == (None,) * 4
    assert (view.labels, view.annotations, view.template_annotations) == ({}, {}, {})
    assert (dict(view.pod_spec), view.containers) == ({}, [])


def test_a_job_with_a_broken_template_has_no_pod_spec() -> None:
    view = CloudRunObject(
        {"apiVersion": JOB_API, "kind": "Job", "spec": {"template": {"spec": {"template": 1}}}}
    )
    assert view.is_job
    assert (dict(view.pod_spec), view.containers, view.service_account) == ({}, [], None)
