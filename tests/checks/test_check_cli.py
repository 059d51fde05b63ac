"""`polyinfra check` on the command line: exit codes, formats, summary, selection, timings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.conftest import EXAMPLE, REPO

JOB_PROD = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/production/kustomization.yaml"
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def wrong_account(root: Path) -> None:
    edit(root, JOB_PROD, "dmd-ingest@data-platform-prod", "dmd-ingest@data-platform-sandbox")


def no_sandbox_trigger(root: Path) -> None:
    edit(root, SANDBOX_STACK, "target_job: dmd-inv-mov-api2bq", "target_job: dmd-inv-mov-api2bq-x")


def test_clean_example_exits_0_with_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(
        r"Checked 3 app\(s\), 3 project\(s\) and production, sandbox with \d+ rules: no problems\.",
        captured.err,
    )


def test_errors_exit_1_text_report_and_summary(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_account(workspace)
    monkeypatch.chdir(workspace)
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    first = captured.out.splitlines()[0]
    assert first.startswith(f"{JOB_PROD}:27:16: error: dmd-inv-mov-api2bq (production) runs as ")
    assert first.endswith("[crossstack/service-account-exists]")
    assert "1 error (by area: crossstack 1)." in captured.err


def test_json_and_sarif_are_machine_readable(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_account(workspace)
    monkeypatch.chdir(workspace)
    assert main(["check", "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert [(p["file"], p["line"], p["col"], p["rule"]) for p in problems] == [
        (JOB_PROD, 27, 16, "crossstack/service-account-exists")
    ]
    assert main(["check", "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["crossstack/service-account-exists"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 27,
        "startColumn": 16,
    }
    assert "crossstack/service-account-exists" in {r["id"] for r in run["tool"]["driver"]["rules"]}


def test_github_annotations(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_account(workspace)
    monkeypatch.chdir(workspace)
    assert main(["check", "--format", "github"]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith(
        f"::error file={JOB_PROD},line=27,col=16,title=crossstack/service-account-exists::"
    )


def test_info_passes_and_strict_fails_only_on_warnings(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_sandbox_trigger(workspace)
    # the scheduler's target is an error; ignoring it leaves the job-trigger information
    assert main(["check", str(workspace), "--ignore", "crossstack/scheduler-target"]) == 0
    assert (
        main(["check", str(workspace), "--strict", "--ignore", "crossstack/scheduler-target"]) == 0
    )
    capsys.readouterr()
    # a warning: the stock-webhook project builds an image no app deploys
    shutil.rmtree(workspace / "infrastructure/cloudrun_function/stock-webhook")
    assert main(["check", str(workspace), "--select", "crossstack/project-without-app"]) == 0
    assert "1 warning" in capsys.readouterr().err
    assert main(["check", str(workspace), "--strict", "--select", "crossstack"]) == 1


def test_env_limits_the_check(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong_account(workspace)
    assert main(["check", str(workspace), "--env", "sandbox"]) == 0
    assert "and sandbox with" in capsys.readouterr().err
    assert main(["check", str(workspace), "--env", "production"]) == 1


def test_select_and_ignore(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong_account(workspace)
    assert main(["check", str(workspace), "--select", "policy"]) == 0
    assert main(["check", str(workspace), "--ignore", "crossstack/service-account-exists"]) == 0
    assert main(["check", str(workspace), "--select", "crossstack/service-acount"]) == 2
    assert "did you mean 'crossstack/service-account-exists'" in capsys.readouterr().err


def test_disable_comment_on_the_line(workspace: Path) -> None:
    wrong_account(workspace)
    edit(
        workspace,
        JOB_PROD,
        "        value: dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com",
        "        # polyinfra: disable=crossstack/service-account-exists\n"
        "        value: dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com",
    )
    assert main(["check", str(workspace)]) == 0


def test_external_service_account_setting(workspace: Path) -> None:
    wrong_account(workspace)
    pyproject = workspace / "infrastructure/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "[tool.polyinfra]\n",
            "[tool.polyinfra]\nexternal_service_accounts = "
            '["*@data-platform-sandbox.iam.gserviceaccount.com"]\n',
        ),
        encoding="utf-8",
    )
    assert main(["check", str(workspace)]) == 0


def test_timings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "--timings"]) == 0
    err = capsys.readouterr().err
    for phase in ("workspace", "stacks", "pulumi", "kustomize", "rules", "total", "wall"):
        assert re.search(rf"^{phase}\s+\d+\.\d{{3}}", err, re.MULTILINE), phase


def test_unreadable_input_exits_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (workspace / "workspace.toml").write_text("[tool.polylith\n", encoding="utf-8")
    assert main(["check", str(workspace)]) == 2
    assert f"{workspace / 'workspace.toml'}:1:" in capsys.readouterr().err


def test_bad_format_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "--format", "xml"]) == 2
    assert "--format 'xml'" in capsys.readouterr().err


def test_list_rules_lists_exactly_the_rules_check_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from polyinfra.checks.check import check_workspace
    from polyinfra.checks.registry import ALL_RULES
    from polyinfra.checks.rule import opt_in

    assert main(["check", "--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines if "(off by default)" not in line]
    ran = [rule.ID for rule in check_workspace(EXAMPLE).rules]
    assert listed == ran
    # check runs every rule polyinfra has but those off by default: the manifest rules on the
    # rendered overlays too
    assert sorted(listed) == sorted(rule.ID for rule in ALL_RULES if not opt_in(rule))
    off = [line.split()[0] for line in lines if "info (off by default)" in line]
    assert off == ["cloudrun/startup-probe", "cloudrun/job-max-retries"]
    assert "cloudrun/timeout-limits" in listed


def test_list_rules_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-w", str(EXAMPLE), "--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    width = max(len(line.split()[0]) for line in lines)
    assert (
        f"{'patches/unescaped-annotation-key':<{width}}  error    An annotation or label key in "
        "a JSON-pointer path must escape its `/` as `~1`." in lines
    )


def test_pre_commit_hook() -> None:
    from pre_commit.clientlib import load_manifest

    # pre-commit's own schema check (raises on an invalid manifest)
    hook, sync = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "polyinfra-check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["entry"] == "polyinfra check"
    files = re.compile(hook["files"])
    for path in (
        "infrastructure/pulumi/Pulumi.production.yaml",
        "infrastructure/cloudrun_job/a/overlays/production/kustomization.yaml",
        "infrastructure/pyproject.toml",
        "projects/a/Dockerfile",
        "projects/a/pyproject.toml",
        "pyproject.toml",
    ):
        assert files.search(path), path
    for path in ("components/ns/log/core.py", "projects/a/main.py", "README.md"):
        assert not files.search(path), path
    assert sync["id"] == "polyinfra-sync-dockerfile"
    assert sync["entry"] == "polyinfra sync dockerfile --check"
    dockerfiles = re.compile(sync["files"])
    assert dockerfiles.search("projects/a/Dockerfile")
    assert dockerfiles.search("projects/a/pyproject.toml")
    assert not dockerfiles.search("infrastructure/pyproject.toml")


SERVICE_SANDBOX = "infrastructure/cloudrun_service/inventory-api/overlays/sandbox"
SPLIT_PATH = "/spec/template/metadata/annotations/run.googleapis.com/ingress"
INGRESS_PATCH = f"""  # Ingress
  - patch: |-
      - op: add
        path: {SPLIT_PATH}
        value: internal
    target:
      kind: Service
      name: inventory-api

  # Scaling
"""


def test_split_annotation_key_is_diagnosed_first_without_kustomize_s_log(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(workspace, f"{SERVICE_SANDBOX}/kustomization.yaml", "  # Scaling\n", INGRESS_PATCH)
    monkeypatch.chdir(workspace)

    assert main(["check", "-w", "."]) == 1

    escaped = SPLIT_PATH.replace("run.googleapis.com/ingress", "run.googleapis.com~1ingress")
    where = f"{SERVICE_SANDBOX}/kustomization.yaml:42:15"
    source = [f"          path: {SPLIT_PATH}", "                ^"]
    assert capsys.readouterr().out.splitlines() == [
        f"{where}: error: path splits the annotation key 'run.googleapis.com/ingress' on '/': "
        "JSON pointer reads it as a key 'run.googleapis.com' holding a key 'ingress' "
        "[patches/unescaped-annotation-key]",
        *source,
        f"  hint: escape the slash as ~1: path: {escaped}",
        f"{where}: error: inventory-api (sandbox): kustomize cannot build the overlay: this path "
        "splits the annotation key 'run.googleapis.com/ingress' on '/' "
        "(patches/unescaped-annotation-key) [workspace/overlay-renders]",
        *source,
        f"  hint: escape the slash as ~1: path: {escaped}; `kubectl kustomize {SERVICE_SANDBOX}` "
        "shows kustomize's own message",
        "Found 2 problems (2 errors).",
    ]
    # lint does not run the patch rules: the render failure alone says what is wrong
    assert main(["lint", SERVICE_SANDBOX]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{where}: error: inventory-api (sandbox): kustomize cannot build")
    assert out[-1] == "Found 1 problem (1 error)."


def test_other_render_failures_keep_kustomize_s_message(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    edit(
        workspace,
        f"{SERVICE_SANDBOX}/kustomization.yaml",
        "path: /spec/template/spec/containers/0/env/-\n        value:\n          name: ENVIRONMENT",
        "path: /spec/template/spec/containers/3/env/-\n        value:\n          name: ENVIRONMENT",
    )
    assert main(["check", "-w", ".", "-f", "json"]) == 1
    (problem,) = json.loads(capsys.readouterr().out)
    assert (problem["file"], problem["line"], problem["rule"]) == (
        f"{SERVICE_SANDBOX}/kustomization.yaml",
        1,
        "workspace/overlay-renders",
    )
    assert problem["message"].startswith("inventory-api (sandbox): kustomize failed for ")
    assert "/spec/template/spec/containers/3/env/-" in problem["message"]
