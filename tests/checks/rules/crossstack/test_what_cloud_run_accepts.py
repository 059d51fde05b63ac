"""What Cloud Run accepts is not an error in `polyinfra check`: an overlay with no namespace
(gcloud takes the project from --project) and an app with no service account (it runs as the
default compute account) are warnings, each reported once, at the overlay to edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import EXAMPLE

SERVICE = "infrastructure/cloudrun_service/inventory-api"
FUNCTION = "infrastructure/cloudrun_function/stock-webhook"
ENVIRONMENTS = (("production", "data-platform-prod"), ("sandbox", "data-platform-sandbox"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return copy


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, ...]]]:
    code = main([*args, "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    return code, [
        (f["rule"], f["level"], f"{f['file']}:{f['line']}:{f['col']}", f["message"],
         f.get("hint") or "")
        for f in found
    ]  # fmt: skip


def without_service_account(root: Path, env: str, project: str) -> None:
    edit(
        root,
        f"{SERVICE}/overlays/{env}/kustomization.yaml",
        "  # Service account (created by the foundation stack)\n"
        "  - patch: |-\n      - op: add\n        path: /spec/template/spec/serviceAccountName\n"
        f"        value: inventory-api@{project}.iam.gserviceaccount.com\n"
        "    target:\n      kind: Service\n      name: inventory-api\n\n",
        "",
    )


def test_overlay_without_namespace_is_a_warning(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = f"{FUNCTION}/overlays/production/kustomization.yaml"
    edit(root, overlay, "namespace: data-platform-prod\n", "")
    code, found = run(["check", str(root)], capsys)
    assert found == [
        (
            "workspace/overlay-namespace",
            "warning",
            f"{root / overlay}:1:1",
            "overlay 'production' of app 'stock-webhook' sets no namespace: Cloud Run accepts "
            "that (gcloud takes the project from --project), but `polyinfra deploy` needs it",
            "add `namespace: data-platform-prod` (gcp:project of "
            "infrastructure/pulumi/Pulumi.production.yaml)",
        )
    ]
    assert code == 0


def test_missing_service_account_is_one_warning_per_overlay(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_service_account(root, "sandbox", "data-platform-sandbox")
    without_service_account(root, "production", "data-platform-prod")
    code, found = run(["check", str(root)], capsys)
    pointer = "/spec/template/spec/serviceAccountName"
    assert found == [
        (
            "cloudrun/service-account",
            "warning",
            f"{root / SERVICE}/overlays/{env}/kustomization.yaml:1:1",
            f"inventory-api ({env}) sets no serviceAccountName: it runs as the Compute Engine "
            "default service account",
            f"add a patch to this overlay: `op: add`, `path: {pointer}`, "
            f"`value: inventory-api@{project}.iam.gserviceaccount.com` (the account "
            f"infrastructure/pulumi/Pulumi.{env}.yaml creates for inventory-api)",
        )
        for env, project in ENVIRONMENTS
    ]
    assert code == 0


def test_lint_of_a_workspace_app_points_at_the_overlay_too(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_service_account(root, "sandbox", "data-platform-sandbox")
    code, found = run(["lint", str(root / SERVICE)], capsys)
    assert found == [
        (
            "cloudrun/service-account",
            "warning",
            f"{root / SERVICE}/overlays/sandbox/kustomization.yaml:1:1",
            "inventory-api (sandbox) sets no serviceAccountName: it runs as the Compute Engine "
            "default service account",
            "add a patch to this overlay setting /spec/template/spec/serviceAccountName to a "
            "service account made for this app",
        )
    ]
    assert code == 0


def test_an_account_the_stack_does_not_create_is_still_an_error(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = f"{SERVICE}/overlays/sandbox/kustomization.yaml"
    edit(
        root, overlay, "inventory-api@data-platform-sandbox", "inventory-apx@data-platform-sandbox"
    )
    code, found = run(["check", str(root)], capsys)
    assert [(rule, level, where) for rule, level, where, *_ in found] == [
        ("crossstack/service-account-exists", "error", f"{root / overlay}:18:16")
    ]
    assert code == 1
