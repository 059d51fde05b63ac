"""`polyinfra migrate three-stack` on a copy of the bundled example."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.foundation.plan import plan_stack
from polyinfra.workspace import Workspace
from tests.conftest import edit
from tests.scaffold.conftest import snapshot

PULUMI = "infrastructure/pulumi"
PLATFORM = f"{PULUMI}/platform"
SERVICES = f"{PULUMI}/services"


def migrate(root: Path, *args: str) -> int:
    return main(["migrate", "three-stack", "-w", str(root), *args])


def resources(program: Path, stack: str) -> set[tuple[str, str]]:
    return {(r.type, r.name) for r in plan_stack(program, stack).resources}


@pytest.mark.parametrize("stack", ["sandbox", "production"])
def test_the_two_programs_plan_what_the_one_did(root: Path, stack: str) -> None:
    before = resources(root / PULUMI, stack)

    assert migrate(root) == 0

    platform = resources(root / PLATFORM, stack)
    services = resources(root / SERVICES, stack)
    assert platform | services == before
    assert not platform & services
    assert {kind for kind, _ in platform} == {"gcp:artifactregistry/repository:Repository"}
    # services reads its project from the platform's plan, offline
    outputs = plan_stack(root / SERVICES, stack).outputs
    assert outputs["gcp_project"] == plan_stack(root / PLATFORM, stack).outputs["gcp_project"]


def test_the_cli_plans_both_programs(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate(root) == 0
    capsys.readouterr()
    assert main(["plan", "-w", str(root / PLATFORM), "--stack", "sandbox"]) == 0
    assert "3 resources" in capsys.readouterr().out
    assert main(["plan", "-w", str(root / SERVICES), "--stack", "sandbox"]) == 0
    out = capsys.readouterr().out
    assert "Stack sandbox of services (Google Cloud project data-platform-sandbox)" in out
    assert "20 resources" in out


def test_the_layout_after_the_migration(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(root / PULUMI)

    assert migrate(root) == 0

    after = snapshot(root / PULUMI)
    assert sorted(after) == [
        "platform/Pulumi.production.yaml",
        "platform/Pulumi.sandbox.yaml",
        "platform/Pulumi.yaml",
        "platform/__main__.py",
        "platform/stack-config.schema.json",
        "services/Pulumi.production.yaml",
        "services/Pulumi.sandbox.yaml",
        "services/Pulumi.yaml",
        "services/__main__.py",
        "services/bigquery/bronze_dmd/inventory_movement.json",
        "services/monitoring/dashboard.json",
        "services/stack-config.schema.json",
    ]
    for moved in ("__main__.py", "bigquery/bronze_dmd/inventory_movement.json"):
        assert after[f"services/{moved}"] == before[moved]
    assert after["platform/__main__.py"] == before["__main__.py"]
    assert after["platform/stack-config.schema.json"] == before["stack-config.schema.json"]
    # services keeps the project's name (and so its deployed state); the platform is new
    assert after["services/Pulumi.yaml"] == before["Pulumi.yaml"]
    assert after["platform/Pulumi.yaml"] == before["Pulumi.yaml"].replace(
        b"name: data-platform\n", b"name: data-platform-platform\n"
    )
    ws = Workspace.discover(root)
    assert [p.name for p in ws.ordered_programs] == ["data-platform-platform", "data-platform"]
    out = capsys.readouterr().out
    assert f"move      {PULUMI}/bigquery/ -> {SERVICES}/bigquery/\n" in out
    assert f"create    {PLATFORM}/Pulumi.sandbox.yaml  (from {PULUMI}/Pulumi.sandbox.yaml:" in out
    assert f"remove    {PULUMI}/Pulumi.sandbox.yaml" in out
    assert "polyinfra ci generate" in out
    assert (
        f"next: {SERVICES} keeps the Pulumi project data-platform, so its deployed stacks keep "
        "their state;"
    ) in out
    registries = ("dmd_ingest", "inventory_api", "stock_webhook")
    assert (
        "  sandbox: pulumi state move --source sandbox --dest "
        "organization/data-platform-platform/sandbox "
        + " ".join(
            "urn:pulumi:sandbox::data-platform::gcp:artifactregistry/repository:Repository::"
            f"registry_{name}_asia_southeast1"
            for name in registries
        )
        + "\n"
    ) in out


def test_comments_and_anchors_are_kept(root: Path) -> None:
    assert migrate(root) == 0

    platform = (root / PLATFORM / "Pulumi.sandbox.yaml").read_text()
    services = (root / SERVICES / "Pulumi.sandbox.yaml").read_text()
    header = (
        "# yaml-language-server: $schema=stack-config.schema.json\n"
        '# Foundation stack "sandbox" (`pulumi up --stack sandbox`); section keys are pulumi-gcp '
        "argument names.\nconfig:\n"
    )
    assert platform.startswith(header)
    assert services.startswith(header)
    assert "  gcp:project: data-platform-sandbox\n" in platform
    assert "  gcp:project: data-platform-sandbox\n" in services
    assert (
        "  # Shared values, reused below through YAML aliases\n"
        "  input:artifact_registry_cleanup_policies: &artifact_registry_cleanup_policies\n"
    ) in platform
    assert "        older_than: 2592000s # 30 days\n" in platform
    assert platform.count("        cleanup_policies: *artifact_registry_cleanup_policies\n") == 3
    assert (
        "  input:log_metric_distribution_descriptor: &log_metric_distribution_descriptor\n"
    ) in services
    assert "        metric_descriptor: *log_metric_distribution_descriptor\n" in services
    assert (
        "        - role: roles/run.invoker # Cloud Scheduler runs the job as this account\n"
        "          resource: {job: dmd-inv-mov-api2bq}\n"
    ) in services
    assert "        - secret_id: DMD_API_TOKEN # the value is added out of band" in services
    assert "  # Workspace-wide monitoring\n  input:monitoring:\n" in services


def test_dry_run_writes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(root)

    assert migrate(root, "--dry-run") == 0

    assert snapshot(root) == before
    out = capsys.readouterr().out
    assert f"would move      {PULUMI}/__main__.py -> {SERVICES}/__main__.py\n" in out
    assert f"would create    {PLATFORM}/Pulumi.yaml  (name: data-platform-platform)\n" in out
    assert "${platform" not in out
    assert f"would remove    {PULUMI}/Pulumi.yaml" in out


def test_a_second_run_changes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate(root) == 0
    after = snapshot(root)
    capsys.readouterr()

    assert migrate(root) == 0
    assert migrate(root, "--dry-run") == 0

    assert snapshot(root) == after
    out = capsys.readouterr().out
    assert out.count("nothing to do: infrastructure/pulumi is already split") == 2


def test_settings_that_point_into_the_program_follow_it(root: Path) -> None:
    pyproject = root / "infrastructure/pyproject.toml"
    text = pyproject.read_text() + (
        "\n[tool.polyinfra.affected]\n"
        "ignore = [\n"
        '    "*.md",\n'
        '    "infrastructure/pulumi/monitoring/*.json",  # dashboards are reviewed, not deployed\n'
        '    "!infrastructure/pulumi/Pulumi.*.yaml",\n'
        '    "infrastructure/pulumi/**",\n'
        "]\n"
    )
    pyproject.write_text(text)

    assert migrate(root) == 0

    assert pyproject.read_text() == text.replace(
        "infrastructure/pulumi/monitoring/", "infrastructure/pulumi/services/monitoring/"
    ).replace("!infrastructure/pulumi/Pulumi.", "!infrastructure/pulumi/*/Pulumi.")


def test_a_main_with_code_of_its_own_stays_with_services(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_py = root / PULUMI / "__main__.py"
    custom = main_py.read_text().replace("run()\n", "resources = run()\nprint(resources)\n")
    main_py.write_text(custom)

    assert migrate(root) == 0

    assert (root / SERVICES / "__main__.py").read_text() == custom
    platform_main = (root / PLATFORM / "__main__.py").read_text()
    assert platform_main.endswith("from polyinfra.foundation import run\n\nrun()\n")
    assert "does more than run()" in capsys.readouterr().out


# --- bad input: exit 2, the place, nothing written --------------------------------------------


def failed(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[str, dict[str, bytes]]:
    before = snapshot(root)
    assert migrate(root, *args) == 2
    assert snapshot(root) == before
    return capsys.readouterr().err, before


def test_a_stack_file_that_cannot_be_split(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        root,
        f"{PULUMI}/Pulumi.production.yaml",
        "    inventory-api:\n      service_account:\n",
        "    inventory-api: {artifact_registry: {repository_id: x}}\n    other:\n"
        "      service_account:\n",
    )
    err, _ = failed(root, capsys)
    where = f"{PULUMI}/Pulumi.production.yaml:29:20: "
    assert where + "input:projects.inventory-api is written in flow style" in err
    assert "hint: write input:projects.inventory-api in block style" in err


def test_every_stack_file_s_problem_is_reported_at_its_line(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, f"{PULUMI}/Pulumi.sandbox.yaml", "  input:environment: sandbox\n", "  input: [x\n")
    edit(
        root,
        f"{PULUMI}/Pulumi.production.yaml",
        "    stock-webhook:\n      service_account:\n",
        "    stock-webhook: *hook\n    other:\n      service_account:\n",
    )
    edit(
        root,
        f"{PULUMI}/Pulumi.production.yaml",
        "  input:projects:\n",
        "  input:h: &hook {}\n  input:projects:\n",
    )
    err, _ = failed(root, capsys, "--dry-run")
    assert f"{PULUMI}/Pulumi.sandbox.yaml:7:15: invalid YAML" in err
    assert (
        f"{PULUMI}/Pulumi.production.yaml:103:20: input:projects.stock-webhook is an alias" in err
    )
    assert "Traceback" not in err


def test_no_program(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted((root / PULUMI).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    err, _ = failed(root, capsys)
    assert "no Pulumi program under infrastructure/" in err
    assert "polyinfra init" in err


def test_several_programs(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = root / "infrastructure/other"
    other.mkdir()
    (other / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    err, _ = failed(root, capsys)
    assert "more than one Pulumi program" in err
    assert "infrastructure/other/Pulumi.yaml" in err


def test_a_folder_in_the_way(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / PULUMI / "services").mkdir()
    (root / PULUMI / "services" / "notes.txt").write_text("x")
    err, _ = failed(root, capsys)
    assert f"{SERVICES} already exists" in err


def test_a_lone_program_already_named_services(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.rename(root / PULUMI, root / "infrastructure/services")
    (root / PULUMI).mkdir()
    os.rename(root / "infrastructure/services", root / SERVICES)
    err, _ = failed(root, capsys)
    assert "already in a folder named services/" in err


@pytest.mark.parametrize("failing", [1, 4, 6, 9])
def test_a_failed_write_changes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    from polyinfra.scaffold import migrate as module

    calls = {"rename": 0}
    real = os.rename

    def rename(source: object, target: object) -> None:
        calls["rename"] += 1
        if calls["rename"] == failing:
            raise PermissionError(13, "Permission denied", str(target))
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(module.os, "rename", rename)
    err, before = failed(root, capsys)
    assert "could not write the migration (Permission denied: " in err
    assert "nothing was changed" in err
    assert not [p for p in (root / PULUMI).iterdir() if p.name.startswith(".polyinfra")]
    assert snapshot(root) == before


def test_a_failed_settings_write_changes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyinfra.scaffold import migrate as module

    pyproject = root / "infrastructure/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.polyinfra.affected]\nignore = ["infrastructure/pulumi/a"]\n'
    )

    def replace(source: object, target: object) -> None:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(module.os, "replace", replace)
    err, _ = failed(root, capsys)
    assert "No space left on device" in err
    assert not list(root.joinpath("infrastructure").glob(".pyproject.toml.*"))


PLATFORM_SECTIONS = """\
  input:workload_identity:
    pool_id: github
    provider_id: data-platform
    repository: acme/data-platform
    deployer:
      account_id: github-deployer
      roles: [roles/run.admin]

  input:networks:
    - name: main
      subnets:
        - {name: apps, ip_cidr_range: 10.8.0.0/24}

  # who hears about alerts
  input:notification_channels:
    - name: oncall
      type: email
      labels: {email_address: oncall@acme.example}

"""


def test_platform_sections_move_and_alerts_notify_the_platform_channel(root: Path) -> None:
    stack = f"{PULUMI}/Pulumi.sandbox.yaml"
    edit(
        root, stack, "  # One entry per Polylith", PLATFORM_SECTIONS + "  # One entry per Polylith"
    )
    edit(
        root,
        stack,
        "  input:monitoring:\n",
        "  input:monitoring:\n    notification_channel_id: oncall\n",
    )
    before = resources(root / PULUMI, "sandbox")

    assert migrate(root) == 0

    platform_text = (root / PLATFORM / "Pulumi.sandbox.yaml").read_text()
    services_text = (root / SERVICES / "Pulumi.sandbox.yaml").read_text()
    assert PLATFORM_SECTIONS in platform_text
    assert "input:networks" not in services_text
    assert (
        "  input:monitoring:\n"
        "    notification_channel_id: ${platform.notification_channels.oncall}\n"
    ) in services_text
    platform_plan = plan_stack(root / PLATFORM, "sandbox")
    services_plan = plan_stack(root / SERVICES, "sandbox")
    platform = {(r.type, r.name) for r in platform_plan.resources}
    services = {(r.type, r.name) for r in services_plan.resources}
    assert platform | services == before
    assert ("gcp:compute/network:Network", "network_main") in platform
    policy = services_plan.find(
        "gcp:monitoring/alertPolicy:AlertPolicy", "alertpolicy_dmd_ingest_errors"
    )
    channel = platform_plan.outputs["notification_channels"]["oncall"]
    assert policy.inputs["notificationChannels"] == [channel]


@pytest.mark.parametrize(
    ("setting", "line", "col", "name"),
    [
        ("main: src/\n", 7, 7, "main: src/"),
        ("    virtualenv: ../.venv\n", 7, 17, "runtime.options.virtualenv: ../.venv"),
    ],
)
def test_a_path_relative_to_the_program_folder_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str], setting: str, line: int, col: int, name: str
) -> None:
    project = root / PULUMI / "Pulumi.yaml"
    project.write_text(project.read_text() + setting)
    err, _ = failed(root, capsys)
    assert err.splitlines()[0] == (
        f"error: {project}:{line}:{col}: Pulumi.yaml sets {name}, a path relative to the program "
        "folder, which the migration moves into services/ (and platform gets a __main__.py of "
        "its own)"
    )


def test_the_notes_say_how_to_create_the_platforms_stacks(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate(root) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "create each of its stacks (in infrastructure/pulumi/platform, with the backend the old "
        "stack is in: `pulumi stack init organization/data-platform-platform/<stack>`)"
    ) in out
    assert "`data-platform:stack_reference_organization: <organization>`" in out
