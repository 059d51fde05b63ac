"""`polyinfra status` end to end on a copy of the example workspace, against the fake Cloud Run
API: what is deployed, ready, split, missing, left over, and drifted."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.apply import VERSION_ANNOTATION
from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.deploy.release import stamp_release
from polyinfra.deploy.retry import Pacer
from polyinfra.deploy.status import run_concurrently
from polyinfra.emulator import FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
REGION = "asia-southeast1"
JOB = "dmd-inv-mov-api2bq"
API = ObjectRef("Service", PROJECT, "inventory-api")
HEADER = "APP                 ENV      KIND     VERSION  READY  TRAFFIC  DRIFT"

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator() -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1, region=REGION) as fake:
        yield fake


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    copied = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, copied)
    return copied


@pytest.fixture
def client(emulator: FakeCloudRun) -> Iterator[CloudRunClient]:
    made = CloudRunClient(endpoint=emulator.endpoint, credentials=None)
    yield made
    made.close()


class Cli:
    """`polyinfra deploy` and `polyinfra status` on the copied workspace, through --endpoint."""

    def __init__(self, workspace: Path, fake: FakeCloudRun, capsys: Any) -> None:
        self.workspace = workspace
        self.fake = fake
        self.capsys = capsys

    def deploy(self, *args: str, code: int = 0) -> None:
        where = ["-w", str(self.workspace), "--endpoint", self.fake.endpoint]
        assert main(["deploy", "-e", "sandbox", *where, *args]) == code
        self.capsys.readouterr()

    def status(self, *args: str, env: tuple[str, ...] = ("-e", "sandbox")) -> tuple[int, str]:
        code = main(
            ["status", *env, "-w", str(self.workspace), "--endpoint", self.fake.endpoint, *args]
        )
        captured = self.capsys.readouterr()
        assert captured.err == "" or code != 0, captured.err
        return code, captured.out


@pytest.fixture
def cli(workspace: Path, emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(workspace, emulator, capsys)


def when(timestamp: str) -> str:
    """How the table shows an API timestamp."""
    match = re.fullmatch(r"(\S+)T(\d\d:\d\d:\d\d)(\.\d+)?Z", timestamp)
    assert match, timestamp
    return f"{match[1]} {match[2]} UTC"


def revisions(client: CloudRunClient) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in client.list_revisions(API)}


def settle(client: CloudRunClient, ref: ObjectRef) -> dict[str, Any]:
    """GET until the object's rollout settled (the fake settles on a poll)."""
    for _ in range(5):
        live = client.get(ref)
        assert live is not None
        if live["status"].get("observedGeneration") == live["metadata"]["generation"]:
            return live
    raise AssertionError(f"{ref} did not settle")


def hand_edit(fake: FakeCloudRun, client: CloudRunClient, ref: ObjectRef, edit: Any) -> None:
    """Change the live object the way someone with gcloud or the console would: the object as
    it was written, edited, and replaced."""
    body = fake.get_object(ref.collection, ref.namespace, ref.name)
    assert body is not None
    body.pop("status")
    edit(body)
    client.replace(ref, body)
    settle(client, ref)


def test_after_deploying_every_app_each_is_ready_without_drift(
    cli: Cli, client: CloudRunClient, emulator: FakeCloudRun
) -> None:
    cli.deploy("--all", "--version", "v1")
    before = len(emulator.requests)
    code, out = cli.status()
    assert code == 0
    calls = emulator.requests[before:]
    job = client.get(ObjectRef("Job", PROJECT, JOB))
    api, webhook = (
        settle(client, ObjectRef("Service", PROJECT, n)) for n in (API.name, "stock-webhook")
    )
    assert job is not None
    api_rev, hook_rev = (s["status"]["latestReadyRevisionName"] for s in (api, webhook))
    created = {
        name: when(r["metadata"]["creationTimestamp"])
        for ref in (API, ObjectRef("Service", PROJECT, "stock-webhook"))
        for name, r in ((r["metadata"]["name"], r) for r in client.list_revisions(ref))
    }
    number = emulator.project_number(PROJECT)
    assert out.splitlines() == [
        HEADER,
        "dmd-inv-mov-api2bq  sandbox  job      v1       True   -        no",
        f"  created {when(job['metadata']['creationTimestamp'])}",
        "inventory-api       sandbox  service  v1       True   100%     no",
        f"  revision {api_rev}, deployed {created[api_rev]}",
        f"  https://inventory-api-{number}.{REGION}.run.app",
        "stock-webhook       sandbox  service  v1       True   100%     no",
        f"  revision {hook_rev}, deployed {created[hook_rev]}",
        f"  https://stock-webhook-{number}.{REGION}.run.app",
    ]
    assert max(len(line) for line in out.splitlines()) <= 80
    # reads only: each object, each service's revisions, and both kinds listed by label
    base = f"/apis/serving.knative.dev/v1/namespaces/{PROJECT}"
    jobs = f"/apis/run.googleapis.com/v1/namespaces/{PROJECT}"
    selector = "managed-by=polyinfra,polyinfra-env=sandbox"
    assert sorted((r.method, r.path, r.query.get("labelSelector", "")) for r in calls) == [
        ("GET", f"{jobs}/jobs", selector),
        ("GET", f"{jobs}/jobs/{JOB}", ""),
        ("GET", f"{base}/revisions", "serving.knative.dev/service=inventory-api"),
        ("GET", f"{base}/revisions", "serving.knative.dev/service=stock-webhook"),
        ("GET", f"{base}/services", selector),
        ("GET", f"{base}/services/inventory-api", ""),
        ("GET", f"{base}/services/stock-webhook", ""),
    ]
    assert cli.status("--exit-code")[0] == 0


def test_a_split_service_shows_both_versions_and_each_revision_s_share(
    cli: Cli, client: CloudRunClient
) -> None:
    cli.deploy("--all", "--version", "v1")
    cli.deploy("inventory-api", "--version", "v2")
    old, new = sorted(revisions(client))

    def split(body: dict[str, Any]) -> None:
        body["spec"]["traffic"] = [
            {"revisionName": old, "percent": 90},
            {"revisionName": new, "percent": 10, "tag": "canary"},
        ]

    hand_edit(cli.fake, client, API, split)
    deployed = when(revisions(client)[new]["metadata"]["creationTimestamp"])
    code, out = cli.status("inventory-api")
    assert code == 0
    assert out.splitlines() == [
        "APP            ENV      KIND     VERSION  READY  TRAFFIC  DRIFT",
        "inventory-api  sandbox  service  v1,v2    True   90%/10%  no",
        f"  revision {new}, deployed {deployed}",
        f"  https://inventory-api-{cli.fake.project_number(PROJECT)}.{REGION}.run.app",
        f"   90%  {old}  v1",
        f"   10%  {new}  v2  tag canary",
    ]
    (row,) = json.loads(cli.status("inventory-api", "--format", "json")[1])
    assert row["versions"] == ["v1", "v2"]
    assert row["version"] == "v2"
    assert row["traffic"] == [
        {
            "revision": old,
            "percent": 90,
            "version": "v1",
            "tag": None,
            "latest": False,
            "url": None,
        },
        {
            "revision": new,
            "percent": 10,
            "version": "v2",
            "tag": "canary",
            "latest": False,
            "url": f"https://canary---inventory-api-{cli.fake.project_number(PROJECT)}.{REGION}"
            ".run.app",
        },
    ]


def test_a_job_deployed_again_is_as_rendered_though_it_records_its_previous_template(
    cli: Cli,
) -> None:
    cli.deploy(JOB, "--version", "v1")
    cli.deploy(JOB, "--version", "v2")
    (row,) = json.loads(cli.status(JOB, "--format", "json")[1])
    assert (row["version"], row["drift"], row["changes"]) == ("v2", "no", [])
    assert cli.status(JOB, "--exit-code")[0] == 0


def test_an_app_not_deployed_is_listed_and_fails_only_with_exit_code(cli: Cli) -> None:
    cli.deploy("inventory-api", "--version", "v1")
    code, out = cli.status()
    assert code == 0
    rows = [line for line in out.splitlines() if not line.startswith(" ")]
    assert rows == [
        HEADER,
        "dmd-inv-mov-api2bq  sandbox  job      not deployed",
        "inventory-api       sandbox  service  v1       True   100%     no",
        "stock-webhook       sandbox  service  not deployed",
    ]
    assert cli.status("--exit-code")[0] == 1
    assert cli.status("inventory-api", "--exit-code")[0] == 0


def managed(name: str, env: str, labels: bool = True) -> dict[str, Any]:
    """A service in the sandbox project: with polyinfra's labels (for ``env``) or without."""
    manifest: dict[str, Any] = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": PROJECT},
        "spec": {"template": {"spec": {"containers": [{"image": "img:1"}]}}},
    }
    return stamp_release(manifest, app=name, env=env, version="v0") if labels else manifest


def test_an_object_of_an_app_the_tree_no_longer_has_is_not_in_tree(
    cli: Cli, client: CloudRunClient, emulator: FakeCloudRun
) -> None:
    cli.deploy("--all", "--version", "v1")
    client.create(ObjectRef("Service", PROJECT, "old-api"), managed("old-api", "sandbox"))
    client.create(ObjectRef("Service", PROJECT, "by-hand"), managed("by-hand", "", labels=False))
    client.create(ObjectRef("Service", PROJECT, "prod-api"), managed("prod-api", "production"))
    client.create(
        ObjectRef("Job", PROJECT, "old-job"),
        stamp_release(
            {
                "apiVersion": "run.googleapis.com/v1",
                "kind": "Job",
                "metadata": {"name": "old-job", "namespace": PROJECT},
                "spec": {
                    "template": {"spec": {"template": {"spec": {"containers": [{"image": "i"}]}}}}
                },
            },
            app="old-job",
            env="sandbox",
            version="v0",
        ),
    )
    for name in ("old-api", "by-hand", "prod-api"):
        settle(client, ObjectRef("Service", PROJECT, name))
    settle(client, ObjectRef("Job", PROJECT, "old-job"))
    code, out = cli.status()
    assert code == 0
    lines = out.splitlines()
    assert lines[-4:] == [
        "old-api             sandbox  service  not in tree",
        f"  service old-api in project {PROJECT}, region {REGION}",
        "old-job             sandbox  job      not in tree",
        f"  job old-job in project {PROJECT}, region {REGION}",
    ]
    assert "by-hand" not in out
    assert "prod-api" not in out
    assert cli.status("--exit-code")[0] == 1
    rows = json.loads(cli.status("--format", "json")[1])
    old = rows[-2]
    assert {k: old[k] for k in ("app", "kind", "name", "state", "version", "drift")} == {
        "app": "old-api",
        "kind": "service",
        "name": "old-api",
        "state": "not in tree",
        "version": "v0",
        "drift": None,
    }
    # naming apps shows those apps only: nothing is listed by label
    before = len(emulator.requests)
    assert "old-api" not in cli.status(JOB)[1]
    assert all("labelSelector" not in r.query for r in emulator.requests[before:])


def test_a_hand_edit_is_drift_and_diff_shows_the_field(cli: Cli, client: CloudRunClient) -> None:
    cli.deploy("--all", "--version", "v1")

    def edit(body: dict[str, Any]) -> None:
        for env in body["spec"]["template"]["spec"]["containers"][0]["env"]:
            if env["name"] == "ENVIRONMENT":
                env["value"] = "hand-edited"

    hand_edit(cli.fake, client, API, edit)
    code, out = cli.status("inventory-api")
    assert code == 0
    assert out.splitlines()[1] == "inventory-api  sandbox  service  v1       True   100%     yes"
    assert "hand-edited" not in out
    code, out = cli.status("inventory-api", "--diff")
    assert out.splitlines()[1:2] + out.splitlines()[4:] == [
        "inventory-api  sandbox  service  v1       True   100%     yes",
        "    ~ spec.template.spec.containers[inventory-api].env[ENVIRONMENT].value: "
        "'hand-edited' -> 'sandbox'",
    ]
    assert cli.status("inventory-api", "--exit-code")[0] == 1
    (row,) = json.loads(cli.status("inventory-api", "--format", "json")[1])
    assert row["drift"] == "yes"
    assert row["changes"] == [
        {
            "path": "spec.template.spec.containers[inventory-api].env[ENVIRONMENT].value",
            "change": "change",
            "text": "~ spec.template.spec.containers[inventory-api].env[ENVIRONMENT].value: "
            "'hand-edited' -> 'sandbox'",
        }
    ]


def test_a_secret_put_in_plain_text_by_hand_never_shows(cli: Cli, client: CloudRunClient) -> None:
    cli.deploy(JOB, "--version", "v1")
    secret = "tok-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

    def edit(body: dict[str, Any]) -> None:
        task = body["spec"]["template"]["spec"]["template"]["spec"]
        for env in task["containers"][0]["env"]:
            if env["name"] == "API_TOKEN":
                env.pop("valueFrom")
                env["value"] = secret
            if env["name"] == "COMPONENT":
                env["value"] = secret

    hand_edit(cli.fake, client, ObjectRef("Job", PROJECT, JOB), edit)
    code, out = cli.status(JOB, "--diff")
    assert code == 0
    # the hand-set API_TOKEN marks its value secret, wherever else it appears
    assert out.splitlines()[3:] == [
        "    ~ spec.template.spec.template.spec.containers[worker].env[COMPONENT].value: "
        "'<redacted>' -> 'data-pipeline'",
        "    + spec.template.spec.template.spec.containers[worker].env[API_TOKEN].valueFrom: "
        "<redacted>",
    ]
    assert secret not in cli.status(JOB, "--format", "json")[1]


def test_a_version_that_does_not_render_is_drift_unknown_with_the_reason(
    cli: Cli, client: CloudRunClient
) -> None:
    cli.deploy(JOB, "--version", "v1")

    def edit(body: dict[str, Any]) -> None:
        body["spec"]["template"]["metadata"]["annotations"][VERSION_ANNOTATION] = "not a tag"

    hand_edit(cli.fake, client, ObjectRef("Job", PROJECT, JOB), edit)
    code, out = cli.status(JOB)
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "dmd-inv-mov-api2bq  sandbox  job   not a tag  True   -        unknown"
    assert (
        lines[3]
        == "  drift unknown: version not a tag does not render: invalid version 'not a tag'"
    )
    assert cli.status(JOB, "--exit-code")[0] == 1


def test_not_ready_shows_the_condition_with_its_reason(
    cli: Cli, client: CloudRunClient, emulator: FakeCloudRun
) -> None:
    cli.deploy("inventory-api", "--version", "v1")
    emulator.script(
        "inventory-api",
        ready=False,
        message="Container failed to start.",
        reason="HealthCheckContainerError",
    )
    cli.deploy("inventory-api", "--version", "v2", code=1)
    code, out = cli.status("inventory-api")
    assert code == 0
    serving, failed = sorted(revisions(client))
    deployed = when(revisions(client)[failed]["metadata"]["creationTimestamp"])
    assert out.splitlines() == [
        "APP            ENV      KIND     VERSION  READY  TRAFFIC  DRIFT",
        "inventory-api  sandbox  service  v1       False  100%     no",
        f"  revision {serving}",
        f"  newest revision {failed}, deployed {deployed}, is not ready",
        f"  https://inventory-api-{emulator.project_number(PROJECT)}.{REGION}.run.app",
        "  Ready=False: Container failed to start. (reason: HealthCheckContainerError)",
    ]


def test_a_failed_call_is_an_error_row_and_exit_1(cli: Cli, emulator: FakeCloudRun) -> None:
    cli.deploy("--all", "--version", "v1")
    emulator.fail(
        403,
        method="GET",
        path=f"/namespaces/{PROJECT}/services/stock-webhook",
        message="Permission 'run.services.get' denied on resource 'stock-webhook'.",
        status_name="PERMISSION_DENIED",
    )
    code, out = cli.status()
    assert code == 1
    assert "stock-webhook       sandbox  service  error" in out.splitlines()
    index = out.splitlines().index("stock-webhook       sandbox  service  error")
    assert out.splitlines()[index + 1].startswith(
        f"  service stock-webhook in project {PROJECT}, region {REGION}: get service stock-webhook"
    )
    assert "run.services.get" in out.splitlines()[index + 1]


def test_every_environment(cli: Cli) -> None:
    cli.deploy("inventory-api", "--version", "v1")
    code, out = cli.status(env=("--all-envs",))
    assert code == 0
    rows = [line for line in out.splitlines() if not line.startswith(" ")]
    assert rows == [
        "APP                 ENV         KIND     VERSION  READY  TRAFFIC  DRIFT",
        "dmd-inv-mov-api2bq  production  job      not deployed",
        "inventory-api       production  service  not deployed",
        "stock-webhook       production  service  not deployed",
        "dmd-inv-mov-api2bq  sandbox     job      not deployed",
        "inventory-api       sandbox     service  v1       True   100%     no",
        "stock-webhook       sandbox     service  not deployed",
    ]


JSON_KEYS = {
    "app",
    "env",
    "kind",
    "name",
    "project",
    "region",
    "state",
    "version",
    "versions",
    "revision",
    "latest_created_revision",
    "ready",
    "ready_reason",
    "ready_message",
    "traffic",
    "url",
    "deployed_at",
    "created_at",
    "drift",
    "drift_reason",
    "changes",
    "error",
}


def test_json_has_the_same_keys_on_every_row(cli: Cli, client: CloudRunClient) -> None:
    cli.deploy(JOB, "inventory-api", "--version", "v1")
    code, out = cli.status("--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [set(row) for row in rows] == [JSON_KEYS] * 3
    job, api, webhook = rows
    live = settle(client, API)
    revision = live["status"]["latestReadyRevisionName"]
    assert api == {
        "app": "inventory-api",
        "env": "sandbox",
        "kind": "service",
        "name": "inventory-api",
        "project": PROJECT,
        "region": REGION,
        "state": "deployed",
        "version": "v1",
        "versions": ["v1"],
        "revision": revision,
        "latest_created_revision": revision,
        "ready": "True",
        "ready_reason": None,
        "ready_message": None,
        "traffic": [
            {
                "revision": revision,
                "percent": 100,
                "version": "v1",
                "tag": None,
                "latest": True,
                "url": None,
            }
        ],
        "url": live["status"]["url"],
        "deployed_at": revisions(client)[revision]["metadata"]["creationTimestamp"],
        "created_at": live["metadata"]["creationTimestamp"],
        "drift": "no",
        "drift_reason": None,
        "changes": [],
        "error": None,
    }
    assert (job["kind"], job["revision"], job["deployed_at"], job["traffic"]) == (
        "job",
        None,
        None,
        [],
    )
    assert job["created_at"]
    assert {k: webhook[k] for k in ("state", "version", "versions", "ready", "drift")} == {
        "state": "not deployed",
        "version": None,
        "versions": [],
        "ready": None,
        "drift": None,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: no environment given"),
        (("-e", "sandbox", "--all-envs"), "error: pass --env ENV or --all-envs, not both"),
        (("-e", "staging"), "no app has an overlay for environment 'staging'"),
        (("--all-envs", "nope"), "error: no app named 'nope'"),
    ],
)
def test_bad_input_exits_2_before_any_call(
    cli: Cli, emulator: FakeCloudRun, args: tuple[str, ...], message: str
) -> None:
    assert main(["status", "-w", str(cli.workspace), "--endpoint", emulator.endpoint, *args]) == 2
    assert message in cli.capsys.readouterr().err
    assert emulator.requests == []


def test_results_keep_the_order_of_the_calls() -> None:
    import threading

    gate = threading.Event()

    def slow() -> str:
        gate.wait(5)
        return "first"

    def fast() -> str:
        gate.set()
        return "second"

    assert run_concurrently([slow, fast, lambda: None], 2, Pacer()) == ["first", "second", None]
