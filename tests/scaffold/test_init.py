"""`polyinfra init` in workspaces made by `poly create workspace`."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from polyinfra.cli.main import main
from polyinfra.workspace import Workspace
from polyinfra.yamlio import load_file
from tests.scaffold.conftest import snapshot

INFRA_FILES = [
    "infrastructure/pulumi/Pulumi.production.yaml",
    "infrastructure/pulumi/Pulumi.sandbox.yaml",
    "infrastructure/pulumi/Pulumi.yaml",
    "infrastructure/pulumi/__main__.py",
    "infrastructure/pulumi/bigquery/.gitkeep",
    "infrastructure/pulumi/monitoring/dashboard.json",
    "infrastructure/pulumi/stack-config.schema.json",
    "infrastructure/pyproject.toml",
]


def test_init_creates_the_spec_layout(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "-w", str(acme)]) == 0

    created = sorted(p for p in snapshot(acme) if p.startswith("infrastructure/"))
    assert created == INFRA_FILES
    out = capsys.readouterr().out
    assert "create    infrastructure/pulumi/Pulumi.sandbox.yaml" in out

    infra = tomlkit.parse((acme / "infrastructure/pyproject.toml").read_text()).unwrap()
    assert "readme" not in infra["project"]
    assert infra["project"]["name"] == "acme-infrastructure"
    assert infra["project"]["requires-python"] == "~=3.13.0"
    deps = infra["project"]["dependencies"]
    assert [d.split(">=")[0] for d in deps] == ["polyinfra", "pulumi", "pulumi-gcp"]
    assert infra["tool"]["polyinfra"] == {}
    assert not list((acme / "infrastructure").rglob("README*"))

    ws = Workspace.discover(acme)
    program = ws.program
    assert program.runtime == "python"
    assert load_file(program.project_file).get(("runtime", "options", "toolchain")) == "uv"
    assert sorted(program.stacks) == ["production", "sandbox"]
    assert "from polyinfra.foundation import run" in (program.path / "__main__.py").read_text()

    sandbox = load_file(program.stacks["sandbox"])
    config = sandbox.get(("config",))
    assert config["gcp:project"] == "acme-sandbox"
    assert config["gcp:region"] == "asia-southeast1"
    assert config["input:environment"] == "sandbox"
    assert config["label:component"] == "acme"
    assert config["input:projects"] == {}
    assert config["input:artifact_registry_cleanup_policies"][1]["most_recent_versions"] == {
        "keep_count": 10
    }
    assert config["input:log_metric_distribution_descriptor"]["value_type"] == "DISTRIBUTION"
    text = program.stacks["sandbox"].read_text()
    assert "input:artifact_registry_cleanup_policies: &artifact_registry_cleanup_policies" in text
    assert "#       cleanup_policies: *artifact_registry_cleanup_policies" in text
    production = load_file(program.stacks["production"]).get(("config",))
    assert production["gcp:project"] == "acme-prod"


def test_init_excludes_infrastructure_from_a_catching_uv_glob(acme: Path) -> None:
    before = (acme / "pyproject.toml").read_text()

    assert main(["init", "-w", str(acme)]) == 0

    after = (acme / "pyproject.toml").read_text()
    assert after == before.replace(
        'members = ["projects/*", "*"]\n',
        'members = ["projects/*", "*"]\nexclude = ["infrastructure"]\n',
    )
    assert Workspace.discover(acme).uv_excludes == ("infrastructure",)


def test_init_leaves_a_non_catching_uv_workspace_alone(acme: Path) -> None:
    pyproject = acme / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(', "*"]', "]"))
    before = pyproject.read_bytes()

    assert main(["init", "-w", str(acme)]) == 0

    assert pyproject.read_bytes() == before


def test_init_appends_to_an_existing_exclude(acme: Path) -> None:
    pyproject = acme / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'members = ["projects/*", "*"]\n', 'members = ["*"]\nexclude = ["development"]\n'
        )
    )

    assert main(["init", "-w", str(acme)]) == 0

    assert 'exclude = ["development", "infrastructure"]\n' in pyproject.read_text()


def test_init_twice_changes_nothing(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "-w", str(acme)]) == 0
    first = snapshot(acme)
    capsys.readouterr()

    assert main(["init", "-w", str(acme)]) == 0

    assert snapshot(acme) == first
    lines = capsys.readouterr().out.splitlines()
    assert lines
    # uv is not on the tests' PATH: the lock is still missing, and init says how to make it
    assert all(line.startswith("unchanged ") for line in lines[:-1])
    assert lines[-1].startswith("next: run `uv lock --directory infrastructure`")


def test_init_dry_run_writes_nothing(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(acme)

    assert main(["init", "--dry-run", "-w", str(acme)]) == 0

    assert snapshot(acme) == before
    out = capsys.readouterr().out
    assert "would create    infrastructure/pyproject.toml" in out
    assert "would update    pyproject.toml" in out


def test_init_keeps_edited_files_unless_forced(
    acme: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "-w", str(acme)]) == 0
    stack = acme / "infrastructure/pulumi/Pulumi.sandbox.yaml"
    stack.write_text(stack.read_text() + "# my note\n")
    capsys.readouterr()

    assert main(["init", "-w", str(acme)]) == 0
    assert stack.read_text().endswith("# my note\n")
    assert (
        "skip      infrastructure/pulumi/Pulumi.sandbox.yaml  (exists; --force replaces it)"
        in capsys.readouterr().out
    )

    assert main(["init", "--force", "-w", str(acme)]) == 0
    assert not stack.read_text().endswith("# my note\n")
    assert "replace   infrastructure/pulumi/Pulumi.sandbox.yaml" in capsys.readouterr().out


def test_init_with_chosen_environments_and_projects(acme: Path) -> None:
    args = ["init", "-w", str(acme), "--env", "staging", "--gcp-project", "staging=acme-stg-1"]
    assert main([*args, "--region", "europe-west1"]) == 0

    stacks = Workspace.discover(acme).program.stacks
    assert sorted(stacks) == ["staging"]
    config = load_file(stacks["staging"]).get(("config",))
    assert (config["gcp:project"], config["gcp:region"]) == ("acme-stg-1", "europe-west1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gcp-project", "sandbox"], "--gcp-project 'sandbox': expected ENV=PROJECT_ID"),
        (["--gcp-project", "qa=acme-qa"], "--gcp-project names environment 'qa'"),
        (["--gcp-project", "sandbox=Acme_Sandbox"], "'Acme_Sandbox' is not a valid GCP project"),
        (["--env", "Prod"], "--env 'Prod' is not a valid environment name"),
        (
            ["--region", "mars-north1; rm -rf /"],
            "--region: 'mars-north1; rm -rf /' is not a Google Cloud region",
        ),
        (["--region", "europe-west99"], "hint: did you mean 'europe-west9'?"),
    ],
)
def test_init_rejects_bad_options_and_writes_nothing(
    acme: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = snapshot(acme)

    assert main(["init", "-w", str(acme), *args]) == 2

    assert message in capsys.readouterr().err
    assert snapshot(acme) == before


def test_init_outside_a_workspace_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "-w", str(tmp_path)]) == 2

    err = capsys.readouterr().err
    assert f"{tmp_path}: not inside a Polylith workspace" in err
    assert list(tmp_path.iterdir()) == []


def test_init_without_a_root_pyproject(acme: Path) -> None:
    (acme / "pyproject.toml").unlink()

    assert main(["init", "-w", str(acme)]) == 0

    assert not (acme / "pyproject.toml").exists()
    config = load_file(acme / "infrastructure/pulumi/Pulumi.sandbox.yaml").get(("config",))
    assert config["gcp:project"] == "acme-sandbox"


@pytest.mark.parametrize(
    ("members", "excludes", "added"),
    [
        ('["*"]', None, ["infrastructure"]),
        ('["./infra*"]', None, ["infrastructure"]),
        ('["*/*"]', None, ["infrastructure/*"]),
        ('["**"]', None, ["infrastructure", "infrastructure/*"]),
        ('["*"]', '["infra*"]', []),
        ('["projects/*"]', None, []),
    ],
)
def test_uv_member_globs(acme: Path, members: str, excludes: str | None, added: list[str]) -> None:
    pyproject = acme / "pyproject.toml"
    table = f"members = {members}\n" + (f"exclude = {excludes}\n" if excludes else "")
    pyproject.write_text(pyproject.read_text().replace('members = ["projects/*", "*"]\n', table))

    assert main(["init", "-w", str(acme)]) == 0

    workspace = tomlkit.parse(pyproject.read_text()).unwrap()["tool"]["uv"]["workspace"]
    assert (
        workspace.get("exclude", [])
        == (tomlkit.parse(f"x = {excludes}").unwrap()["x"] if excludes else []) + added
    )


def test_stack_files_name_their_schema_and_validate_against_it(acme: Path) -> None:
    import json

    import jsonschema

    assert main(["init", "-w", str(acme)]) == 0

    program = acme / "infrastructure" / "pulumi"
    schema = json.loads((program / "stack-config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for stack in ("sandbox", "production"):
        path = program / f"Pulumi.{stack}.yaml"
        first_line = path.read_text().splitlines()[0]
        assert first_line == "# yaml-language-server: $schema=stack-config.schema.json"
        assert list(validator.iter_errors(load_file(path).data)) == []
