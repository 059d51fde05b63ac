"""`polyinfra add` after `polyinfra init` in a poly-made workspace, and on the example."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import tomlkit
from ruamel.yaml import YAML

from polyinfra.cli.main import main
from polyinfra.workspace import Workspace
from polyinfra.yamlio import load_all_text, load_file
from tests.conftest import EXAMPLE
from tests.scaffold.conftest import snapshot

STACKS = ("sandbox", "production")
GCP = {"sandbox": "acme-sandbox", "production": "acme-prod"}


def kustomize(overlay: Path) -> list[dict[str, object]]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], check=True, capture_output=True, text=True
    )
    docs = load_all_text(rendered.stdout, overlay / "rendered.yaml")
    return [doc.data for doc in docs]


@pytest.fixture
def initialised(acme: Path) -> Path:
    assert main(["init", "-w", str(acme)]) == 0
    return acme


def add_all(root: Path) -> None:
    assert main(["add", "service", "api", "-w", str(root)]) == 0
    schedule = ["--schedule", "0 4 * * *", "--time-zone", "Asia/Kuala_Lumpur"]
    assert main(["add", "job", "ingest", "-w", str(root), *schedule]) == 0
    assert main(["add", "function", "hook", "-w", str(root)]) == 0


def test_added_apps_render_with_kustomize(initialised: Path) -> None:
    add_all(initialised)

    ws = Workspace.discover(initialised)
    assert {name: (app.kind, app.project) for name, app in ws.apps.items()} == {
        "api": ("service", "api"),
        "hook": ("function", "hook"),
        "ingest": ("job", "ingest"),
    }
    expected_accounts = {"api": "api-runtime", "ingest": "ingest", "hook": "hook-runtime"}
    for app in ws.apps.values():
        assert sorted(app.overlays) == ["production", "sandbox"]
        for env, overlay in app.overlays.items():
            (manifest,) = kustomize(overlay.path)
            metadata = manifest["metadata"]
            assert isinstance(metadata, dict)
            assert (metadata["name"], metadata["namespace"]) == (app.name, GCP[env])
            text = (overlay.path / "kustomization.yaml").read_text()
            account = f"{expected_accounts[app.name]}@{GCP[env]}.iam.gserviceaccount.com"
            assert f"value: {account}" in text
            spec = manifest["spec"]
            assert isinstance(spec, dict)
            template = spec["template"]
            pod = template["spec"]["template"]["spec"] if app.kind == "job" else template["spec"]
            assert pod["serviceAccountName"] == account
            (container,) = pod["containers"]
            assert container["image"] == "IMAGE_URL_PLACEHOLDER"
            env_vars = {e["name"]: e.get("value") for e in container["env"]}
            assert env_vars["ENVIRONMENT"] == env
            assert env_vars["VERSION"] == "VERSION_PLACEHOLDER"
            assert env_vars["GCP_PROJECT_ID"] == GCP[env]
            annotations = template["metadata"]["annotations"]
            if app.kind == "service":
                assert manifest["apiVersion"] == "serving.knative.dev/v1"
                probe = container["startupProbe"]
                assert probe["httpGet"] == {"path": "/health_check", "port": 8080}
                assert (probe["failureThreshold"], probe["initialDelaySeconds"]) == (3, 5)
                assert probe["timeoutSeconds"] == 5
                assert container["livenessProbe"]["httpGet"]["path"] == "/health_check"
                scale = ("1", "10") if env == "production" else ("0", "2")
                assert (
                    annotations["autoscaling.knative.dev/minScale"],
                    annotations["autoscaling.knative.dev/maxScale"],
                ) == scale
            elif app.kind == "job":
                assert (manifest["apiVersion"], manifest["kind"]) == (
                    "run.googleapis.com/v1",
                    "Job",
                )
                assert template["spec"]["taskCount"] == 1
                job_spec = template["spec"]["template"]["spec"]
                assert (job_spec["maxRetries"], job_spec["timeoutSeconds"]) == (3, 600)
                assert "ports" not in container
                assert "startupProbe" not in container
                assert "livenessProbe" not in container
            else:
                assert template["spec"]["containerConcurrency"] == 1
                assert container["startupProbe"]["tcpSocket"] == {"port": 8080}
                assert env_vars["FUNCTION_TARGET"] == "hook"
                assert "autoscaling.knative.dev/minScale" not in annotations
                max_scale = "100" if env == "production" else "10"
                assert annotations["autoscaling.knative.dev/maxScale"] == max_scale
                assert template["metadata"]["labels"]["workload-type"] == "cloud-function"


def test_stack_edits_keep_every_original_line(initialised: Path) -> None:
    stacks = {s: initialised / f"infrastructure/pulumi/Pulumi.{s}.yaml" for s in STACKS}
    before = {s: path.read_text() for s, path in stacks.items()}

    add_all(initialised)

    for stack, path in stacks.items():
        old_lines = before[stack].splitlines()
        new_lines = path.read_text().splitlines()
        anchor = old_lines.index("  input:projects: {}")
        # Everything before and after the projects line is byte-for-byte the same ...
        assert new_lines[:anchor] == old_lines[:anchor]
        tail = len(old_lines) - anchor - 1
        assert new_lines[-tail:] == old_lines[anchor + 1 :]
        # ... and the projects line became a block holding the three new entries, in order.
        block = new_lines[anchor : len(new_lines) - tail]
        assert block[0] == "  input:projects:"
        keys = [line.strip() for line in block if line.startswith("    ") and line[4] != " "]
        assert keys == ["api:", "ingest:", "hook:"]
        assert block.count("        cleanup_policies: *artifact_registry_cleanup_policies") == 3
        assert '          schedule: "0 4 * * *"' in block
        grant = block.index("      iam:")
        assert block[grant - 3 : grant + 3] == [
            "        account_id: ingest",
            "        roles:",
            "          - roles/logging.logWriter",
            "      iam:",
            "        - role: roles/run.invoker",
            "          resource: {job: ingest}",
        ]

        config = load_file(path).get(("config",))
        projects = config["input:projects"]
        policies = config["input:artifact_registry_cleanup_policies"]
        for key in ("api", "ingest", "hook"):
            assert projects[key]["artifact_registry"]["cleanup_policies"] == policies
            assert projects[key]["artifact_registry"]["repository_id"] == key
            assert projects[key]["artifact_registry"]["location"] == "asia-southeast1"
        assert projects["ingest"]["service_account_iam"]["roles"] == ["roles/logging.logWriter"]
        # the job's account may run that job, not every job and service of the project
        assert projects["ingest"]["iam"] == [
            {"role": "roles/run.invoker", "resource": {"job": "ingest"}}
        ]
        assert "iam" not in projects["api"]
        assert projects["ingest"]["cloud_scheduler"] == [
            {
                "name": "ingest",
                "target_job": "ingest",
                "region": "asia-southeast1",
                "description": "Runs the ingest Cloud Run job",
                "schedule": "0 4 * * *",
                "time_zone": "Asia/Kuala_Lumpur",
            }
        ]
        assert "cloud_scheduler" not in projects["api"]
        # The alias is a real alias: the round-trip parser gives the anchored node itself.
        doc = YAML(typ="rt").load(path.read_text())["config"]
        for key in ("api", "ingest", "hook"):
            node = doc["input:projects"][key]["artifact_registry"]["cleanup_policies"]
            assert node is doc["input:artifact_registry_cleanup_policies"]


def test_add_dry_run_writes_nothing(initialised: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(initialised)
    capsys.readouterr()

    code = main(
        ["add", "job", "ingest", "--schedule", "0 4 * * *", "--dry-run", "-w", str(initialised)]
    )

    assert code == 0
    assert snapshot(initialised) == before
    out = capsys.readouterr().out.splitlines()
    assert "would create    infrastructure/cloudrun_job/ingest/base/job.yaml" in out
    assert any(
        line.startswith("would update    infrastructure/pulumi/Pulumi.sandbox.yaml") for line in out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["service", "Api"], "'Api' is not a valid Cloud Run service name"),
        (["service", "api-"], "'api-' is not a valid Cloud Run service name"),
        (["function", "h" * 50], "Cloud Run function names have at most 49"),
        (["job", "ingest", "--schedule", "0 4 * *"], "--schedule '0 4 * *' is not a valid cron"),
        (["job", "ingest", "--schedule", "0 25 * * *"], "--schedule '0 25 * * *' is not a valid"),
        (
            ["job", "ingest", "--schedule", "0 4 * * *", "--time-zone", "Asia/Kuala_Lumpor"],
            "'Asia/Kuala_Lumpor' is not a known IANA time zone (did you mean 'Asia/Kuala_Lumpur'?)",
        ),
        (["job", "ingest", "--time-zone", "Etc/UTC"], "--time-zone needs --schedule"),
        (["function", "hook", "--target", "not-python"], "'not-python' is not a Python function"),
    ],
)
def test_bad_input_is_a_user_error_that_writes_nothing(
    initialised: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = snapshot(initialised)
    capsys.readouterr()

    assert main(["add", *args, "-w", str(initialised)]) == 2

    err = capsys.readouterr().err
    kind_dir = {
        "service": "cloudrun_service",
        "job": "cloudrun_job",
        "function": "cloudrun_function",
    }
    assert f"error: {initialised}/infrastructure/{kind_dir[args[0]]}/{args[1]}: " in err
    assert message in err
    assert snapshot(initialised) == before


def test_job_names_may_be_longer_than_service_names(initialised: Path) -> None:
    name = "j" * 63
    assert main(["add", "job", name, "--project", "ingest", "-w", str(initialised)]) == 0
    assert main(["add", "job", name + "x", "--project", "ingest", "-w", str(initialised)]) == 2


def test_existing_app_is_an_error_with_its_path(
    initialised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_all(initialised)
    before = snapshot(initialised)
    capsys.readouterr()

    assert main(["add", "job", "ingest", "-w", str(initialised)]) == 2
    err = capsys.readouterr().err
    assert (
        f"error: {initialised}/infrastructure/cloudrun_job/ingest: app 'ingest' already exists"
        in err
    )
    assert main(["add", "service", "ingest", "-w", str(initialised)]) == 2
    assert "already exists as a job" in capsys.readouterr().err
    assert snapshot(initialised) == before


def test_unknown_project_and_missing_stack_are_errors(
    initialised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", "service", "web", "-w", str(initialised)]) == 2
    err = capsys.readouterr().err
    assert f"{initialised}/projects: no Polylith project named 'web'" in err

    assert main(["add", "service", "web", "--project", "apii", "-w", str(initialised)]) == 2
    assert "--project 'apii': no such Polylith project under projects/ (did you mean 'api'?)" in (
        capsys.readouterr().err
    )

    assert main(["add", "service", "api", "--env", "staging", "-w", str(initialised)]) == 2
    assert "environment 'staging' has no stack file" in capsys.readouterr().err
    assert not (initialised / "infrastructure/cloudrun_service").exists()


def test_add_before_init_is_an_error(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "service", "api", "-w", str(acme)]) == 2
    err = capsys.readouterr().err
    assert f"no Pulumi program under {acme}/infrastructure" in err
    assert "polyinfra init" in err


def test_add_one_environment_only(initialised: Path) -> None:
    assert main(["add", "service", "api", "--env", "sandbox", "-w", str(initialised)]) == 0

    app = Workspace.discover(initialised).apps["api"]
    assert list(app.overlays) == ["sandbox"]
    production = load_file(initialised / "infrastructure/pulumi/Pulumi.production.yaml")
    assert production.get(("config", "input:projects")) == {}


def test_second_job_of_an_example_project_merges_into_its_entry(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "data-platform"))
    stack = root / "infrastructure/pulumi/Pulumi.production.yaml"
    before = stack.read_text()
    args = ["add", "job", "dmd-sku-api2bq", "--project", "dmd_ingest", "-w", str(root)]

    assert main([*args, "--schedule", "30 4 * * *", "--time-zone", "Asia/Kuala_Lumpur"]) == 0

    # two blocks inserted, every original line kept: the job's invoker grant at the end of the
    # project's iam entries, its scheduler entry after the existing one (before `secrets:`)
    grants_end = "          resource: {secret: DMD_API_TOKEN}\n"
    schedulers_end = "          time_zone: Asia/Kuala_Lumpur\n      secrets:\n"
    assert before.count(grants_end) == 1
    assert before.count(schedulers_end) == 1
    assert stack.read_text() == before.replace(
        grants_end,
        grants_end
        + "        - role: roles/run.invoker\n"
        + "          resource: {job: dmd-sku-api2bq}\n",
    ).replace(
        schedulers_end,
        "          time_zone: Asia/Kuala_Lumpur\n"
        "        - name: dmd-sku-api2bq\n"
        "          target_job: dmd-sku-api2bq\n"
        "          region: asia-southeast1\n"
        "          description: Runs the dmd-sku-api2bq Cloud Run job\n"
        '          schedule: "30 4 * * *"\n'
        "          time_zone: Asia/Kuala_Lumpur\n"
        "      secrets:\n",
    )
    ws = Workspace.discover(root)
    assert ws.apps["dmd-sku-api2bq"].project == "dmd_ingest"
    infra = tomlkit.parse((root / "infrastructure/pyproject.toml").read_text()).unwrap()
    assert infra["tool"]["polyinfra"]["apps"]["dmd-sku-api2bq"] == {"project": "dmd_ingest"}
    sandbox_overlay = ws.apps["dmd-sku-api2bq"].overlays["sandbox"].path
    (job,) = kustomize(sandbox_overlay)
    pod = job["spec"]["template"]["spec"]["template"]["spec"]  # type: ignore[index]
    assert pod["serviceAccountName"] == "dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com"


def test_scaffolded_stacks_pass_the_foundation_config_validation(initialised: Path) -> None:
    from polyinfra.foundation.config import load_stack_config

    add_all(initialised)

    program = Workspace.discover(initialised).program
    for stack in STACKS:
        config = load_stack_config(program.stacks[stack], program_dir=program.path)
        assert sorted(config.input.projects) == ["api", "hook", "ingest"]


def test_minimal_stack_file_gets_projects_and_the_spec_cleanup_policies(
    initialised: Path,
) -> None:
    stack = initialised / "infrastructure/pulumi/Pulumi.sandbox.yaml"
    stack.write_text(
        "# hand-written\nconfig:\n  gcp:project: acme-sbx\n  gcp:region: europe-west1\n"
    )

    assert main(["add", "service", "api", "--env", "sandbox", "-w", str(initialised)]) == 0

    text = stack.read_text()
    assert text.startswith(
        "# hand-written\nconfig:\n  gcp:project: acme-sbx\n  gcp:region: europe-west1\n"
        "  input:projects:\n    api:\n"
    )
    entry = load_file(stack).get(("config", "input:projects", "api"))
    assert entry["artifact_registry"]["location"] == "europe-west1"
    assert entry["artifact_registry"]["cleanup_policies"] == [
        {"action": "DELETE", "id": "delete-prerelease", "condition": {"older_than": "2592000s"}},
        {
            "action": "KEEP",
            "id": "keep-minimum-versions",
            "most_recent_versions": {"keep_count": 10},
        },
    ]
    overlay = initialised / "infrastructure/cloudrun_service/api/overlays/sandbox"
    (service,) = kustomize(overlay)
    assert service["metadata"]["namespace"] == "acme-sbx"  # type: ignore[index]


def test_stack_file_errors_name_the_file_and_position(
    initialised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = initialised / "infrastructure/pulumi/Pulumi.sandbox.yaml"
    stack.write_text("config:\n  gcp:project: acme-sandbox\n  input:projects:\n    - api\n")
    before = snapshot(initialised)

    assert main(["add", "service", "api", "-w", str(initialised)]) == 2

    err = capsys.readouterr().err
    assert f"error: {stack}:4:5: config.input:projects must be a mapping, found a list" in err
    assert snapshot(initialised) == before

    stack.write_text("config:\n  gcp:region: asia-southeast1\n")
    assert main(["add", "service", "api", "-w", str(initialised)]) == 2
    assert f"error: {stack}:1:1: Pulumi.sandbox.yaml has no gcp:project" in capsys.readouterr().err


def test_force_rewrites_an_existing_apps_manifests_and_leaves_stacks_alone(
    initialised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", "service", "api", "-w", str(initialised)]) == 0
    manifest = initialised / "infrastructure/cloudrun_service/api/base/service.yaml"
    original = manifest.read_text()
    manifest.write_text(original.replace("memory: 2Gi", "memory: 4Gi"))
    stacks = snapshot(initialised / "infrastructure/pulumi")
    capsys.readouterr()

    assert main(["add", "service", "api", "--force", "-w", str(initialised)]) == 0

    assert manifest.read_text() == original
    assert snapshot(initialised / "infrastructure/pulumi") == stacks
    out = capsys.readouterr().out.splitlines()
    assert "replace   infrastructure/cloudrun_service/api/base/service.yaml" in out
    assert "unchanged infrastructure/pulumi/Pulumi.sandbox.yaml" in out


@pytest.mark.slow
def test_check_finds_nothing_in_a_scaffolded_workspace(initialised: Path) -> None:
    from polyinfra.checks.check import check_workspace

    add_all(initialised)
    # the function hook serves, in its base, and the dependency `add` says the project lacks
    (initialised / "bases" / "acme" / "hook" / "core.py").write_text(
        "import functions_framework\n\n\n@functions_framework.http\n"
        "def hook(request):\n    return 'ok'\n",
        encoding="utf-8",
    )
    pyproject = initialised / "projects" / "hook" / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count("dependencies = []") == 1
    text = text.replace("dependencies = []", 'dependencies = ["functions-framework"]')
    pyproject.write_text(text, encoding="utf-8")

    result = check_workspace(initialised)
    assert [str(problem) for problem in result.problems] == []
    assert result.environments == ("production", "sandbox")
    assert result.rendered == 6


def test_apps_go_where_the_workspace_keeps_that_kind(initialised: Path) -> None:
    assert main(["add", "job", "ingest", "-w", str(initialised)]) == 0
    infrastructure = initialised / "infrastructure"
    (infrastructure / "cloudrun_job").rename(infrastructure / "cloudrunjob")

    assert main(["add", "job", "ingest-nightly", "-p", "ingest", "-w", str(initialised)]) == 0
    assert main(["add", "job", "ingest", "--force", "-w", str(initialised)]) == 0

    ws = Workspace.discover(initialised)
    assert {name: app.path for name, app in ws.apps.items()} == {
        "ingest": infrastructure / "cloudrunjob/ingest",
        "ingest-nightly": infrastructure / "cloudrunjob/ingest-nightly",
    }
    assert not (infrastructure / "cloudrun_job").exists()


def test_a_job_scheduled_in_another_region_is_granted_in_that_region(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root)
    args = ["add", "job", "nightly-x", "-p", "dmd_ingest", "--schedule", "0 5 * * *"]
    assert main([*args, "--region", "europe-west1", "-w", str(root)]) == 0
    from polyinfra.foundation import load_stack_config

    stack = root / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    config = load_stack_config(stack)
    (project,) = [
        p
        for p in config.input.projects.values()
        if p.cloud_scheduler and any(job.target_job == "nightly-x" for job in p.cloud_scheduler)
    ]
    grants = [
        (g.role, g.target.kind, g.target.name, g.location)
        for g in project.iam
        if g.target.name == "nightly-x"
    ]
    assert grants == [("roles/run.invoker", "job", "nightly-x", "europe-west1")]
    assert not [w for w in config.warnings if "lacks roles/run.invoker" in w.message]
    assert (
        "        - role: roles/run.invoker\n          resource: {job: nightly-x}\n"
        "          location: europe-west1\n"
    ) in stack.read_text()
