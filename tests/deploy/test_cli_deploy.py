"""`polyinfra deploy` end to end on the example workspace, against the fake Cloud Run API."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.apply import VERSION_ANNOTATION, VERSION_LABEL
from polyinfra.deploy.diff import SERVER_LABELS
from polyinfra.deploy.release import stamp_release
from polyinfra.emulator import FakeCloudRun
from polyinfra.manifests import render_apps
from polyinfra.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
JOB = "dmd-inv-mov-api2bq"
OVERLAY = "infrastructure/cloudrun_service/inventory-api/overlays/sandbox/kustomization.yaml"
APPS = [JOB, "inventory-api", "stock-webhook"]

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        yield fake


def deploy(*args: str) -> int:
    return main(["deploy", "--env", "sandbox", "-w", str(EXAMPLE), *args])


def without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    obj = dict(obj)
    obj.pop("status", None)
    metadata = dict(obj["metadata"])
    for key in ("generation", "resourceVersion", "uid", "creationTimestamp"):
        metadata.pop(key, None)
    labels = {k: v for k, v in metadata.get("labels", {}).items() if k not in SERVER_LABELS}
    metadata["labels"] = labels
    obj["metadata"] = metadata
    return obj


def digest_images() -> list[str]:
    """``--image`` options pinning every app to a digest in its stack's registry, so that
    successive deploys differ in the version only."""
    rendered = render_apps(Workspace.discover(EXAMPLE), [], "sandbox", "v1")
    options = []
    for app in rendered.apps:
        data = app.primary.data  # type: ignore[union-attr]
        spec = data["spec"]["template"]["spec"]
        container = (spec.get("template", {}).get("spec") or spec)["containers"][0]
        repository = container["image"].rsplit(":", 1)[0]
        options.append(f"--image={app.app}={repository}@sha256:{'a' * 64}")
    return options


def stored(fake: FakeCloudRun, kind: str, name: str) -> dict[str, Any]:
    obj = fake.get_object("services" if kind == "Service" else "jobs", PROJECT, name)
    assert obj is not None, f"{kind} {name} was not deployed"
    return obj


def test_deploys_every_app_and_stored_objects_equal_the_rendered_manifests(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--all", "--version", "v1") == 0
    output = capsys.readouterr()
    assert f"Cloud Run emulator at http://{emulator.host}" in output.err
    ws = Workspace.discover(EXAMPLE)
    rendered = render_apps(ws, [], "sandbox", "v1")
    head = subprocess.run(
        ["git", "-C", str(EXAMPLE), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert len(head) == 40
    assert sorted(app.app for app in rendered.apps) == APPS
    for app in rendered.apps:
        data = app.primary.data  # type: ignore[union-attr]
        live = without_server_fields(stored(emulator, data["kind"], data["metadata"]["name"]))
        assert live == stamp_release(data, app=app.app, env="sandbox", version="v1", commit=head)
        assert {
            k: v
            for k, v in live["metadata"]["labels"].items()
            if "polyinfra" in v or "polyinfra" in k
        } == {
            "managed-by": "polyinfra",
            "polyinfra-app": app.app,
            "polyinfra-env": "sandbox",
        }
        template = live["spec"]["template"]["metadata"]
        assert template["annotations"][VERSION_ANNOTATION] == "v1"
        assert template["labels"][VERSION_LABEL] == "v1"
    lines = output.out.splitlines()
    assert lines[0].split() == ["app", "kind", "revision", "/", "execution", "result", "seconds"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if " is at " not in line}
    assert rows["inventory-api"][:2] == ["inventory-api", "service"]
    assert rows["inventory-api"][2] == emulator.revisions(PROJECT, "inventory-api")[0]
    assert rows["inventory-api"][3] == "created"
    assert rows[JOB][1:4] == ["job", JOB, "created"]
    assert max(len(line) for line in lines) <= 80


def test_second_deploy_with_only_a_new_version_rolls_new_revisions(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    images = digest_images()
    assert deploy("--all", "--version", "v1", *images) == 0
    assert deploy("--all", "--version", "v2", *images) == 0
    for service in ("inventory-api", "stock-webhook"):
        assert len(emulator.revisions(PROJECT, service)) == 2
    job = stored(emulator, "Job", JOB)
    assert job["metadata"]["generation"] == 2
    out = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in out if " is at " not in line]
    assert [row[3] for row in rows if row[0] in ("inventory-api", JOB)] == [
        "created",
        "created",
        "replaced",
        "replaced",
    ]
    puts = [r for r in emulator.writes() if r.method == "PUT"]
    assert len(puts) == 3
    assert all(r.body and r.body["metadata"]["resourceVersion"] for r in puts)


def test_same_version_and_spec_again_is_unchanged_and_writes_nothing(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    images = digest_images()
    assert deploy("--all", "--version", "v1", *images) == 0
    writes = len(emulator.writes())
    capsys.readouterr()
    assert deploy("--all", "--version", "v1", *images) == 0
    out = capsys.readouterr().out
    assert len(emulator.writes()) == writes
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if " is at " not in line}
    assert {app: rows[app][3] for app in APPS} == dict.fromkeys(APPS, "unchanged")
    for service in ("inventory-api", "stock-webhook"):
        assert len(emulator.revisions(PROJECT, service)) == 1


def test_a_deployed_service_prints_its_url(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--all", "--version", "v1") == 0
    out = capsys.readouterr().out.splitlines()
    urls = [line for line in out if " is at " in line]
    live = {
        name: stored(emulator, "Service", name)["status"]["url"]
        for name in ("inventory-api", "stock-webhook")
    }
    assert urls == [
        f"inventory-api is at {live['inventory-api']}",
        f"stock-webhook is at {live['stock-webhook']}",
    ]
    assert re.fullmatch(
        r"https://inventory-api-\d{12}\.[a-z0-9-]+\.run\.app", live["inventory-api"]
    )


def test_ready_false_shows_message_reason_app_env_and_overlay(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.script(
        "inventory-api",
        ready=False,
        message="The user-provided container failed the configured startup probe checks.",
        reason="HealthCheckContainerError",
    )
    assert deploy("inventory-api", "--version", "v1") == 1
    err = capsys.readouterr().err
    assert (
        f"error: inventory-api (env sandbox, {OVERLAY}): Ready=False: The user-provided "
        "container failed the configured startup probe checks. (reason: "
        "HealthCheckContainerError)"
    ) in err


def test_timeout_is_a_failure_with_a_clear_message(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.ready_after = 100_000
    started = time.monotonic()
    assert deploy("inventory-api", "--version", "v1", "--timeout", "1") == 1
    assert time.monotonic() - started < 10
    captured = capsys.readouterr()
    assert "error: inventory-api (env sandbox" in captured.err
    assert "not ready after 1s (last state: waiting for generation 1)" in captured.err
    assert "timeout" in captured.out


def test_fail_fast_starts_no_further_app(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.script(JOB, ready=False, message="bad job")
    code = deploy("--all", "--version", "v1", "--concurrency", "1", "--fail-fast")
    assert code == 1
    assert emulator.objects("services") == []
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [row[0] for row in rows] == APPS
    assert rows[0][2:4] == [JOB, "failed"]
    assert [row[3:5] for row in rows[1:]] == [["not", "started"], ["not", "started"]]


def test_without_fail_fast_the_other_apps_still_deploy(emulator: FakeCloudRun) -> None:
    emulator.script(JOB, ready=False, message="bad job")
    assert deploy("--all", "--version", "v1", "--concurrency", "1") == 1
    assert len(emulator.objects("services")) == 2


def test_dry_run_writes_nothing_and_shows_a_field_diff(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("inventory-api", "--version", "v1", "--dry-run") == 0
    assert emulator.writes() == []
    first = capsys.readouterr().out
    assert "inventory-api (sandbox) service inventory-api: create" in first
    assert deploy("inventory-api", "--version", "v1") == 0
    writes = len(emulator.writes())
    before = stored(emulator, "Service", "inventory-api")
    capsys.readouterr()
    assert deploy("inventory-api", "--version", "v2", "--dry-run") == 0
    assert len(emulator.writes()) == writes
    assert stored(emulator, "Service", "inventory-api") == before
    out = capsys.readouterr().out.splitlines()
    assert "inventory-api (sandbox) service inventory-api: replace" in out
    assert f"    ~ spec.template.metadata.annotations[{VERSION_ANNOTATION}]: 'v1' -> 'v2'" in out
    assert (
        "    ~ spec.template.spec.containers[inventory-api].env[VERSION].value: 'v1' -> 'v2'" in out
    )
    assert out[-1] == "dry run: nothing was written"
    # Against an emulator a dry run only reads.
    assert [r.method for r in emulator.requests if r.dry_run] == []


def test_job_execute_reports_failed_tasks(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.script(JOB, polls=1)
    emulator.script(JOB, polls=1, ready=False, failed_tasks=1, message="Task 0 exited with 2")
    assert deploy(JOB, "--version", "v1", "--execute") == 1
    err = capsys.readouterr().err
    assert "failed: 1 of 1 task(s) failed: Task 0 exited with 2" in err
    runs = [r for r in emulator.requests if r.path.endswith(":run")]
    assert len(runs) == 1


def test_job_execute_success(emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy(JOB, "--version", "v1", "--execute") == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:2] == [JOB, "job"]
    assert re.fullmatch(r"dmd-inv-mov-api2bq-[a-z0-9]{5}", row[2])
    assert row[3] == "created"


def test_bad_arguments_are_usage_errors(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--version", "v1") == 2
    assert "no apps named" in capsys.readouterr().err
    assert deploy("--all", "inventory-api", "--version", "v1") == 2
    assert emulator.requests == []


def test_ctrl_c_mid_wait_reports_what_was_and_was_not_applied() -> None:
    with FakeCloudRun(ready_after=1_000_000) as fake:
        env = dict(os.environ, CLOUD_RUN_EMULATOR_HOST=fake.host)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "polyinfra",
                "deploy",
                "--all",
                "--env",
                "sandbox",
                "--version",
                "v1",
                "--concurrency",
                "1",
                "-w",
                str(EXAMPLE),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # A test runner started in the background ignores SIGINT, and children inherit
            # that; a user's terminal does not.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            deadline = time.monotonic() + 60
            while not fake.writes() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the app is now waiting for Ready
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 130, err
    assert "Interrupted." in err
    assert f"applied, readiness not confirmed: {JOB}" in err
    assert "not applied: inventory-api, stock-webhook" in err
    assert "Traceback" not in err
    assert len(fake.writes()) == 1
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [row[:2] for row in rows] == [[JOB, "job"]] + [[app, "service"] for app in APPS[1:]]
    assert rows[0][3:] == ["applied,", "not", "confirmed", rows[0][-1]]


def test_emulator_option_deploys_the_example_to_a_local_fake(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    assert deploy("--all", "--version", "demo", "--emulator") == 0
    captured = capsys.readouterr()
    assert "Local Cloud Run emulator at http://127.0.0.1:" in captured.err
    assert "Nothing is deployed to Google Cloud." in captured.err
    assert (
        "Local emulator now holds: services inventory-api, stock-webhook; jobs dmd-inv-mov-api2bq\n"
    ) in captured.err
    lines = captured.out.splitlines()
    rows = [line.split() for line in lines[1 : 1 + len(APPS)]]
    assert [(row[0], row[-2]) for row in rows] == [(app, "created") for app in APPS]
    urls = [line.split() for line in lines[1 + len(APPS) :]]
    assert [url[:3] for url in urls] == [
        ["inventory-api", "is", "at"],
        ["stock-webhook", "is", "at"],
    ]
    # the local emulator answers for the region the stack deploys to
    assert all(url[3].endswith(".asia-southeast1.run.app") for url in urls), urls


def test_manifest_errors_stop_the_deploy_before_any_call(
    emulator: FakeCloudRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    base = copy / "infrastructure" / "cloudrun_service" / "inventory-api" / "base" / "service.yaml"
    lines = base.read_text().splitlines(keepends=True)
    assert lines[20] == "      timeoutSeconds: 300\n"
    lines.insert(21, "      timeoutSecs: 300\n")
    base.write_text("".join(lines))
    code = main(["deploy", "--all", "--env", "sandbox", "--version", "v1", "-w", str(copy)])
    assert code == 1
    err = capsys.readouterr().err
    assert (
        "infrastructure/cloudrun_service/inventory-api/base/service.yaml:22:7: error: unknown "
        "field 'timeoutSecs' in RevisionSpec (spec.template.spec)"
    ) in err
    assert "deploy stopped: 1 error(s) in the rendered manifests; nothing was deployed" in err
    assert emulator.requests == []


def test_region_from_flag_else_from_the_stack(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("inventory-api", "--version", "v1") == 0
    assert (
        "inventory-api (sandbox): deploying service inventory-api to project "
        "data-platform-sandbox, region asia-southeast1"
    ) in capsys.readouterr().err
    assert deploy("inventory-api", "--version", "v2", "--region", "europe-west1") == 0
    assert "region europe-west1" in capsys.readouterr().err


def test_no_region_anywhere_is_a_usage_error(
    emulator: FakeCloudRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    stack_file = copy / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    text = stack_file.read_text()
    assert "  gcp:region: asia-southeast1\n" in text
    text = text.replace("  gcp:region: asia-southeast1\n", "")
    # the job's invoker grant then names its region itself, as the scheduler entry does
    grant = "          resource: {job: dmd-inv-mov-api2bq}\n"
    assert text.count(grant) == 1
    stack_file.write_text(text.replace(grant, grant + "          location: asia-southeast1\n"))
    code = main(["deploy", "inventory-api", "--env", "sandbox", "--version", "v1", "-w", str(copy)])
    assert code == 2
    err = capsys.readouterr().err
    base = copy / "infrastructure" / "cloudrun_service" / "inventory-api" / "base"
    assert (
        f"error: {base / 'service.yaml'}:3:1: app inventory-api: no region to deploy "
        "'inventory-api' to"
    ) in err
    assert "pass --region, add the label cloud.googleapis.com/location" in err
    assert emulator.requests == []


def with_env(tmp_path: Path, added: str) -> Path:
    """A copy of the example whose inventory-api base has ``added`` env entries."""
    copy = tmp_path / "ws"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    base = copy / "infrastructure" / "cloudrun_service" / "inventory-api" / "base" / "service.yaml"
    anchor = "          value: VERSION_PLACEHOLDER\n"
    text = base.read_text()
    assert anchor in text
    base.write_text(text.replace(anchor, anchor + added))
    return copy


def test_dry_run_diff_never_shows_a_secret(
    emulator: FakeCloudRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Credential-shaped values under names that say nothing (a URL with a password, an API
    key) are replaced in the diff; the names and the rest of the difference are shown."""
    argv = ["deploy", "inventory-api", "--env", "sandbox", "--version", "v1"]
    assert main([*argv, "-w", str(EXAMPLE)]) == 0
    dsn = "postgres://app:pa55-w0rd-here@db.internal:5432/inventory"
    stripe = "sk_live_51HqLyjWDarjtT1zdp7dcXyZ"
    copy = with_env(
        tmp_path,
        "        - name: DATABASE_URL\n"
        f"          value: {dsn}\n"
        "        - name: CONFIG_BLOB\n"
        f"          value: {stripe}\n"
        "        - name: GREETING\n"
        "          value: hello\n",
    )
    capsys.readouterr()
    assert main([*argv, "-w", str(copy), "--dry-run"]) == 0
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "pa55-w0rd-here" not in output
    assert stripe not in output
    env = "    + spec.template.spec.containers[inventory-api].env"
    lines = captured.out.splitlines()
    assert (
        f"{env}[DATABASE_URL]: {{'name': 'DATABASE_URL', "
        "'value': 'postgres://app:<redacted>@db.internal:5432/inventory'}"
    ) in lines
    assert f"{env}[CONFIG_BLOB]: {{'name': 'CONFIG_BLOB', 'value': '<redacted>'}}" in lines
    assert f"{env}[GREETING]: {{'name': 'GREETING', 'value': 'hello'}}" in lines


def test_checks_before_deploy_never_show_a_secret(
    emulator: FakeCloudRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "correct-horse-battery-staple"
    copy = with_env(tmp_path, f"        - name: DB_PASSWORD\n          value: {password}\n")
    # a warning: the deploy goes on, and the finding never shows the value
    code = main(["deploy", "inventory-api", "--env", "sandbox", "--version", "v1", "-w", str(copy)])
    assert code == 0
    captured = capsys.readouterr()
    assert password not in captured.out + captured.err
    assert (
        "infrastructure/cloudrun_service/inventory-api/base/service.yaml:32:18: warning: env "
        "DB_PASSWORD looks like a secret but has a literal value [cloudrun/secret-literal]\n"
        "            value: <redacted>\n"
    ) in captured.err


def test_a_region_that_is_not_one_is_bad_input(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("inventory-api", "--version", "v1", "--region", "europe-west99") == 2
    err = capsys.readouterr().err
    assert "--region: 'europe-west99' is not a Google Cloud region" in err
    assert "did you mean 'europe-west9'?" in err
    assert emulator.requests == []
