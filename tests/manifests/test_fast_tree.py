"""A tree read without positions (what a render reads) holds what the full read holds, and an
error found on the way is still reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.manifests.tree import load_tree
from polyinfra.yamlio import Bounds

OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: demo
resources:
  - ../../base
images:
  - name: IMAGE_URL
    newName: IMAGE_URL_PLACEHOLDER
patches:
  - patch: |-
      - op: add
        path: /spec/template/spec/serviceAccountName
        value: app@demo.iam.gserviceaccount.com
    target:
      kind: Service
      name: app
"""


def _app(root: Path, overlay: str) -> Path:
    (root / "base").mkdir(parents=True)
    (root / "base" / "service.yaml").write_text(
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: app\n"
    )
    (root / "base" / "kustomization.yaml").write_text("resources:\n  - service.yaml\n")
    (root / "overlays" / "production").mkdir(parents=True)
    (root / "overlays" / "production" / "kustomization.yaml").write_text(overlay)
    return root / "overlays" / "production"


def test_fast_tree_holds_the_same_values(tmp_path: Path) -> None:
    overlay = _app(tmp_path, OVERLAY)
    fast = load_tree(overlay, fast=True, bounds=Bounds())
    full = load_tree(overlay, bounds=Bounds())
    assert fast.directories == full.directories
    assert fast.identities() == full.identities()
    assert fast.unpredictable == full.unpredictable
    assert [(i.name, i.new_name) for i in fast.overlay.images] == [
        (i.name, i.new_name) for i in full.overlay.images
    ]
    assert [r.value for r in fast.overlay.references] == [r.value for r in full.overlay.references]
    fast_ops = [(o.op, o.path) for p in fast.overlay.patches for o in p.ops or ()]
    assert fast_ops == [(o.op, o.path) for p in full.overlay.patches for o in p.ops or ()]
    assert fast_ops == [("add", "/spec/template/spec/serviceAccountName")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (OVERLAY.replace("resources:\n  - ../../base\n", "resources: ../../base\n"), 4),
        (OVERLAY.replace("  - ../../base\n", "  - ../../base\n  - 7\n"), 6),
    ],
    ids=["resources not a list", "resource not a path"],
)
def test_fast_tree_errors_keep_their_line(tmp_path: Path, text: str, line: int) -> None:
    overlay = _app(tmp_path, text)
    with pytest.raises(UserError) as full:
        load_tree(overlay, bounds=Bounds())
    with pytest.raises(UserError) as fast:
        load_tree(overlay, fast=True, objects=False, bounds=Bounds())
    assert fast.value.position is not None
    assert full.value.position is not None
    assert fast.value.position.line == full.value.position.line == line
    assert fast.value.message == full.value.message
