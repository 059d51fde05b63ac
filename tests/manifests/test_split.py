"""Splitting kustomize output per object, and telling remote references from local ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.manifests.documents import identity_of, split_documents
from polyinfra.manifests.kustomization import is_remote

OUTPUT = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  annotations:
    note: |
      ---
      not a separator (indented)
  name: api
  namespace: proj
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: "true"
data:
  A: "1"
"""


def test_split_and_identities() -> None:
    docs = split_documents(OUTPUT)
    assert len(docs) == 2
    assert "---\n".join(docs) == OUTPUT
    assert identity_of(docs[0]) == ("serving.knative.dev", "Service", "proj", "api")
    # a quoted name is read by the YAML parser rather than guessed
    assert identity_of(docs[1]) == ("", "ConfigMap", "", "true")


def test_split_empty_output() -> None:
    assert split_documents("") == []


@pytest.mark.parametrize(
    ("ref", "remote"),
    [
        ("https://github.com/org/repo//deploy?ref=v1", True),
        ("git@github.com:org/repo.git//base", True),
        ("github.com/org/repo/deploy?ref=main", True),
        ("ssh://git@example.com/repo.git", True),
        ("github.com/org/repo/base", True),
        ("../../base", False),
        ("service.yaml", False),
        ("configs.d/service.yaml", False),
    ],
)
def test_is_remote(ref: str, remote: bool, tmp_path: Path) -> None:
    (tmp_path / "configs.d").mkdir()
    (tmp_path / "configs.d/service.yaml").write_text("")
    assert is_remote(ref, tmp_path) is remote
