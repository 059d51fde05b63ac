"""`polyinfra rollback` end to end on a copy of the example workspace made a git repository,
against the fake Cloud Run API."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.release import COMMIT_ANNOTATION, stamp_release
from polyinfra.deploy.rollback import PREVIOUS_TEMPLATE_ANNOTATION
from polyinfra.emulator import FakeCloudRun
from polyinfra.manifests import render_apps
from polyinfra.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
SERVICE = "inventory-api"
JOB = "dmd-inv-mov-api2bq"
JOB_OVERLAY = f"infrastructure/cloudrun_job/{JOB}/overlays/sandbox/kustomization.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator() -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        yield fake


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.email=dev@example.com", "-c", "user.name=dev"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root)
    git(root, "init", "-q")
    commit(root, "example")
    return root


def run(fake: FakeCloudRun, root: Path, *args: str) -> int:
    return main([*args, "--env", "sandbox", "-w", str(root), "--endpoint", fake.endpoint])


def deployed(fake: FakeCloudRun, root: Path, app: str, version: str) -> None:
    assert run(fake, root, "deploy", app, "--version", version) == 0


def test_a_service_goes_back_to_the_previous_version_in_one_command(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(emulator, workspace, SERVICE, "v1")
    deployed(emulator, workspace, SERVICE, "v2")
    first, second = emulator.revisions(PROJECT, SERVICE)
    live = emulator.served_object("services", PROJECT, SERVICE)
    assert live is not None
    capsys.readouterr()
    seen = len(emulator.requests)
    assert run(emulator, workspace, "rollback", SERVICE) == 0
    output = capsys.readouterr()
    assert output.out.splitlines() == [
        f"rolled back {SERVICE} (sandbox): v2 → v1",
        f"  before  100%  {second}  v2",
        f"  after   100%  {first}  v1",
    ]
    assert output.err.splitlines() == [
        f"{SERVICE} (sandbox): rolling back service {SERVICE} (project {PROJECT})",
        f"{SERVICE} (sandbox): replaced; waiting for Ready",
    ]
    service = f"/apis/serving.knative.dev/v1/namespaces/{PROJECT}/services/{SERVICE}"
    revisions = f"/apis/serving.knative.dev/v1/namespaces/{PROJECT}/revisions"
    calls = emulator.requests[seen:]
    assert [(r.method, r.path) for r in calls] == [
        ("GET", service),  # the live service
        ("GET", revisions),  # its revisions
        ("GET", service),  # read again to write on top of it
        ("PUT", service),
        ("GET", service),  # Ready
        ("GET", service),  # where the traffic went
    ]
    assert calls[1].query == {"labelSelector": f"serving.knative.dev/service={SERVICE}"}
    expected = {key: value for key, value in live.items() if key != "status"}
    expected["spec"] = {**live["spec"], "traffic": [{"revisionName": first, "percent": 100}]}
    assert calls[3].body == expected
    assert emulator.revisions(PROJECT, SERVICE) == [first, second]
    now = emulator.served_object("services", PROJECT, SERVICE)
    assert now is not None
    assert now["status"]["traffic"] == [{"revisionName": first, "percent": 100}]
    # nothing older than v1: a second rollback has nowhere to go
    assert run(emulator, workspace, "rollback", SERVICE) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {SERVICE} (sandbox): no earlier version to roll back to: service {SERVICE} "
        f"has no Ready revision older than {first} (v1) that carries another version",
        f"  hint: its revisions by version: v1: {first}; v2: {second}; name one with --to",
    ]


def test_to_a_version_or_a_revision_and_a_dry_run_that_writes_nothing(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for version in ("v1", "v2", "v3"):
        deployed(emulator, workspace, SERVICE, version)
    first, second, third = emulator.revisions(PROJECT, SERVICE)
    capsys.readouterr()
    writes = len(emulator.writes())
    assert run(emulator, workspace, "rollback", SERVICE, "--to", "v1", "--dry-run") == 0
    output = capsys.readouterr()
    assert output.out.splitlines() == [
        f"would roll back {SERVICE} (sandbox): v3 → v1",
        f"  before  100%  {third}  v3",
        f"  after   100%  {first}  v1",
    ]
    assert output.err.splitlines() == ["dry run: nothing was written"]
    assert len(emulator.writes()) == writes
    assert run(emulator, workspace, "rollback", SERVICE, "--to", second) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"rolled back {SERVICE} (sandbox): v3 → v2"
    assert run(emulator, workspace, "rollback", SERVICE, "--to", "v1") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rolled back {SERVICE} (sandbox): v2 → v1",
        f"  before  100%  {second}  v2",
        f"  after   100%  {first}  v1",
    ]
    assert run(emulator, workspace, "rollback", SERVICE, "--to", "v1") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{SERVICE} (sandbox): {first} (v1) already serves 100% of the traffic; nothing to "
        "roll back"
    ]
    assert run(emulator, workspace, "rollback", SERVICE, "--to", "1.0") == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: {SERVICE} (sandbox): service {SERVICE} has no revision named '1.0' and none "
        "that carries version '1.0'"
    )
    assert emulator.revisions(PROJECT, SERVICE) == [first, second, third]


def served_template(fake: FakeCloudRun) -> dict[str, Any]:
    job = fake.served_object("jobs", PROJECT, JOB)
    assert job is not None
    return dict(job["spec"]["template"])


def record(fake: FakeCloudRun) -> dict[str, Any]:
    job = fake.get_object("jobs", PROJECT, JOB)
    assert job is not None
    return dict(json.loads(job["metadata"]["annotations"][PREVIOUS_TEMPLATE_ANNOTATION]))


def test_a_job_goes_back_to_the_template_its_last_deploy_recorded(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = git(workspace, "rev-parse", "HEAD")
    deployed(emulator, workspace, JOB, "v1")
    v1 = served_template(emulator)
    deployed(emulator, workspace, JOB, "v2")
    v2 = served_template(emulator)
    assert (record(emulator)["version"], record(emulator)["commit"]) == ("v1", head)
    capsys.readouterr()
    assert run(emulator, workspace, "rollback", JOB, "--dry-run") == 0
    image = f"asia-southeast1-docker.pkg.dev/{PROJECT}/dmd-ingest/{JOB}"
    assert capsys.readouterr().out.splitlines() == [
        f"would roll back {JOB} (sandbox): v2 → v1",
        f"  job {JOB}: the template of v1 recorded on the job (commit {head[:12]})",
        f"  ~ metadata.annotations[{PREVIOUS_TEMPLATE_ANNOTATION}]: the template of v2",
        "  ~ spec.template.metadata.annotations[polyinfra.dev/version]: 'v2' -> 'v1'",
        "  ~ spec.template.metadata.labels[polyinfra-version]: 'v2' -> 'v1'",
        "  ~ spec.template.spec.template.spec.containers[worker].env[VERSION].value: 'v2' -> 'v1'",
        f"  ~ spec.template.spec.template.spec.containers[worker].image: '{image}:v2' -> "
        f"'{image}:v1'",
    ]
    assert run(emulator, workspace, "rollback", JOB) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rolled back {JOB} (sandbox): v2 → v1",
        f"  job {JOB}: the template of v1 recorded on the job (commit {head[:12]})",
    ]
    assert served_template(emulator) == v1
    assert record(emulator)["version"] == "v2"
    # and back again: the rolled-back job recorded what it replaced
    assert run(emulator, workspace, "rollback", JOB) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"rolled back {JOB} (sandbox): v1 → v2"
    assert served_template(emulator) == v2


def test_a_job_goes_back_to_a_version_re_rendered_from_git_at_its_commit(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Versions are the commits they were deployed from, as CI deploys them.
    first = git(workspace, "rev-parse", "HEAD")
    deployed(emulator, workspace, JOB, first)
    at_first = served_template(emulator)
    overlay = workspace / JOB_OVERLAY
    for value in ("sandbox-2", "sandbox-3"):
        overlay.write_text(overlay.read_text().replace("value: sandbox", f"value: {value}", 1))
        deployed(emulator, workspace, JOB, commit(workspace, value))
    third = git(workspace, "rev-parse", "HEAD")
    assert record(emulator)["version"] != first  # only the last version is recorded
    capsys.readouterr()
    writes = len(emulator.writes())
    assert run(emulator, workspace, "rollback", JOB, "--to", first) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rolled back {JOB} (sandbox): {third} → {first}",
        f"  job {JOB}: {first} re-rendered from git at commit {first[:12]}",
    ]
    put = emulator.writes()[writes:]
    assert [r.method for r in put] == ["PUT"]
    rendered = render_apps(Workspace.discover(EXAMPLE), [JOB], "sandbox", first)
    manifest = rendered.apps[0].primary.data  # type: ignore[union-attr]
    stamped = stamp_release(manifest, app=JOB, env="sandbox", version=first, commit=first)
    assert put[0].body is not None
    assert put[0].body["spec"] == stamped["spec"]
    assert put[0].body["metadata"]["annotations"][COMMIT_ANNOTATION] == first
    assert served_template(emulator) == at_first
    assert record(emulator)["version"] == third
    assert git(workspace, "status", "--porcelain") == ""  # the checkout was not touched
    # A version that is neither recorded nor a commit
    assert run(emulator, workspace, "rollback", JOB, "--to", "v0") == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: {JOB} (sandbox): version 'v0' of job {JOB} is neither recorded on the job (the "
        f"job records {third} only) nor a commit of the repository at {workspace}"
    )


def test_the_help_names_what_a_rollback_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rollback", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "no render, no new revision; its tags keep pointing where they pointed" in text


def test_a_failed_read_is_an_error_that_writes_nothing(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.fail(403, method="GET", times=10, message="Permission 'run.services.get' denied")
    capsys.readouterr()
    assert run(emulator, workspace, "rollback", "inventory-api") == 1
    assert emulator.writes() == []
    err = capsys.readouterr().err
    assert err.startswith(
        "error: inventory-api (sandbox): get service inventory-api (project "
        "data-platform-sandbox): "
    )
    assert "internal error" not in err


def test_image_options_that_a_rollback_would_not_use_are_refused(
    emulator: FakeCloudRun, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(emulator, workspace, "inventory-api", "v1")
    deployed(emulator, workspace, "inventory-api", "v2")
    before = len(emulator.writes())
    capsys.readouterr()
    code = run(
        emulator, workspace, "rollback", "inventory-api", "--registry", "europe-docker.pkg.dev/x/y"
    )
    assert code == 2
    assert len(emulator.writes()) == before
    assert "--image and --registry are for a job re-rendered from git" in capsys.readouterr().err
