"""A release told end to end against the emulator, as a user types it during the day and
during an incident: deploy v1, deploy v2 to 10% of the traffic, look, promote, roll back,
find a hand edit. Every step's output is asserted whole."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.emulator import FakeCloudRun

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
PROJECT = "data-platform-sandbox"
APP = "inventory-api"

pytestmark = pytest.mark.slow


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def test_deploy_canary_promote_rollback_and_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root)
    with FakeCloudRun(region="asia-southeast1") as fake:
        where = ["-e", "sandbox", "--endpoint", fake.endpoint, "-w", str(root)]
        number = fake.project_number(PROJECT)
        url = f"https://{APP}-{number}.asia-southeast1.run.app"

        assert run(capsys, "deploy", APP, "--version", "v1", *where)[0] == 0
        (first,) = fake.revisions(PROJECT, APP)

        code, out = run(capsys, "deploy", APP, "--version", "v2", "--traffic", "10", *where)
        assert code == 0
        second = fake.revisions(PROJECT, APP)[1]
        assert re.fullmatch(rf"{APP}-v2-[0-9a-f]{{6}}", second)
        assert out.splitlines()[-4:] == [
            f"{APP} traffic (sandbox):",
            "  revision                 before  after",
            f"  {first}    100%    90%",
            f"  {second}       -    10%  new",
        ]

        def status(*more: str) -> tuple[int, list[str]]:
            code, out = run(capsys, "status", APP, *where, *more)
            when = re.compile(r"deployed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
            return code, [when.sub("deployed <time>", line) for line in out.splitlines()]

        assert status() == (
            0,
            [
                "APP            ENV      KIND     VERSION  READY  TRAFFIC  DRIFT",
                f"{APP}  sandbox  service  v1,v2    True   90%/10%  no",
                f"  revision {second}, deployed <time>",
                f"  {url}",
                f"   90%  {first}  v1",
                f"   10%  {second}  v2",
            ],
        )

        code, out = run(capsys, "promote", APP, *where)
        assert code == 0
        assert out.splitlines() == [
            f"{APP} (sandbox): 100% of the traffic to {second}",
            "  revision                 before  after",
            f"  {first}     90%      -",
            f"  {second}     10%   100%  latest",
            f"{APP} is at {url}",
        ]
        assert status() == (
            0,
            [
                "APP            ENV      KIND     VERSION  READY  TRAFFIC  DRIFT",
                f"{APP}  sandbox  service  v2       True   100%     no",
                f"  revision {second}, deployed <time>",
                f"  {url}",
            ],
        )

        # the incident: back to v1 in one command, without a build, a render or a revision
        code, out = run(capsys, "rollback", APP, *where)
        assert code == 0
        assert out.splitlines() == [
            f"rolled back {APP} (sandbox): v2 → v1",
            f"  before  100%  {second}  v2",
            f"  after   100%  {first}  v1",
        ]
        assert fake.revisions(PROJECT, APP) == [first, second]
        assert status()[1][1:] == [
            f"{APP}  sandbox  service  v1       True   100%     no",
            f"  revision {second}, deployed <time>",
            f"  {url}",
            f"  100%  {first}  v1",
        ]

        # someone edits the live service by hand (as the console does: a new revision)
        client = CloudRunClient.connect("asia-southeast1", endpoint=fake.endpoint)
        ref = ObjectRef("Service", PROJECT, APP)
        live = client.get(ref)
        assert live is not None
        live.pop("status")
        live["spec"]["template"]["metadata"].pop("name")
        for variable in live["spec"]["template"]["spec"]["containers"][0]["env"]:
            if variable["name"] == "ENVIRONMENT":
                variable["value"] = "hand-edited"
        client.replace(ref, live)
        client.close()
        third = fake.revisions(PROJECT, APP)[2]

        assert status("--diff") == (
            0,
            [
                "APP            ENV      KIND     VERSION  READY  TRAFFIC  DRIFT",
                f"{APP}  sandbox  service  v1       True   100%     yes",
                f"  revision {third}, deployed <time>",
                f"  {url}",
                f"  100%  {first}  v1",
                f"    ~ spec.template.spec.containers[{APP}].env[ENVIRONMENT].value: "
                "'hand-edited' -> 'sandbox'",
            ],
        )
        assert status("--exit-code")[0] == 1
