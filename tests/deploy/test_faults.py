"""`polyinfra deploy` under faults, against the emulator: lost answers, Ctrl-C while calls are
in flight, an API that accepts and never answers, an answer that never ends, a bad endpoint."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.apply import VERSION_ANNOTATION, apply_object, stamp_version
from polyinfra.deploy.client import CloudRunClient, ObjectRef, Pacer, RetryPolicy
from polyinfra.deploy.errors import ConflictError
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests
from polyinfra.emulator import Arrival, FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
JOB = "dmd-inv-mov-api2bq"
APPS = [JOB, "inventory-api", "stock-webhook"]
API = ObjectRef("Service", "proj", "api")
CLIENT_NAME = "run.googleapis.com/client-name"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        monkeypatch.delenv("POLYINFRA_HTTP_TIMEOUT", raising=False)
        yield fake


def deploy(*args: str) -> int:
    return main(["deploy", "--env", "sandbox", "-w", str(EXAMPLE), *args])


def result_rows(out: str) -> dict[str, list[str]]:
    """The results table: app -> its cells (the result column may hold several words)."""
    lines = [line for line in out.splitlines() if " is at " not in line]
    assert lines[0].split() == ["app", "kind", "revision", "/", "execution", "result", "seconds"]
    return {line.split()[0]: line.split() for line in lines[1:]}


# ---- a lost answer is recognised by what polyinfra stamped ----------------------------------


def test_a_lost_create_answer_of_a_function_is_our_write_not_a_conflict(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.lose_response(method="POST")
    assert deploy("stock-webhook", "--version", "v1") == 0
    assert [(r.method, r.status) for r in emulator.writes()] == [("POST", 200)]
    methods = [r.method for r in emulator.requests]
    assert methods[:3] == ["GET", "POST", "GET"]
    assert set(methods[3:]) == {"GET"}  # the wait for Ready
    # The object read back is not the one sent: the manifest names the client `cloudfunctions`,
    # Cloud Run records the tool that wrote it.
    served = emulator.served_object("services", PROJECT, "stock-webhook")
    assert served is not None
    template = served["spec"]["template"]["metadata"]["annotations"]
    assert template[CLIENT_NAME] == "polyinfra"
    assert template[VERSION_ANNOTATION] == "v1"
    sent = emulator.writes()[0].body
    assert sent is not None
    assert sent["spec"]["template"]["metadata"]["annotations"][CLIENT_NAME] == "cloudfunctions"
    row = result_rows(capsys.readouterr().out)["stock-webhook"]
    assert row[1:4] == ["service", emulator.revisions(PROJECT, "stock-webhook")[0], "created"]


def test_a_lost_replace_answer_is_our_write_and_is_sent_once(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--all", "--version", "v1") == 0
    before = len(emulator.writes())
    capsys.readouterr()
    emulator.lose_response(method="PUT", times=3)
    assert deploy("--all", "--version", "v2") == 0
    puts = emulator.writes()[before:]
    assert sorted(r.path.rsplit("/", 1)[-1] for r in puts) == sorted(APPS)
    assert all(r.method == "PUT" for r in puts)
    rows = result_rows(capsys.readouterr().out)
    assert {app: rows[app][3] for app in APPS} == dict.fromkeys(APPS, "replaced")
    for service in ("inventory-api", "stock-webhook"):
        assert len(emulator.revisions(PROJECT, service)) == 2


def test_someone_elses_write_after_a_lost_answer_is_still_a_conflict(
    fake: FakeCloudRun, make_service: Any
) -> None:
    other = CloudRunClient(endpoint=fake.endpoint, credentials=None)

    def someone_else_deploys(seconds: float) -> None:
        live = other.get(API)
        assert live is not None
        theirs = stamp_version(make_service(image="img:theirs"), "v9")
        theirs["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        other.replace(API, theirs)

    client = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=None,
        retry=RetryPolicy(rand=lambda: 1.0),
        pacer=Pacer(wait=someone_else_deploys),
    )
    try:
        apply_object(client, API, stamp_version(make_service(), "v1"))
        fake.lose_response(method="PUT")
        with pytest.raises(ConflictError) as caught:
            apply_object(client, API, stamp_version(make_service(image="img:2"), "v2"))
    finally:
        client.close()
        other.close()
    assert str(caught.value) == (
        "service api (project proj) was changed by someone else while this deploy was writing "
        "it (it now has version v9, generation 3); nothing was overwritten. Check who else "
        "deploys it, then run the deploy again"
    )
    assert [w.method for w in fake.writes()] == ["POST", "PUT", "PUT"]


def test_with_the_version_already_live_the_generation_and_fields_recognise_our_write(
    fake: FakeCloudRun, make_service: Any
) -> None:
    other = CloudRunClient(endpoint=fake.endpoint, credentials=None)
    others: list[str] = []

    def meanwhile(seconds: float) -> None:
        # Someone else relabels the object, keeping its revision template and version.
        for team in others:
            live = other.get(API)
            assert live is not None
            theirs = stamp_version(make_service(), "v1")
            theirs["metadata"]["labels"]["team"] = team
            theirs["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            other.replace(API, theirs)

    client = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=None,
        retry=RetryPolicy(rand=lambda: 1.0),
        pacer=Pacer(wait=meanwhile),
    )
    relabelled = stamp_version(make_service(), "v1")
    relabelled["metadata"]["labels"]["team"] = "platform"
    try:
        apply_object(client, API, stamp_version(make_service(), "v1"))
        fake.lose_response(method="PUT")
        applied = apply_object(client, API, relabelled)
        assert applied.action == "replaced"
        assert applied.generation == 1  # labels only: the same spec, the same generation
        assert [w.method for w in fake.writes()] == ["POST", "PUT"]
        fake.lose_response(method="PUT")
        others.append("finance")
        relabelled["metadata"]["labels"]["team"] = "data"
        with pytest.raises(ConflictError, match=r"it now has version v1, generation 1\)"):
            apply_object(client, API, relabelled)
    finally:
        client.close()
        other.close()
    assert [w.method for w in fake.writes()] == ["POST", "PUT", "PUT", "PUT"]


def test_a_dry_run_right_after_a_deploy_finds_nothing_to_change(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--all", "--version", "v1") == 0
    capsys.readouterr()
    assert deploy("--all", "--version", "v1", "--dry-run") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{JOB} (sandbox) job {JOB}: no change",
        "inventory-api (sandbox) service inventory-api: no change",
        "stock-webhook (sandbox) service stock-webhook: no change",
        "dry run: nothing was written",
    ]
    # What the server owns differs from the manifests, and is no change.
    served = emulator.served_object("services", PROJECT, "stock-webhook")
    assert served is not None
    template = served["spec"]["template"]["metadata"]
    assert template["annotations"][CLIENT_NAME] == "polyinfra"
    assert served["metadata"]["annotations"]["run.googleapis.com/operation-id"]


# ---- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "would_send"), [(404, "a create"), (503, "a retry")])
def test_after_ctrl_c_the_answers_in_flight_start_nothing_new(
    status: int, would_send: str, make_service: Any
) -> None:
    with FakeCloudRun(ready_after=1) as fake:
        # Each app's first read is answered 1 s after it arrives: after the interrupt, within
        # the grace.
        fake.fail(status, method="GET", times=3, delay=1.0)

        def factory(region: str, pacer: Pacer) -> CloudRunClient:
            return CloudRunClient(endpoint=fake.endpoint, credentials=None, pacer=pacer)

        targets = [
            DeployTarget(f"app-{i}", "sandbox", make_service(name=f"app-{i}"), "r")
            for i in range(3)
        ]
        interrupted_at: list[float] = []

        def interrupt_once_all_reads_are_in_flight() -> None:
            deadline = time.monotonic() + 30
            while len(fake.arrivals()) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            interrupted_at.append(time.monotonic())
            _thread.interrupt_main()

        threading.Thread(target=interrupt_once_all_reads_are_in_flight, daemon=True).start()
        report = deploy_manifests(
            targets,
            DeployOptions(version="v1", concurrency=4, interrupt_grace=5.0),
            client_factory=factory,
        )
        returned = time.monotonic()
        answered = [r.status for r in fake.requests]
    assert report.interrupted
    assert answered == [status] * 3  # the three answers came, within the grace
    later = [a for a in fake.arrivals() if a.received > interrupted_at[0]]
    assert later == [], f"{would_send} was sent after Ctrl-C"
    assert returned - interrupted_at[0] < 4.0  # once the answers were in, not after the grace
    assert [(r.outcome, r.applied, r.message) for r in report.results] == [
        ("cancelled", False, "not applied")
    ] * 3


def start_deploy(fake: FakeCloudRun) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "polyinfra", "deploy", "--all", "--env", "sandbox"),
            *("--version", "v1", "--endpoint", fake.endpoint, "-w", str(EXAMPLE)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CLOUD_RUN_EMULATOR_HOST"},
        # A test runner started in the background ignores SIGINT, and children inherit that;
        # a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def interrupt_when(fake: FakeCloudRun, method: str, count: int, process: Any) -> float:
    """Send SIGINT once ``count`` requests with ``method`` are in flight; when it was sent."""
    deadline = time.monotonic() + 30
    while sum(a.method == method for a in fake.arrivals()) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the deploy never got that far"
        time.sleep(0.01)
    time.sleep(0.2)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    return sent


def interrupted_deploy(fake: FakeCloudRun, method: str) -> tuple[str, str, list[Arrival]]:
    """A deploy interrupted once three ``method`` calls are in flight: it exits 130 within
    2 s of the signal and sends nothing after it. Returns its stdout, stderr and every call
    that reached the fake."""
    process = start_deploy(fake)
    try:
        signalled = interrupt_when(fake, method, 3, process)
        out, err = process.communicate(timeout=30)
        exited = time.monotonic()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    arrivals = fake.arrivals()
    assert process.returncode == 130, err
    assert exited - signalled < 2.0
    assert [a for a in arrivals if a.received > signalled] == []
    return out, err, arrivals


def test_ctrl_c_with_reads_in_flight_sends_nothing_more_and_exits_130_promptly() -> None:
    with FakeCloudRun(ready_after=1) as fake:
        fake.delay(3.0, method="GET", times=3)
        out, err, arrivals = interrupted_deploy(fake, "GET")
    assert [a.method for a in arrivals] == ["GET"] * 3
    assert f"  not applied: {', '.join(APPS)}" in err.splitlines()
    assert "Traceback" not in err
    rows = result_rows(out)
    assert {app: " ".join(rows[app][3:5]) for app in APPS} == dict.fromkeys(APPS, "not applied")


def test_ctrl_c_with_writes_in_flight_says_their_outcome_is_unknown() -> None:
    with FakeCloudRun(ready_after=1) as fake:
        fake.delay(3.0, method="POST", times=3)
        out, err, arrivals = interrupted_deploy(fake, "POST")
    assert sorted(a.method for a in arrivals) == ["GET"] * 3 + ["POST"] * 3
    lines = err.splitlines()
    assert (
        "  sent, not known whether applied (its answer did not come): " + ", ".join(APPS)
    ) in lines
    assert "  not applied: none" in lines
    rows = result_rows(out)
    assert {app: rows[app][3] for app in APPS} == dict.fromkeys(APPS, "unknown")


# ---- bounded in time and size ---------------------------------------------------------------


def test_timeout_bounds_an_app_whose_api_accepts_and_never_answers(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.hang(method="GET", times=10)
    assert deploy("inventory-api", "--version", "v1", "--timeout", "1.5") == 1
    captured = capsys.readouterr()
    row = result_rows(captured.out)["inventory-api"]
    assert row[3] == "timeout"
    assert 1.5 <= float(row[4]) < 2.5
    assert (
        "error: inventory-api (env sandbox, infrastructure/cloudrun_service/inventory-api/"
        "overlays/sandbox/kustomization.yaml): get service inventory-api (project "
        f"{PROJECT}): no answer from {emulator.endpoint} within the 1.5s allowed; raise "
        "--timeout if Cloud Run is only slow"
    ) in captured.err.splitlines()
    assert [a.method for a in emulator.arrivals()] == ["GET"]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_http_timeout_bounds_each_answer_which_is_then_retried(
    emulator: FakeCloudRun, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    emulator.hang(method="GET", times=1)
    option = ["--http-timeout", "0.5"] if how == "flag" else []
    if how == "environment":
        monkeypatch.setenv("POLYINFRA_HTTP_TIMEOUT", "0.5")
    started = time.monotonic()
    assert deploy("inventory-api", "--version", "v1", *option) == 0
    assert time.monotonic() - started < 5
    assert [(r.method, r.status) for r in emulator.requests[:3]] == [
        ("GET", 0),
        ("GET", 404),
        ("POST", 200),
    ]


def test_an_answer_that_never_ends_is_cut_off_and_reported(
    emulator: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.endless(method="GET")
    assert deploy("inventory-api", "--version", "v1") == 1
    assert (
        f"get service inventory-api (project {PROJECT}): the answer from {emulator.endpoint} "
        "is larger than 4 MiB and was not read further; a Cloud Run object is a few KiB. Check "
        "that the endpoint is the Cloud Run Admin API"
    ) in capsys.readouterr().err
    assert [a.method for a in emulator.arrivals()] == ["GET"]


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        (
            ["--endpoint", "ftp://127.0.0.1:8123"],
            {},
            "--endpoint: 'ftp://127.0.0.1:8123' is not an HTTP endpoint: the scheme is 'ftp', "
            "not http or https",
        ),
        (
            ["--endpoint", "http://127.0.0.1:notaport"],
            {},
            "--endpoint: 'http://127.0.0.1:notaport' is not an HTTP endpoint: the port is not a "
            "number from 0 to 65535 (Port could not be cast to integer value as 'notaport')",
        ),
        (
            [],
            {"CLOUD_RUN_EMULATOR_HOST": "127.0.0.1:notaport"},
            "CLOUD_RUN_EMULATOR_HOST: '127.0.0.1:notaport' is not an HTTP endpoint: the port is "
            "not a number from 0 to 65535 (Port could not be cast to integer value as "
            "'notaport')",
        ),
        (
            [],
            {"CLOUD_RUN_EMULATOR_HOST": "ftp://127.0.0.1:8123"},
            "CLOUD_RUN_EMULATOR_HOST: 'ftp://127.0.0.1:8123' is not an HTTP endpoint: the scheme "
            "is 'ftp', not http or https",
        ),
        (
            ["--http-timeout", "0"],
            {},
            "--http-timeout: 0 is not a positive number of seconds",
        ),
        (
            [],
            {"POLYINFRA_HTTP_TIMEOUT": "soon"},
            "POLYINFRA_HTTP_TIMEOUT='soon' is not a number of seconds",
        ),
    ],
)
def test_a_malformed_endpoint_or_http_timeout_is_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    environ: dict[str, str],
    message: str,
) -> None:
    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("POLYINFRA_HTTP_TIMEOUT", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    assert deploy("inventory-api", "--version", "v1", *args) == 2
    assert time.monotonic() - started < 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: {message}"
    assert "attempts" not in err
