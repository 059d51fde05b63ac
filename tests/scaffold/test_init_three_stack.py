"""`polyinfra init --stacks 3`: the platform and services programs of the three-stack layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.foundation.plan import plan_stack
from polyinfra.workspace import Workspace
from polyinfra.yamlio import load_file
from tests.scaffold.conftest import snapshot

PULUMI = "infrastructure/pulumi"
THREE_STACK_FILES = [
    f"{PULUMI}/platform/Pulumi.production.yaml",
    f"{PULUMI}/platform/Pulumi.sandbox.yaml",
    f"{PULUMI}/platform/Pulumi.yaml",
    f"{PULUMI}/platform/__main__.py",
    f"{PULUMI}/platform/stack-config.schema.json",
    f"{PULUMI}/services/Pulumi.production.yaml",
    f"{PULUMI}/services/Pulumi.sandbox.yaml",
    f"{PULUMI}/services/Pulumi.yaml",
    f"{PULUMI}/services/__main__.py",
    f"{PULUMI}/services/bigquery/.gitkeep",
    f"{PULUMI}/services/monitoring/dashboard.json",
    f"{PULUMI}/services/stack-config.schema.json",
    "infrastructure/pyproject.toml",
]


def init(root: Path, *args: str) -> int:
    return main(["init", "-w", str(root), "--no-lock", *args])


def test_three_stacks(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(acme, "--stacks", "3") == 0

    created = sorted(p for p in snapshot(acme) if p.startswith("infrastructure/"))
    assert created == THREE_STACK_FILES
    assert f"create    {PULUMI}/platform/Pulumi.sandbox.yaml" in capsys.readouterr().out
    ws = Workspace.discover(acme)
    assert [(p.path.name, p.name) for p in ws.ordered_programs] == [
        ("platform", "acme-platform"),
        ("services", "acme-services"),
    ]
    for program in ws.programs:
        assert load_file(program.project_file).get(("runtime", "options", "toolchain")) == "uv"
        assert sorted(program.stacks) == ["production", "sandbox"]
    platform = load_file(acme / PULUMI / "platform/Pulumi.sandbox.yaml").get(("config",))
    services = load_file(acme / PULUMI / "services/Pulumi.sandbox.yaml").get(("config",))
    assert platform["gcp:project"] == "acme-sandbox"
    # a provider setting is written out in each program: the engine reads it, not the program
    assert services["gcp:project"] == "acme-sandbox"
    for config in (platform, services):
        assert config["gcp:region"] == "asia-southeast1"
        assert config["input:environment"] == "sandbox"
        assert config["input:bucket"] == "acme-sandbox-pulumi-state"
        assert config["label:component"] == "acme"
        assert config["input:projects"] == {}
    # each program's shared anchors are those its commented examples use
    assert "input:artifact_registry_cleanup_policies" in platform
    assert "input:log_metric_distribution_descriptor" in services
    platform_text = (acme / PULUMI / "platform/Pulumi.sandbox.yaml").read_text()
    assert "#       cleanup_policies: *artifact_registry_cleanup_policies" in platform_text
    assert "# input:workload_identity:" in platform_text
    services_text = (acme / PULUMI / "services/Pulumi.sandbox.yaml").read_text()
    assert "artifact_registry" not in services_text
    assert "#   notification_channel_id: ${platform.notification_channels.oncall}" in (
        services_text
    )


@pytest.mark.parametrize("stack", ["sandbox", "production"])
def test_both_programs_plan(acme: Path, stack: str) -> None:
    assert init(acme, "--stacks", "3") == 0
    project = "acme-sandbox" if stack == "sandbox" else "acme-prod"
    for side in ("platform", "services"):
        plan = plan_stack(acme / PULUMI / side, stack)
        assert plan.resources == ()
        assert plan.outputs["gcp_project"] == project


def test_check_is_as_clean_as_for_two_stacks(
    acme: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = Path(shutil.copytree(acme, tmp_path / "two"))
    assert init(two) == 0
    assert init(acme, "--stacks", "3") == 0
    capsys.readouterr()

    assert main(["check", "-w", str(two)]) == 0
    assert "no problems" in capsys.readouterr().err
    for side in ("platform", "services"):
        assert main(["check", "-w", str(acme / PULUMI / side)]) == 0
        assert "no problems" in capsys.readouterr().err


def test_two_stacks_stay_the_default(acme: Path) -> None:
    assert init(acme) == 0
    assert [p.path.name for p in Workspace.discover(acme).programs] == ["pulumi"]
    text = (acme / PULUMI / "Pulumi.yaml").read_text()
    assert text.startswith("name: acme\ndescription: Foundation stack of acme\n")


def test_init_again_keeps_the_layout(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(acme, "--stacks", "3") == 0
    before = snapshot(acme)
    capsys.readouterr()

    assert init(acme) == 0  # the workspace's layout
    assert init(acme, "--stacks", "3") == 0

    assert snapshot(acme) == before
    out = capsys.readouterr().out
    assert "create" not in out
    assert f"unchanged {PULUMI}/services/Pulumi.sandbox.yaml" in out


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        ([], ["--stacks", "3"], "polyinfra migrate three-stack"),
        (["--stacks", "3"], ["--stacks", "2"], "--stacks 2 would add a third program"),
        ([], ["--stacks", "4"], "--stacks 4: expected 2"),
    ],
)
def test_a_layout_that_does_not_fit_is_an_error(
    acme: Path, capsys: pytest.CaptureFixture[str], first: list[str], then: list[str], message: str
) -> None:
    assert init(acme, *first) == 0
    before = snapshot(acme)
    capsys.readouterr()

    assert init(acme, *then) == 2

    assert snapshot(acme) == before
    assert message in capsys.readouterr().err
