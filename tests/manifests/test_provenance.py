"""Rendered fields point at the overlay op, base node or kustomization that wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.manifests import RenderedApp, RenderOptions, RenderRequest, render
from polyinfra.positions import Position
from tests.conftest import write_tree

BASE = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: etl
  annotations:
    run.googleapis.com/launch-stage: BETA
spec:
  template:
    spec:
      taskCount: 1
      template:
        spec:
          maxRetries: 3
          containers:
          - name: worker
            image: IMAGE_URL
            env:
            - name: COMPONENT
              value: etl
"""

OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod-project
namePrefix: acme-
resources:
  - ../../base
images:
  - name: IMAGE_URL
    newName: IMAGE_URL_PLACEHOLDER
patches:
  - patch: |-
      - op: add
        path: /spec/template/spec/template/spec/containers/0/env/-
        value:
          name: VERSION
          value: VERSION_PLACEHOLDER
      - op: add
        path: /spec/template/spec/template/spec/containers/0/env/-
        value:
          name: TOKEN
          valueFrom:
            secretKeyRef:
              name: TOKEN
              key: latest
    target:
      kind: Job
      name: etl
  - path: retries.yaml
"""

RETRIES = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: etl
spec:
  template:
    spec:
      template:
        spec:
          maxRetries: 1
"""

JOB = ("spec", "template", "spec", "template", "spec")


@pytest.fixture
def rendered(tmp_path: Path) -> RenderedApp:
    write_tree(
        tmp_path,
        {
            "etl/base/kustomization.yaml": "resources:\n  - job.yaml\n",
            "etl/base/job.yaml": BASE,
            "etl/overlays/prod/kustomization.yaml": OVERLAY,
            "etl/overlays/prod/retries.yaml": RETRIES,
        },
    )
    request = RenderRequest("etl", "prod", tmp_path / "etl/overlays/prod", "reg/etl:9")
    return render([request], RenderOptions(version="9")).apps[0]


def test_fields_map_to_their_source(rendered: RenderedApp, tmp_path: Path) -> None:
    overlay = tmp_path / "etl/overlays/prod/kustomization.yaml"
    base = tmp_path / "etl/base/job.yaml"
    retries = tmp_path / "etl/overlays/prod/retries.yaml"
    job = rendered.primary
    assert job is not None
    assert (job.kind, job.name, job.namespace) == ("Job", "acme-etl", "prod-project")
    container = (*JOB, "containers", 0)
    env = (*container, "env")
    assert job.data["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "COMPONENT", "value": "etl"},
        {"name": "VERSION", "value": 9},  # sed output: YAML reads 9 as a number
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"key": "latest", "name": "TOKEN"}}},
    ]
    cases = {
        # base nodes, list items matched by name
        ("metadata", "annotations", "run.googleapis.com/launch-stage"): Position(base, 6, 5),
        (*JOB[:3], "taskCount"): Position(base, 10, 7),
        (*env, 0, "value"): Position(base, 19, 15),
        # the op that appended each env item, then the node inside its value
        (*env, 1): Position(overlay, 12, 9),
        (*env, 1, "value"): Position(overlay, 16, 11),
        (*env, 2, "valueFrom", "secretKeyRef", "key"): Position(overlay, 24, 15),
        # a strategic-merge patch file
        (*JOB, "maxRetries"): Position(retries, 10, 11),
        # transformers of the overlay
        ("metadata", "namespace"): Position(overlay, 3, 12),
        ("metadata", "name"): Position(overlay, 4, 13),
        (*container, "image"): Position(overlay, 8, 5),
    }
    for path, expected in cases.items():
        assert job.position(path) == expected, path
    assert rendered.source(job.index, (*JOB, "maxRetries")) == Position(retries, 10, 11)


def test_unknown_field_falls_back_to_the_overlay(rendered: RenderedApp, tmp_path: Path) -> None:
    job = rendered.primary
    assert job is not None
    overlay = tmp_path / "etl/overlays/prod/kustomization.yaml"
    assert job.position(("spec", "nothing", "here")) == Position(overlay, 1, 1)
