"""`deploy --traffic/--no-traffic/--tag` and `promote` end to end on a copy of the example
workspace, against the fake Cloud Run API: what is written, what is printed, exit codes."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
JOB = "dmd-inv-mov-api2bq"
API = "inventory-api"

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    copy = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, copy)
    return copy


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        yield fake


class Cli:
    """Runs polyinfra on the workspace copy and keeps what it printed."""

    def __init__(self, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.workspace = workspace
        self.capsys = capsys
        self.out: list[str] = []
        self.err: list[str] = []

    def __call__(self, command: str, *args: str) -> int:
        self.capsys.readouterr()
        code = main([command, "--env", "sandbox", "-w", str(self.workspace), *args])
        captured = self.capsys.readouterr()
        self.out, self.err = captured.out.splitlines(), captured.err.splitlines()
        return code


@pytest.fixture
def cli(workspace: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(workspace, capsys)


def live(fake: FakeCloudRun) -> dict[str, Any]:
    obj = fake.served_object("services", PROJECT, API)
    assert obj is not None
    return obj


def section(lines: list[str], head: str) -> list[str]:
    """``head`` and the indented lines under it."""
    start = lines.index(head)
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[start:end]


def test_a_canary_is_split_off_promoted_and_followed_by_normal_deploys(
    emulator: FakeCloudRun, cli: Cli
) -> None:
    assert cli("deploy", API, "--version", "v1") == 0
    (v1,) = emulator.revisions(PROJECT, API)
    number = emulator.project_number(PROJECT)

    assert cli("deploy", API, "--version", "v2", "--traffic", "10") == 0
    v2 = emulator.revisions(PROJECT, API)[-1]
    assert re.fullmatch(r"inventory-api-v2-[0-9a-f]{6}", v2)
    put = emulator.writes()[-1].body
    assert put is not None
    assert put["spec"]["template"]["metadata"]["name"] == v2
    assert put["spec"]["traffic"] == [
        {"revisionName": v1, "percent": 90},
        {"revisionName": v2, "percent": 10},
    ]
    assert section(cli.out, "inventory-api traffic (sandbox):") == [
        "inventory-api traffic (sandbox):",
        "  revision                 before  after",
        f"  {v1}    100%    90%",
        f"  {v2}       -    10%  new",
    ]
    assert cli.out[1].split()[2:4] == [v2, "replaced"]
    assert max(len(line) for line in cli.out if " is at " not in line) <= 80
    assert [(t["revisionName"], t["percent"]) for t in live(emulator)["status"]["traffic"]] == [
        (v1, 90),
        (v2, 10),
    ]

    assert cli("promote", API) == 0
    assert cli.out == [
        f"inventory-api (sandbox): 100% of the traffic to {v2}",
        "  revision                 before  after",
        f"  {v1}     90%      -",
        f"  {v2}     10%   100%  latest",
        f"inventory-api is at https://inventory-api-{number}.europe-west1.run.app",
    ]
    assert cli.err == [
        f"inventory-api (sandbox): moving 100% of the traffic to {v2}",
        "inventory-api (sandbox): replaced; waiting for Ready",
    ]
    assert live(emulator)["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]
    assert emulator.revisions(PROJECT, API) == [v1, v2]

    # Following the latest revision again: a plain deploy rolls forward, with no warning.
    assert cli("deploy", API, "--version", "v3") == 0
    assert not [line for line in cli.err if "warning" in line]
    v3 = live(emulator)["status"]["latestReadyRevisionName"]
    assert live(emulator)["status"]["traffic"] == [
        {"revisionName": v3, "latestRevision": True, "percent": 100}
    ]


def test_no_traffic_keeps_everything_on_the_old_revision_and_prints_the_tag_url(
    emulator: FakeCloudRun, cli: Cli
) -> None:
    assert cli("deploy", API, "--version", "v1") == 0
    (v1,) = emulator.revisions(PROJECT, API)
    assert cli("deploy", API, "--version", "v2", "--no-traffic", "--tag", "canary") == 0
    v2 = emulator.revisions(PROJECT, API)[-1]
    number = emulator.project_number(PROJECT)
    url = f"https://canary---inventory-api-{number}.europe-west1.run.app"
    assert live(emulator)["spec"]["traffic"] == [
        {"revisionName": v1, "percent": 100},
        {"revisionName": v2, "percent": 0, "tag": "canary"},
    ]
    assert live(emulator)["status"]["traffic"][1]["url"] == url
    assert cli.out[-5:] == [
        "inventory-api traffic (sandbox):",
        "  revision                 before  after",
        f"  {v1}    100%   100%",
        f"  {v2}       -     0%  new, tag canary",
        f"inventory-api tag canary is at {url}",
    ]


def test_first_deploy_with_traffic_gives_the_new_revision_everything_and_says_so(
    emulator: FakeCloudRun, cli: Cli
) -> None:
    assert cli("deploy", API, "--version", "v1", "--traffic", "10") == 0
    (v1,) = emulator.revisions(PROJECT, API)
    assert live(emulator)["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]
    number = emulator.project_number(PROJECT)
    assert re.fullmatch(r"inventory-api-v1-[0-9a-f]{6}", v1)
    assert cli.out[-6:] == [
        f"inventory-api is at https://inventory-api-{number}.europe-west1.run.app",
        "inventory-api traffic (sandbox):",
        "  revision                 before  after",
        f"  {v1}       -   100%  new, latest",
        "inventory-api: nothing else serves traffic: the new revision gets 100% (Cloud",
        "  Run cannot split traffic without another revision)",
    ]


def test_a_plain_deploy_replacing_a_pinned_split_warns_and_lists_it(
    emulator: FakeCloudRun, cli: Cli
) -> None:
    assert cli("deploy", API, "--version", "v1") == 0
    (v1,) = emulator.revisions(PROJECT, API)
    assert cli("deploy", API, "--version", "v2", "--traffic", "10") == 0
    v2 = emulator.revisions(PROJECT, API)[-1]
    assert cli("deploy", API, "--version", "v3") == 0
    warning = [line for line in cli.err if line.startswith("warning:")]
    start = cli.err.index(warning[0])
    text = " ".join(line.strip() for line in cli.err[start : start + 4])
    assert text == (
        f"warning: inventory-api (sandbox): its traffic was pinned (90% {v1}, 10% {v2}); this "
        "deploy wrote the manifest's traffic instead (100% to the latest revision). To keep a "
        "split, deploy with --traffic N or --no-traffic"
    )
    assert max(len(line) for line in cli.err[start : start + 4]) <= 80
    assert not any("traffic (sandbox):" in line for line in cli.out)
    v3 = live(emulator)["status"]["latestReadyRevisionName"]
    assert live(emulator)["status"]["traffic"] == [
        {"revisionName": v3, "latestRevision": True, "percent": 100}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--all", "--traffic", "10"],
            f"error: --traffic 10 applies to services only: {JOB} is a job",
        ),
        (
            [JOB, "--no-traffic", "--tag", "c"],
            f"error: --no-traffic --tag c applies to services only: {JOB} is a job",
        ),
        ([API, "--traffic", "5", "--no-traffic"], "error: --traffic and --no-traffic both say"),
        ([API, "--tag", "Canary"], "error: --tag 'Canary': not a traffic tag"),
    ],
)
def test_traffic_options_refused_before_anything_is_sent(
    emulator: FakeCloudRun, cli: Cli, args: list[str], message: str
) -> None:
    assert cli("deploy", "--version", "v1", *args) == 2
    assert any(line.startswith(message) for line in cli.err), cli.err
    assert emulator.requests == []


@pytest.mark.parametrize("value", ["0", "101", "ten"])
def test_traffic_out_of_range_is_a_usage_error(
    emulator: FakeCloudRun, cli: Cli, value: str
) -> None:
    assert cli("deploy", API, "--version", "v1", "--traffic", value) == 2
    assert emulator.requests == []


def test_promote_refuses_a_job_and_fails_without_a_ready_revision(
    emulator: FakeCloudRun, cli: Cli
) -> None:
    assert cli("promote", JOB) == 2
    assert cli.err == [
        f"error: promote moves traffic between the revisions of a service: {JOB} is a job",
        f"  hint: run the job now with `polyinfra execute {JOB} --env sandbox`",
    ]
    assert cli("promote", API) == 1
    assert cli.err == [
        "error: inventory-api (sandbox): not deployed: there is no service inventory-api "
        f"(project {PROJECT}) in region asia-southeast1"
    ]
    emulator.script(API, ready=False, message="bad image")
    assert cli("deploy", API, "--version", "v1") == 1
    (v1,) = emulator.revisions(PROJECT, API)
    writes = len(emulator.writes())
    assert cli("promote", API, "--percent", "50") == 1
    assert cli.err == [
        f"error: inventory-api (sandbox): service inventory-api (project {PROJECT}) has no "
        f"ready revision to promote (latest created: {v1}); deploy a version that becomes "
        "ready first"
    ]
    assert len(emulator.writes()) == writes
    assert cli("promote", API, "--percent", "0") == 2


def test_a_dry_run_shows_the_split_it_would_write(emulator: FakeCloudRun, cli: Cli) -> None:
    assert cli("deploy", API, "--version", "v1") == 0
    (v1,) = emulator.revisions(PROJECT, API)
    writes = len(emulator.writes())
    assert cli("deploy", API, "--version", "v2", "--traffic", "10", "--dry-run") == 0
    assert len(emulator.writes()) == writes
    (named,) = [line for line in cli.out if "spec.template.metadata.name" in line]
    v2 = named.split("'")[1]
    assert re.fullmatch(r"inventory-api-v2-[0-9a-f]{6}", v2)
    assert (
        "    ~ spec.traffic: [{'latestRevision': True, 'percent': 100}] -> "
        f"[{{'revisionName': '{v1}', 'percent': 90}}, {{'revisionName': '{v2}', 'percent': 10}}]"
    ) in cli.out
    assert cli.out[-1] == "dry run: nothing was written"


def test_tags_stay_where_they_point_through_plain_deploys(emulator: FakeCloudRun, cli: Cli) -> None:
    assert cli("deploy", API, "--version", "v1") == 0
    assert cli("deploy", API, "--version", "v2", "--no-traffic", "--tag", "canary") == 0
    v2 = emulator.revisions(PROJECT, API)[-1]
    assert cli("promote", API) == 0
    assert cli("deploy", API, "--version", "v3", "--tag", "next") == 0
    v3 = emulator.revisions(PROJECT, API)[-1]
    assert cli("deploy", API, "--version", "v4") == 0
    assert live(emulator)["spec"]["traffic"] == [
        {"percent": 100, "latestRevision": True},
        {"revisionName": v3, "percent": 0, "tag": "next"},
        {"revisionName": v2, "percent": 0, "tag": "canary"},
    ]
    assert not [line for line in cli.err if "warning" in line]
