"""`polyinfra plan` and `polyinfra schema stack-config` through the CLI entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "data-platform"


def test_plan_the_example_sandbox_stack(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "-w", str(EXAMPLE), "--stack", "sandbox"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0] == "Stack sandbox (Google Cloud project data-platform-sandbox)"
    assert "  gcp:cloudscheduler/job:Job (1)" in lines
    assert "    + scheduler_dmd_inv_mov" in lines
    assert lines[-2].startswith("  23 resources (0 protected): 3 artifactregistry.Repository")
    stack = EXAMPLE / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    assert lines[-1] == (
        f"  {stack}:91:11: note: project number: looked up at run time (stand-in 000000000000 "
        "in this plan) for the Cloud Scheduler service agent; set input:project_number to plan "
        "the real one"
    )


def test_plan_json_every_stack(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "-w", str(EXAMPLE), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [stack["stack"] for stack in data["stacks"]] == ["production", "sandbox"]
    production = data["stacks"][0]
    assert production["project"] == "data-platform-prod"
    protected = {r["type"] for r in production["resources"] if r["protect"]}
    assert protected == {
        "gcp:artifactregistry/repository:Repository",
        "gcp:bigquery/dataset:Dataset",
        "gcp:bigquery/table:Table",
        "gcp:secretmanager/secret:Secret",
        "gcp:storage/bucket:Bucket",
    }
    assert sum(production["totals"].values()) == len(production["resources"])


def test_unknown_stack(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "-w", str(EXAMPLE), "--stack", "prodution"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no stack 'prodution' (stacks: production, sandbox)" in err
    assert "did you mean 'production'?" in err


def test_invalid_stack_file_exits_2_with_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(EXAMPLE, workspace, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    stack = workspace / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    lines = stack.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "time_zone: Asia/Kuala_Lumpur" in line)
    lines[index] = lines[index].replace("Asia/Kuala_Lumpur", "Asia/KualaLumpur")
    stack.write_text("\n".join(lines) + "\n")
    column = lines[index].index("Asia/") + 1
    code = main(["plan", "-w", str(workspace), "--stack", "sandbox"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"Pulumi.sandbox.yaml:{index + 1}:{column}: input:projects.dmd-ingest." in err
    assert "'Asia/KualaLumpur' is not a known IANA time zone" in err
    assert "did you mean 'Asia/Kuala_Lumpur'?" in err
    assert "Traceback" not in err


def test_schema_stack_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "stack-config"]) == 0
    schema = json.loads(capsys.readouterr().out)
    config = schema["properties"]["config"]
    assert config["required"] == ["gcp:project"]
    registry = schema["$defs"]["ArtifactRegistry"]
    # pass-through properties come from the installed pulumi-gcp
    assert {"cleanup_policies", "docker_config", "repository_id"} <= set(registry["properties"])
    assert registry["required"] == ["format", "repository_id"]
    assert registry["additionalProperties"] is False
    table = schema["$defs"]["BigQueryTable"]
    assert "schema" not in table["properties"]
    assert "schema_file" in table["properties"]
    target = tmp_path / "stack-config.schema.json"
    assert main(["schema", "stack-config", "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == schema


def test_the_schema_accepts_the_example_stacks_and_rejects_a_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import jsonschema

    from polyinfra.yamlio import load_file

    assert main(["schema", "stack-config"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    stacks = sorted((EXAMPLE / "infrastructure" / "pulumi").glob("Pulumi.*.yaml"))
    stacks = [path for path in stacks if path.name != "Pulumi.yaml"]
    assert len(stacks) == 2
    for path in stacks:
        data = load_file(path).data
        assert list(validator.iter_errors(data)) == [], path
        data["config"]["input:projects"]["dmd-ingest"]["artifact_registry"]["formt"] = "DOCKER"
        [error] = list(validator.iter_errors(data))
        assert "'formt' was unexpected" in error.message


def test_plan_diff_against_a_git_ref(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    workspace = tmp_path / "ws"
    shutil.copytree(EXAMPLE, workspace, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=workspace,
            check=True,
            capture_output=True,
        )
    stack = workspace / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    stack.write_text(stack.read_text().replace('schedule: "0 4 * * *"', 'schedule: "0 5 * * *"'))
    code = main(["plan", "-w", str(workspace), "--stack", "sandbox", "--diff", "HEAD"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == [
        "Stack sandbox: changes since HEAD",
        "  ~ scheduler_dmd_inv_mov (gcp:cloudscheduler/job:Job)",
        '        schedule: "0 4 * * *" -> "0 5 * * *"',
        "  0 to add, 1 to change, 0 to remove, 22 unchanged",
        f"  {stack}:91:11: note: project number: looked up at run time (stand-in 000000000000 "
        "in this plan) for the Cloud Scheduler service agent; set input:project_number to plan "
        "the real one",
    ]
