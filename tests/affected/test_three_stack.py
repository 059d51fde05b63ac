"""Change detection in the three-stack layout: a platform change is a platform change and
reaches what platform feeds (services' same-named stack, the environment's apps); a services
change stays in services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.affected.conftest import Repo, Runner, answer, reason
from tests.affected.three_stack import PLATFORM, SERVICES, three_stack_example

APPS = (
    ("dmd-inv-mov-api2bq", "job", "dmd_ingest"),
    ("inventory-api", "service", "inventory_api"),
    ("stock-webhook", "function", "stock_webhook"),
)


@pytest.fixture
def three_stack_repo(tmp_path: Path) -> Repo:
    repo = Repo(three_stack_example(tmp_path / "ws")).init()
    repo.commit("initial")
    return repo


def stack(name: str, program: str, reasons: list[dict[str, str]]) -> dict[str, Any]:
    return {"name": name, "program": program, "reasons": reasons}


def fed_apps(envs: list[str], reasons: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "kind": kind,
            "project": project,
            "action": "rebuild",
            "environments": envs,
            "reasons": reasons,
        }
        for name, kind, project in APPS
    ]


def test_platform_stack_change_feeds_services_but_not_apps_whose_registry_stays(
    three_stack_repo: Repo, cli: Runner
) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{PLATFORM}/Pulumi.sandbox.yaml"
    repo.replace(path, "label:owner: data-engineering", "label:owner: platform-team")
    repo.commit("platform owner")
    changed = "stack sandbox of platform changed"

    assert cli.json(repo, "--base", base) == answer(
        repo,
        base,
        merge_base=base,
        stacks=[
            stack("sandbox", "platform", [reason(path, changed)]),
            stack(
                "sandbox",
                "services",
                [reason(path, f"{changed}; stack sandbox of services reads its outputs")],
            ),
        ],
        apps=[],
    )

    code, out, err = cli("affected", "-w", str(repo.root), "--base", base)
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "reasons:",
        f"  [1] {path}: {changed}",
        f"  [2] {path}: {changed}; stack sandbox of services reads its outputs",
        "foundation: changed",
        "  stack sandbox of platform [1]",
        "  stack sandbox of services [2]",
        "bricks: 0",
        "projects: 0",
        "apps: 0",
    ]


def test_a_moved_registry_rebuilds_the_apps_of_its_project_only(
    three_stack_repo: Repo, cli: Runner
) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{PLATFORM}/Pulumi.sandbox.yaml"
    repo.replace(path, "repository_id: inventory-api", "repository_id: inventory-images")
    repo.commit("inventory images")
    code, out, err = cli("affected", "-w", str(repo.root), "--base", base)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[lines.index("apps: 1") :] == [
        "apps: 1",
        "  inventory-api (service): rebuild in sandbox [3]",
    ]
    assert lines[4] == (
        f"  [3] {path}: stack sandbox of platform changed; the apps of sandbox run images from "
        "the registries it declares"
    )


def test_services_stack_change_does_not_mark_platform(three_stack_repo: Repo, cli: Runner) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{SERVICES}/Pulumi.production.yaml"
    repo.replace(path, "roles/logging.logWriter", "roles/logging.admin")
    repo.commit("services roles")

    assert cli.json(repo, "--base", base) == answer(
        repo,
        base,
        merge_base=base,
        stacks=[
            stack("production", "services", [reason(path, "stack production of services changed")])
        ],
    )
    code, out, _ = cli("affected", "-w", str(repo.root), "--base", base, "-f", "github")
    assert code == 0
    lines = out.splitlines()
    assert 'stacks=["production"]' in lines
    assert lines[-1] == 'program_stacks={"platform":[],"services":["production"]}'


def test_platform_program_change_reaches_every_stack_and_app(
    three_stack_repo: Repo, cli: Runner
) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{PLATFORM}/__main__.py"
    repo.append(path, "# platform\n")
    repo.commit("platform program")
    changed = "Pulumi program platform changed: every stack of it runs it"

    result = cli.json(repo, "--base", base)
    assert result["foundation"]["stacks"] == [
        stack(name, "platform", [reason(path, changed)]) for name in ("production", "sandbox")
    ] + [
        stack(
            name,
            "services",
            [reason(path, f"{changed}; stack {name} of services reads its outputs")],
        )
        for name in ("production", "sandbox")
    ]
    assert result["apps"] == fed_apps(
        ["production", "sandbox"],
        [
            reason(path, f"{changed}; the apps of {env} run images from the registries it declares")
            for env in ("production", "sandbox")
        ],
    )

    # one environment: its stack in each program, its apps
    narrowed = cli.json(repo, "--base", base, "--env", "production")
    assert [(s["program"], s["name"]) for s in narrowed["foundation"]["stacks"]] == [
        ("platform", "production"),
        ("services", "production"),
    ]
    assert {a["name"]: a["environments"] for a in narrowed["apps"]} == {
        name: ["production"] for name, _, _ in APPS
    }


def test_services_program_change_stays_in_services(three_stack_repo: Repo, cli: Runner) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{SERVICES}/monitoring/dashboard.json"
    repo.replace(path, "{", "{ ")
    repo.commit("dashboard")
    result = cli.json(repo, "--base", base)
    assert [(s["program"], s["name"]) for s in result["foundation"]["stacks"]] == [
        ("services", "production"),
        ("services", "sandbox"),
    ]
    assert result["apps"] == []


def test_everything_lists_each_program_s_stacks(three_stack_repo: Repo, cli: Runner) -> None:
    result = cli.json(three_stack_repo, "--all")
    assert [(s["program"], s["name"]) for s in result["foundation"]["stacks"]] == [
        ("platform", "production"),
        ("platform", "sandbox"),
        ("services", "production"),
        ("services", "sandbox"),
    ]
    code, out, _ = cli("affected", "-w", str(three_stack_repo.root), "--all", "-f", "github")
    assert code == 0
    assert 'stacks=["production","sandbox"]' in out.splitlines()
    assert (
        'program_stacks={"platform":["production","sandbox"],"services":["production","sandbox"]}'
        in out.splitlines()
    )


def test_deleted_platform_stack_is_removed_from_platform(
    three_stack_repo: Repo, cli: Runner
) -> None:
    repo = three_stack_repo
    base = repo.sha()
    path = f"{PLATFORM}/Pulumi.production.yaml"
    repo.remove(path)
    repo.commit("no production platform")
    result = cli.json(repo, "--base", base)
    assert result["removed"]["stacks"] == [
        {
            "name": "production",
            "program": "platform",
            "reasons": [reason(path, "stack file deleted")],
        }
    ]
    assert result["foundation"]["stacks"] == []
    code, out, _ = cli("affected", "-w", str(repo.root), "--base", base)
    assert code == 0
    assert "  stack production of platform [1]" in out.splitlines()
