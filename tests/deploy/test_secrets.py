"""No token or secret-looking value reaches any output: progress, results, diffs, errors, logs."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from rich.console import Console

from polyinfra.deploy.client import CloudRunClient, Pacer
from polyinfra.deploy.display import (
    PlainProgress,
    dry_run_lines,
    failure_lines,
    results_table,
    results_text,
)
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests
from polyinfra.emulator import FakeCloudRun
from tests.deploy.conftest import token_credentials

TOKEN = "ya29.a0-this-must-never-be-printed"
SECRET = "hunter2-plaintext-password"


def with_password(make_service: Any, value: str) -> dict[str, Any]:
    manifest: dict[str, Any] = make_service()
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "DB_PASSWORD", "value": value}, {"name": "MODE", "value": "x"}]
    return manifest


def test_no_token_or_secret_in_output_logs_or_errors(
    make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="polyinfra.deploy.http")
    stream = io.StringIO()
    console = Console(file=stream, width=200)

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient(
            endpoint=fake.endpoint, credentials=token_credentials(TOKEN), pacer=pacer
        )

    with FakeCloudRun(ready_after=1) as fake:
        target = DeployTarget("api", "sandbox", with_password(make_service, "old-value"), "r")
        first = deploy_manifests(
            [target],
            DeployOptions(version="v1", first_poll=0.01),
            client_factory=factory,
            observer=PlainProgress(console),
        )
        assert first.ok
        changed = DeployTarget("api", "sandbox", with_password(make_service, SECRET), "r")
        dry = deploy_manifests(
            [changed],
            DeployOptions(version="v1", dry_run=True),
            client_factory=factory,
            observer=PlainProgress(console),
        )
        # With credentials the dry run also asks the API to validate the replace.
        assert [(r.method, r.dry_run) for r in fake.requests[-3:]] == [
            ("GET", False),
            ("GET", False),
            ("PUT", True),
        ]
        assert fake.get_object("services", "proj", "api")["metadata"]["generation"] == 1  # type: ignore[index]
        fake.fail(403, method="PUT", message="Permission denied on resource")
        failed = deploy_manifests(
            [changed],
            DeployOptions(version="v2", first_poll=0.01),
            client_factory=factory,
            observer=PlainProgress(console),
        )
        sent = [r.headers.get("authorization") for r in fake.requests]
    # The token did go to the server...
    assert set(sent) == {f"Bearer {TOKEN}"}
    diff = dry_run_lines(dry)
    assert (
        "    ~ spec.template.spec.containers[app].env[DB_PASSWORD].value: <redacted> -> <redacted>"
        in diff
    )
    assert not failed.ok
    assert "permission denied (HTTP 403 PERMISSION_DENIED)" in failure_lines(failed)[0]
    console.print(results_table(failed))
    printed = "\n".join(
        [stream.getvalue(), results_text(failed), *diff, *failure_lines(failed), caplog.text]
    )
    # ... but neither it nor the secret value appears anywhere we print or log.
    assert "Authorization" in caplog.text or "authorization" in caplog.text
    assert TOKEN not in printed
    assert SECRET not in printed
    assert "old-value" not in printed
