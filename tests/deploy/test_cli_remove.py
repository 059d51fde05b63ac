"""`polyinfra remove` and `deploy --prune` on the example workspace, against the fake Cloud Run
API: what polyinfra deployed goes, an object planted without polyinfra's labels never does."""

from __future__ import annotations

import io
from typing import Any

import pytest

from polyinfra.deploy.client import CloudRunClient, Kind, ObjectRef
from polyinfra.emulator import FakeCloudRun
from tests.deploy.test_cli_execute import JOB, PROJECT, REGION, calls, cli

SERVICES = f"/apis/serving.knative.dev/v1/namespaces/{PROJECT}/services"
JOBS = f"/apis/run.googleapis.com/v1/namespaces/{PROJECT}/jobs"
WHERE = f"(project {PROJECT}, region {REGION})"

pytestmark = pytest.mark.slow


def deploy_all(fake: FakeCloudRun, *more: str) -> int:
    return cli(fake, "deploy", "--all", "--version", "v1", *more)


def plant(fake: FakeCloudRun, kind: Kind, name: str, labels: dict[str, str]) -> None:
    """Create an object directly through the API, as someone else would."""
    container = {"image": "us-docker.pkg.dev/cloudrun/container/hello"}
    if kind == "Service":
        body: dict[str, Any] = {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "spec": {"template": {"spec": {"containers": [container]}}},
        }
    else:
        body = {
            "apiVersion": "run.googleapis.com/v1",
            "kind": "Job",
            "spec": {"template": {"spec": {"template": {"spec": {"containers": [container]}}}}},
        }
    body["metadata"] = {"name": name, "namespace": PROJECT, "labels": labels}
    client = CloudRunClient(endpoint=fake.endpoint, credentials=None)
    try:
        ref = ObjectRef(kind, PROJECT, name)
        if client.get(ref) is not None:
            client.delete(ref)
        client.create(ref, body)
    finally:
        client.close()


def managed(app: str, env: str = "sandbox") -> dict[str, str]:
    return {"managed-by": "polyinfra", "polyinfra-app": app, "polyinfra-env": env}


def writes(fake: FakeCloudRun, since: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests[since:] if r.is_write]


def names(fake: FakeCloudRun, collection: str) -> list[str]:
    return sorted(obj["metadata"]["name"] for obj in fake.objects(collection))


# ---- remove --------------------------------------------------------------------------------


def test_remove_deletes_the_apps_objects_and_nothing_else(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy_all(fake) == 0
    assert cli(fake, "execute", JOB, "--wait") == 0
    plant(fake, "Service", "hand-made", {"team": "data"})
    capsys.readouterr()
    before = len(fake.requests)
    assert cli(fake, "remove", "inventory-api", JOB, "--yes") == 0
    assert calls(fake, before) == [
        ("GET", f"{SERVICES}/inventory-api"),
        ("GET", f"{JOBS}/{JOB}"),
        ("GET", f"{SERVICES}/inventory-api"),
        ("DELETE", f"{SERVICES}/inventory-api"),
        ("GET", f"{JOBS}/{JOB}"),
        ("DELETE", f"{JOBS}/{JOB}"),
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"inventory-api (sandbox): deleted service inventory-api {WHERE}",
        f"{JOB} (sandbox): deleted job {JOB} {WHERE}",
    ]
    assert names(fake, "services") == ["hand-made", "stock-webhook"]
    assert names(fake, "jobs") == []
    assert fake.objects("executions") == []


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        (
            {"team": "data"},
            "it does not carry the label managed-by=polyinfra (labels: managed-by=(none), "
            "polyinfra-app=(none), polyinfra-env=(none))",
        ),
        (
            managed("other-app"),
            "polyinfra deployed it for another app (labels: managed-by=polyinfra, "
            "polyinfra-app=other-app, polyinfra-env=sandbox)",
        ),
        (
            {"managed-by": "polyinfra", "polyinfra-env": "sandbox"},
            "it carries no polyinfra-app label (labels: managed-by=polyinfra, "
            "polyinfra-app=(none), polyinfra-env=sandbox)",
        ),
        (
            managed("stock-webhook", "production"),
            "polyinfra deployed it for another environment (labels: managed-by=polyinfra, "
            "polyinfra-app=stock-webhook, polyinfra-env=production)",
        ),
    ],
)
def test_remove_refuses_an_object_that_is_not_the_apps(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str], labels: dict[str, str], problem: str
) -> None:
    assert cli(fake, "deploy", "inventory-api", "--version", "v1") == 0
    plant(fake, "Service", "stock-webhook", labels)
    capsys.readouterr()
    before = len(fake.requests)
    assert cli(fake, "remove", "inventory-api", "stock-webhook", "--yes") == 1
    assert calls(fake, before) == [
        ("GET", f"{SERVICES}/inventory-api"),
        ("GET", f"{SERVICES}/stock-webhook"),
    ]
    assert capsys.readouterr().err.splitlines() == [
        f"error: refusing to delete service stock-webhook {WHERE[:-1]}): {problem}; "
        "polyinfra deletes only what it deployed",
        "  hint: if it is meant to go, delete it by hand: gcloud run services delete "
        f"stock-webhook --region {REGION} --project {PROJECT}",
        "nothing was deleted",
    ]
    assert names(fake, "services") == ["inventory-api", "stock-webhook"]


def test_remove_of_what_is_not_deployed_says_so(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(fake, "remove", "inventory-api", "--yes") == 0
    assert capsys.readouterr().out == (
        f"inventory-api (sandbox): service inventory-api {WHERE} is not deployed; nothing to "
        "remove\n"
    )
    assert calls(fake, 0) == [("GET", f"{SERVICES}/inventory-api")]


def test_remove_without_a_terminal_needs_yes(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(fake, "remove", "inventory-api") == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: refusing to delete without confirmation: there is no terminal to ask on",
        "  hint: pass --yes to delete without asking (or --dry-run to see what would go)",
    ]
    assert fake.requests == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "code", "left"), [("n\n", 1, ["inventory-api"]), ("y\n", 0, [])]
)
def test_remove_on_a_terminal_asks_first(
    fake: FakeCloudRun,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    left: list[str],
) -> None:
    assert cli(fake, "deploy", "inventory-api", "--version", "v1") == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert cli(fake, "remove", "inventory-api") == code
    output = capsys.readouterr()
    assert output.err.startswith(
        f"inventory-api (sandbox): service inventory-api {WHERE} will be deleted\n"
    )
    assert "Delete 1 object(s) from Cloud Run? [y/N]: " in output.out
    assert names(fake, "services") == left


def test_remove_dry_run_writes_nothing(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(fake, "deploy", "inventory-api", "--version", "v1") == 0
    capsys.readouterr()
    before = len(fake.requests)
    assert cli(fake, "remove", "inventory-api", "--dry-run") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"inventory-api (sandbox): would delete service inventory-api {WHERE}",
        "dry run: nothing was deleted",
    ]
    assert calls(fake, before) == [("GET", f"{SERVICES}/inventory-api")]


def test_a_lost_delete_answer_is_read_back_not_sent_again(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(fake, "deploy", "inventory-api", "--version", "v1") == 0
    capsys.readouterr()
    before = len(fake.requests)
    fake.lose_response(method="DELETE")
    assert cli(fake, "remove", "inventory-api", "--yes") == 0
    assert calls(fake, before) == [
        ("GET", f"{SERVICES}/inventory-api"),
        ("GET", f"{SERVICES}/inventory-api"),
        ("DELETE", f"{SERVICES}/inventory-api"),
        ("GET", f"{SERVICES}/inventory-api"),
    ]
    assert capsys.readouterr().out == (
        f"inventory-api (sandbox): deleted service inventory-api {WHERE}\n"
    )


# ---- deploy --prune ------------------------------------------------------------------------


def plant_neighbours(fake: FakeCloudRun) -> None:
    """Orphans of apps that left the tree, and objects prune must never touch."""
    plant(fake, "Service", "old-api", managed("old-api"))
    plant(fake, "Job", "old-job", managed("old-job"))
    plant(fake, "Service", "hand-made", {"team": "data"})
    plant(fake, "Service", "prod-api", managed("prod-api", "production"))
    plant(fake, "Service", "no-app", {"managed-by": "polyinfra", "polyinfra-env": "sandbox"})


def test_prune_deletes_exactly_the_orphans_of_the_environment(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy_all(fake) == 0
    plant_neighbours(fake)
    capsys.readouterr()
    before = len(fake.requests)
    assert deploy_all(fake, "--prune") == 0
    selector = "managed-by=polyinfra,polyinfra-env=sandbox"
    lists = [r for r in fake.requests[before:] if r.method == "GET" and r.path in (SERVICES, JOBS)]
    assert [(r.path, r.query) for r in lists] == [
        (SERVICES, {"labelSelector": selector}),
        (JOBS, {"labelSelector": selector}),
    ]
    assert writes(fake, before) == [
        ("DELETE", f"{SERVICES}/old-api"),
        ("DELETE", f"{JOBS}/old-job"),
    ]
    assert capsys.readouterr().out.splitlines()[-2:] == [
        f"pruned service old-api (app old-api, project {PROJECT}, region {REGION})",
        f"pruned job old-job (app old-job, project {PROJECT}, region {REGION})",
    ]
    assert names(fake, "services") == [
        "hand-made",
        "inventory-api",
        "no-app",
        "prod-api",
        "stock-webhook",
    ]
    assert names(fake, "jobs") == [JOB]


def test_prune_dry_run_lists_and_writes_nothing(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy_all(fake) == 0
    plant_neighbours(fake)
    capsys.readouterr()
    before = len(fake.requests)
    assert deploy_all(fake, "--prune", "--dry-run") == 0
    assert writes(fake, before) == []
    assert capsys.readouterr().out.splitlines()[-3:] == [
        f"would prune service old-api (app old-api, project {PROJECT}, region {REGION})",
        f"would prune job old-job (app old-job, project {PROJECT}, region {REGION})",
        "dry run: nothing was pruned",
    ]


def test_prune_needs_all(fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(fake, "deploy", "inventory-api", "--version", "v1", "--prune") == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --prune needs --all: deploying some apps says nothing of the others",
        "  hint: deploy every app of the environment with --all --prune",
    ]
    assert fake.requests == []


def test_no_prune_after_a_failed_deploy(
    fake: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(fake, "Service", "old-api", managed("old-api"))
    fake.script("inventory-api", ready=False, message="probe failed")
    before = len(fake.requests)
    assert deploy_all(fake, "--prune") == 1
    assert "prune skipped: the deploy did not succeed, so nothing was pruned" in (
        capsys.readouterr().err.splitlines()
    )
    assert not [r for r in fake.requests[before:] if r.method == "DELETE"]
    assert "old-api" in names(fake, "services")
