"""`polyinfra lint` end to end: formats, exit codes, rule selection, disables, settings, and
problems of rendered apps pointing at the base or overlay line the user edits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from polyinfra.checks.lint import lint_paths
from polyinfra.cli.main import main
from tests.checks.conftest import GOOD, variant

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-platform"
JOB_APP = Path("infrastructure/cloudrun_job/dmd-inv-mov-api2bq")


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "svc.yaml"
    path.write_text(
        variant(
            "service",
            ("timeoutSeconds: 300", "timeoutSeconds: 7200"),
            ("my-service:1.4.2", "my-service:latest"),
        )
    )
    return path


def test_text_report_and_exit_code_1(
    bad_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bad_file.parent)
    assert main(["lint", "svc.yaml"]) == 1
    assert capsys.readouterr().out == (
        "svc.yaml:21:23: error: timeoutSeconds 7200 is out of range: a Service's request "
        "timeout is 1 to 3600 seconds [cloudrun/timeout-limits]\n"
        "        timeoutSeconds: 7200\n"
        "                        ^\n"
        "svc.yaml:24:16: warning: image europe-docker.pkg.dev/acme-prod/apps/my-service:latest "
        "of container my-service is tagged :latest [cloudrun/image-tag]\n"
        "          image: europe-docker.pkg.dev/acme-prod/apps/my-service:latest\n"
        "                 ^\n"
        "  hint: deploy an explicit version tag or a digest\n"
        "Found 2 problems (1 error, 1 warning).\n"
    )


def test_warnings_only_exit_0_and_clean_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(variant("service", ("my-service:1.4.2", "my-service:latest")))
    assert main(["lint", str(path)]) == 0
    assert main(["lint", str(GOOD["job"])]) == 0
    assert "No problems in 1 file(s) and 0 rendered overlay(s)." in capsys.readouterr().err


def test_json_sarif_github(bad_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(bad_file), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(d["line"], d["col"], d["rule"]) for d in data] == [
        (21, 23, "cloudrun/timeout-limits"),
        (24, 16, "cloudrun/image-tag"),
    ]
    assert main(["lint", str(bad_file), "-f", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["ruleId"] for r in results] == ["cloudrun/timeout-limits", "cloudrun/image-tag"]
    assert rules[results[0]["ruleIndex"]]["id"] == "cloudrun/timeout-limits"
    assert main(["lint", str(bad_file), "-f", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::error file=")
    assert lines[0].endswith(
        ",line=21,col=23,title=cloudrun/timeout-limits::timeoutSeconds 7200 is out of range: a "
        "Service's request timeout is 1 to 3600 seconds"
    )
    assert lines[1].startswith("::warning file=")


def test_select_ignore_and_unknown_rule(bad_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(bad_file), "--select", "cloudrun/image-tag", "-f", "json"]) == 0
    assert [d["rule"] for d in json.loads(capsys.readouterr().out)] == ["cloudrun/image-tag"]
    assert main(["lint", str(bad_file), "--ignore", "cloudrun/timeout-limits"]) == 0
    capsys.readouterr()
    assert main(["lint", str(bad_file), "--ignore", "cloudrun/timeout-limit"]) == 2
    assert (
        "--ignore: 'cloudrun/timeout-limit' names no rule (did you mean "
        "'cloudrun/timeout-limits'?)" in capsys.readouterr().err
    )


def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: no such file or folder" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Service\nmetadata:\n  name: [a\n")
    assert main(["lint", str(broken), "-f", "json"]) == 2
    (problem,) = json.loads(capsys.readouterr().out)
    assert (problem["line"], problem["col"], problem["rule"]) == (4, 1, "manifest/invalid-yaml")
    assert main(["lint", str(broken), "--format", "xml"]) == 2
    assert "--format 'xml': expected one of text, json, sarif, github" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raw", "message", "excerpt"),
    [
        (
            b"  name: a\xff\n",
            "not UTF-8 text: byte 0xFF cannot start a character",
            "    name: a\ufffd",
        ),
        (
            b"  name: a\x00b\n",
            "a NUL byte (0x00) is not allowed in YAML or TOML text",
            "    name: a\u2400b",  # the control picture: printable, one column wide
        ),
    ],
    ids=["latin-1", "nul"],
)
def test_bad_bytes_at_their_position_and_shown_printable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes, message: str, excerpt: str
) -> None:
    bad = tmp_path / "service.yaml"
    bad.write_bytes(b"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n" + raw)

    assert main(["lint", str(bad)]) == 2

    assert capsys.readouterr().out.splitlines()[:3] == [
        f"{bad}:4:10: error: {message} [manifest/invalid-yaml]",
        excerpt,
        "           ^",
    ]


def test_disable_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(
        variant(
            "service",
            (
                "timeoutSeconds: 300",
                "timeoutSeconds: 7200  # polyinfra: disable=cloudrun/timeout-limits",
            ),
            (
                "        image: europe-docker.pkg.dev/acme-prod/apps/my-service:1.4.2\n",
                "        # polyinfra: disable=cloudrun/image-tag\n"
                "        image: europe-docker.pkg.dev/acme-prod/apps/my-service:latest\n",
            ),
        )
    )
    assert main(["lint", str(path)]) == 0
    path.write_text(
        "# polyinfra: disable-file=cloudrun\n"
        + variant("service", ("timeoutSeconds: 300", "timeoutSeconds: 7200"))
    )
    assert main(["lint", str(path)]) == 0


def test_secret_values_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(
        variant(
            "service",
            ("name: ENVIRONMENT", "name: DB_PASSWORD"),
            ("value: production", "value: hunter2-s3cret"),
        )
    )
    # a literal secret is a warning (Cloud Run runs it): exit 0, and never shown
    for output_format in ("text", "json", "sarif", "github"):
        assert main(["lint", str(path), "-f", output_format]) == 0
        captured = capsys.readouterr()
        assert "hunter2" not in captured.out + captured.err
    assert main(["lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: env DB_PASSWORD looks like a secret but has a literal value" in out
    assert "          value: <redacted>\n" in out


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def test_rendered_app_problems_point_at_the_overlay_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    assert main(["lint", str(JOB_APP), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    overlay = workspace / JOB_APP / "overlays" / "production" / "kustomization.yaml"
    text = overlay.read_text()
    overlay.write_text(
        text.replace(
            "value: dmd-ingest@data-platform-prod.iam.gserviceaccount.com",
            "value: 123-compute@developer.gserviceaccount.com",
        ).replace("          name: ENVIRONMENT\n", "          name: CLOUD_RUN_TASK_INDEX\n")
    )
    line = (
        overlay.read_text()
        .splitlines()
        .index("        value: 123-compute@developer.gserviceaccount.com")
        + 1
    )
    port = overlay.read_text().splitlines().index("          name: CLOUD_RUN_TASK_INDEX") + 1
    assert main(["lint", str(JOB_APP), "--env", "production", "-f", "json"]) == 1
    found = [
        (d["file"], d["line"], d["col"], d["rule"]) for d in json.loads(capsys.readouterr().out)
    ]
    rel = (JOB_APP / "overlays" / "production" / "kustomization.yaml").as_posix()
    assert found == [
        # a scalar set by a JSON patch points at the value in the patch
        (rel, line, 16, "cloudrun/service-account"),
        (rel, port, 17, "cloudrun/reserved-env"),
    ]
    # a disable comment on the overlay line silences it
    overlay.write_text(
        overlay.read_text().replace(
            "          name: CLOUD_RUN_TASK_INDEX\n",
            "          name: CLOUD_RUN_TASK_INDEX  # polyinfra: disable=cloudrun/reserved-env\n",
        )
    )
    assert main(["lint", str(JOB_APP), "--env", "production", "-f", "json"]) == 0
    assert [d["rule"] for d in json.loads(capsys.readouterr().out)] == ["cloudrun/service-account"]


def test_project_settings_disable_and_relevel(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = workspace / JOB_APP / "base" / "job.yaml"
    base.write_text(base.read_text().replace("maxRetries:", "# maxRetries:"))
    # off by default; selected, it is information
    assert main(["lint", str(workspace / JOB_APP), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    args = ["lint", str(workspace / JOB_APP), "-f", "json", "--select", "cloudrun/job-max-retries"]
    assert main(args) == 0
    assert {(d["rule"], d["level"]) for d in json.loads(capsys.readouterr().out)} == {
        ("cloudrun/job-max-retries", "info")
    }
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.polyinfra]\n",
            "[tool.polyinfra]\n\n[tool.polyinfra.rules]\n"
            'levels = { "cloudrun/job-max-retries" = "error" }\n',
        )
    )
    assert main(["lint", str(workspace / JOB_APP), "-f", "json"]) == 1
    assert {d["level"] for d in json.loads(capsys.readouterr().out)} == {"error"}
    pyproject.write_text(
        pyproject.read_text().replace(
            'levels = { "cloudrun/job-max-retries" = "error" }',
            'disable = ["cloudrun/job-max-retries"]',
        )
    )
    assert main(["lint", str(workspace / JOB_APP), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_whole_workspace_renders_every_app(workspace: Path) -> None:
    # the example's three apps in two environments pass; the other YAML files (Pulumi
    # stack files) are not manifests and are skipped
    result = lint_paths([workspace])
    assert (result.rendered, result.problems, result.exit_code) == (6, (), 0)


def test_overlay_that_does_not_build_is_reported_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base").mkdir()
    shutil.copy(GOOD["job"], tmp_path / "base" / "job.yaml")
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - job.yaml\n")
    overlay = tmp_path / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("resources:\n  - ../../base\n  - missing.yaml\n")
    assert main(["lint", str(overlay), "-f", "json"]) == 2
    (problem,) = json.loads(capsys.readouterr().out)
    assert (problem["line"], problem["col"], problem["rule"]) == (1, 1, "workspace/overlay-renders")
    # outside any workspace the app is named after the folder holding overlays/
    assert problem["message"].startswith(f"{tmp_path.name} (prod): kustomize failed for ")
    assert "missing.yaml" in problem["message"]
    # the base alone renders and passes
    assert main(["lint", str(tmp_path / "base")]) == 0


def test_bad_rules_settings_are_input_errors(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(
        original.replace(
            "[tool.polyinfra]\n",
            "[tool.polyinfra]\n\n[tool.polyinfra.rules]\n"
            'levels = { "cloudrun/image-tag" = "fatal" }\n',
        )
    )
    assert main(["lint", str(workspace / JOB_APP)]) == 2
    assert "Input should be 'error', 'warning' or 'info'" in capsys.readouterr().err
    pyproject.write_text(
        original.replace(
            "[tool.polyinfra]\n",
            '[tool.polyinfra]\n\n[tool.polyinfra.rules]\ndisable = ["cloudrun/image-tags"]\n',
        )
    )
    assert main(["lint", str(workspace / JOB_APP)]) == 2
    assert (
        "[tool.polyinfra.rules] disable: 'cloudrun/image-tags' names no rule (did you mean "
        "'cloudrun/image-tag'?)" in capsys.readouterr().err
    )


def test_reads_a_pipe() -> None:
    text = variant(
        "service", ("        image:", "        imagePullPolicie: Always\n        image:")
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "polyinfra"), "lint", "/dev/stdin", "-f", "json"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert [(d["line"], d["col"], d["rule"]) for d in json.loads(done.stdout)] == [
        (24, 9, "cloudrun/unknown-field")
    ]
