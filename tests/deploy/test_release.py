"""What a deploy stamps on an object and how the stamps are read back."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from polyinfra.deploy.release import (
    COMMIT_ANNOTATION,
    deployed_commit,
    head_commit,
    is_managed,
    managed_app,
    managed_selector,
    resolve_commit,
    stamp_release,
)


def test_stamp_release_labels_the_object_and_keeps_the_manifest(make_service: Any) -> None:
    manifest = make_service()
    manifest["metadata"]["labels"] = {"team": "data"}
    stamped = stamp_release(manifest, app="api", env="sandbox", version="v1", commit="a" * 40)
    assert stamped["metadata"]["labels"] == {
        "team": "data",
        "managed-by": "polyinfra",
        "polyinfra-app": "api",
        "polyinfra-env": "sandbox",
    }
    assert stamped["metadata"]["annotations"] == {COMMIT_ANNOTATION: "a" * 40}
    assert deployed_commit(stamped) == "a" * 40
    assert manifest["metadata"]["labels"] == {"team": "data"}
    assert is_managed(stamped)
    assert managed_app(stamped) == "api"
    assert not is_managed(manifest)
    assert managed_app(manifest) is None


def test_a_name_that_is_no_label_value_is_not_stamped(make_service: Any) -> None:
    manifest = make_service()
    manifest["metadata"].pop("labels", None)
    stamped = stamp_release(manifest, app="Api_Upper", env="prod", version="v1")
    assert stamped["metadata"]["labels"] == {"managed-by": "polyinfra", "polyinfra-env": "prod"}
    assert deployed_commit(stamped) is None


def test_selectors() -> None:
    assert managed_selector() == "managed-by=polyinfra"
    assert managed_selector("sandbox") == "managed-by=polyinfra,polyinfra-env=sandbox"


def test_head_commit_inside_and_outside_a_checkout(tmp_path: Path) -> None:
    assert head_commit(tmp_path) == ""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert head_commit(tmp_path) == ""  # no commit yet
    (tmp_path / "f").write_text("x")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-qm", "f"], check=True)
    sha = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert head_commit(tmp_path) == sha


def test_resolve_commit_takes_a_sha_short_or_full_or_a_tag(tmp_path: Path) -> None:
    assert resolve_commit(tmp_path, "HEAD") is None  # not a checkout
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("x")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-qm", "f"], check=True)
    subprocess.run([*git, "tag", "v1.0"], check=True)
    sha = head_commit(tmp_path)
    for ref in (sha, sha[:7], "v1.0"):
        assert resolve_commit(tmp_path, ref) == sha
    for ref in ("v2.0", "0" * 40, "--help", ""):
        assert resolve_commit(tmp_path, ref) is None
    # a tree or a blob is no commit
    tree = subprocess.run([*git, "rev-parse", "HEAD^{tree}"], capture_output=True, text=True)
    assert resolve_commit(tmp_path, tree.stdout.strip()) is None
