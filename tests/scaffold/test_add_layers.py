"""`polyinfra add` in a three-stack workspace: the app's image repository goes to the platform
stack file, everything else to the services one, and the overlay runs as the account in the
project the platform states."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.yamlio import load_file
from tests.foundation.three_stack import PLATFORM, SERVICES, three_stack_workspace


def _without_registry(root: Path) -> None:
    text = (root / PLATFORM / "Pulumi.sandbox.yaml").read_text()
    start = text.index("  input:projects:\n")
    (root / PLATFORM / "Pulumi.sandbox.yaml").write_text(text[:start])


def test_add_splits_the_apps_entries_between_platform_and_services(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    _without_registry(root)
    services_before = (root / SERVICES / "Pulumi.sandbox.yaml").read_text()
    args = ["add", "job", "stock-sync", "--project", "stock_webhook", "--env", "sandbox"]
    args += ["--schedule", "0 1 * * *", "--time-zone", "UTC", "-w", str(root)]
    assert main(args) == 0

    platform = load_file(root / PLATFORM / "Pulumi.sandbox.yaml").data["config"]
    assert platform["input:projects"] == {
        "stock-webhook": {
            "artifact_registry": {
                "repository_id": "stock-webhook",
                "format": "DOCKER",
                "location": "asia-southeast1",
                "description": "Container images of stock-webhook",
                "cleanup_policies": [
                    {
                        "action": "DELETE",
                        "id": "delete-prerelease",
                        "condition": {"older_than": "2592000s"},
                    },
                    {
                        "action": "KEEP",
                        "id": "keep-minimum-versions",
                        "most_recent_versions": {"keep_count": 10},
                    },
                ],
            }
        }
    }
    services = load_file(root / SERVICES / "Pulumi.sandbox.yaml").data["config"]
    entry = services["input:projects"]["stock-webhook"]
    assert "artifact_registry" not in entry
    assert entry["service_account_iam"]["roles"] == ["roles/logging.logWriter"]
    assert entry["iam"] == [{"role": "roles/run.invoker", "resource": {"job": "stock-sync"}}]
    assert [(j["name"], j["target_job"]) for j in entry["cloud_scheduler"]] == [
        ("stock-sync", "stock-sync")
    ]
    # the rest of the services file is as it was
    assert (
        (root / SERVICES / "Pulumi.sandbox.yaml")
        .read_text()
        .startswith(services_before[: services_before.index("  input:projects:")])
    )
    overlay = root / "infrastructure/cloudrun_job/stock-sync/overlays/sandbox/kustomization.yaml"
    text = overlay.read_text()
    assert "stock-webhook@data-platform-sandbox.iam.gserviceaccount.com" in text
    assert "${platform" not in text
    assert main(["check", "--env", "sandbox", "-w", str(root)]) == 0


def test_add_refuses_an_environment_the_platform_has_no_stack_file_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    (root / PLATFORM / "Pulumi.production.yaml").unlink()
    args = ["add", "service", "stock-admin", "--project", "stock_webhook", "-w", str(root)]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"environment 'production' has no stack file {root / PLATFORM}/Pulumi.production.yaml"
        in err
    )
    assert not (root / "infrastructure/cloudrun_service/stock-admin").exists()
