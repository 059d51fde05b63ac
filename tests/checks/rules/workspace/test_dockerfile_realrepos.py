"""`polyinfra check` on copies of real Polylith workspaces (../shared/realrepos): their
wheel-based Dockerfiles (`COPY ./dist/$wheel` + `pip install`, after `uv build` or
`poetry build-project`) are read as wheel installs, and the brick-by-brick Dockerfile of the
spec's own templates is still checked line by line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from polyinfra.checks.rules.workspace.dockerfile import image_bricks
from polyinfra.cli.main import main
from polyinfra.workspace import Workspace
from tests.conftest import REPO

REALREPOS = REPO.parent / "shared" / "realrepos"
DOCKERFILE_RULES = ("workspace/dockerfile-bricks", "workspace/dockerfile-unverified")


def real_copy(tmp_path: Path, name: str) -> Path:
    source = REALREPOS / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent (CI places shared/ beside the clone)")
    return Path(shutil.copytree(source, tmp_path / name))


def dockerfile_findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, ...]]:
    """(rule, level, file:line:col, message) of the Dockerfile rules in `polyinfra check`."""
    main(["check", str(root), "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    return [
        (f["rule"], f["level"], f"{Path(f['file']).relative_to(root)}:{f['line']}:{f['col']}",
         f["message"])
        for f in found
        if f["rule"] in DOCKERFILE_RULES
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "projects"),
    [
        ("python-polylith-example-uv", ["message_fastapi_project", "my_fastapi_project"]),
        ("python-polylith-microservices-example", ["api_app", "worker_1", "worker_2"]),
    ],
)
def test_wheel_dockerfiles_of_real_workspaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, projects: list[str]
) -> None:
    root = real_copy(tmp_path, name)
    ws = Workspace.discover(root)
    with_dockerfile = sorted(p.name for p in ws.projects.values() if p.dockerfile is not None)
    assert with_dockerfile == projects
    for project in projects:
        image = image_bricks(root / "projects" / project / "Dockerfile", ws.projects[project], ws)
        assert image.wheel, project
        assert image.copies == ()
    assert dockerfile_findings(root, capsys) == []


def test_the_spec_dockerfile_is_checked_line_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = real_copy(tmp_path, "spec-literal-workspace")
    assert dockerfile_findings(root, capsys) == []
    dockerfile = root / "projects/my-project/Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    line = "COPY components/acme/settings/ ./acme/settings/\n"
    assert text.count(line) == 1
    dockerfile.write_text(text.replace(line, ""), encoding="utf-8")
    assert dockerfile_findings(root, capsys) == [
        (
            "workspace/dockerfile-bricks",
            "error",
            "projects/my-project/Dockerfile:17:1",
            "the Dockerfile does not copy components/acme/settings, which "
            "projects/my-project/pyproject.toml includes",
        )
    ]


def test_a_real_wheel_dockerfile_turned_into_copy_everything_is_information(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = real_copy(tmp_path, "python-polylith-microservices-example")
    dockerfile = root / "projects/worker_1/Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    old = "COPY ./dist/$wheel /code/$wheel\n"
    assert text.count(old) == 1
    dockerfile.write_text(
        text.replace(old, "COPY . /code\n").replace("/code/$wheel", "-r /code/requirements.txt"),
        encoding="utf-8",
    )
    assert dockerfile_findings(root, capsys) == [
        (
            "workspace/dockerfile-unverified",
            "info",
            "projects/worker_1/Dockerfile:6:1",
            "the Dockerfile copies the whole build context but no brick by name and installs "
            "no wheel of worker_1: whether the image holds the bricks of "
            "projects/worker_1/pyproject.toml cannot be verified",
        )
    ]
