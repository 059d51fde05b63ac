"""The Dockerfile rules on small workspaces built in tmp_path: Dockerfiles that install the
project's wheel (in the shapes Polylith's own examples and common Poetry/uv/hatch builds
write them) are not checked brick by brick; brick-by-brick Dockerfiles are; a Dockerfile that
does neither is reported once, as information, at an exact position."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.context import CheckContext
from polyinfra.checks.engine import run
from polyinfra.checks.rules.workspace.dockerfile import (
    DockerfileBricks,
    DockerfileUnverified,
    image_bricks,
)
from polyinfra.workspace import Workspace
from tests.conftest import write_tree

DOCKERFILE = "projects/job_a/Dockerfile"

PROJECT = """\
[build-system]
requires = ["hatchling", "hatch-polylith-bricks"]
build-backend = "hatchling.build"

[project]
name = "job-a"
version = "0.1.0"

[tool.polylith.bricks]
"../../bases/ns/job_a" = "ns/job_a"
"../../components/ns/log" = "ns/log"
"""


def workspace(tmp_path: Path, dockerfile: str, project: str = PROJECT) -> Path:
    """A loose-theme workspace with bricks job_a, log and http and one project (package
    ``job-a``) using job_a and log, built with ``dockerfile``."""
    return write_tree(
        tmp_path / "ws",
        {
            "workspace.toml": '[tool.polylith]\nnamespace = "ns"\n\n'
            '[tool.polylith.structure]\ntheme = "loose"\n',
            "pyproject.toml": '[project]\nname = "ws"\n\n[tool.uv.workspace]\n'
            'members = ["projects/*"]\n',
            "bases/ns/job_a/__init__.py": "",
            "components/ns/log/__init__.py": "",
            "components/ns/http/__init__.py": "",
            "projects/job_a/pyproject.toml": project,
            DOCKERFILE: dockerfile,
        },
    )


def findings(root: Path) -> list[tuple[str, str, str, str]]:
    """(rule, level, file:line:col, message) of both Dockerfile rules."""
    ctx = CheckContext(workspace=Workspace.discover(root))
    return [
        (p.rule, p.level.label, str(p.position.relative_to(root)), p.message)
        for p in run(ctx, [DockerfileBricks(), DockerfileUnverified()])
    ]


WHEEL_DOCKERFILES = {
    # python-polylith-example-uv's shape: the wheel's file name in an ARG
    "ARG-named wheel from dist/": (
        "FROM python:3.12\n"
        "ARG wheel=job_a-0.1.0-py3-none-any.whl\n"
        "ARG deps=requirements.txt\n"
        "WORKDIR /code\n"
        "COPY ./dist/$wheel /code/$wheel\n"
        "COPY ./$deps /code/$deps\n"
        "RUN pip install --no-cache-dir --upgrade --no-deps /code/$wheel\n"
        "RUN pip install -r /code/$deps\n"
    ),
    "ARG without a default (set by --build-arg)": (
        "FROM python:3.11-slim\nARG wheel\nWORKDIR /code\n"
        "COPY ./dist/${wheel} /code/${wheel}\nRUN pip install /code/${wheel}\n"
    ),
    "a glob of wheels": (
        "FROM python:3.12-slim\nCOPY dist/*.whl /tmp/\n"
        "RUN pip install /tmp/*.whl && rm /tmp/*.whl\n"
    ),
    # the builder's brick copies are the wheel's inputs: http is extra there, and harmless
    "poetry build-project in a builder stage": (
        "FROM python:3.12 AS builder\n"
        "RUN pip install poetry && poetry self add poetry-multiproject-plugin\n"
        "WORKDIR /src\n"
        "COPY bases/ns/job_a bases/ns/job_a\n"
        "COPY components/ns/http components/ns/http\n"
        "COPY projects/job_a projects/job_a\n"
        "RUN poetry build-project --directory projects/job_a\n"
        "FROM python:3.12-slim\n"
        "COPY --from=builder /src/projects/job_a/dist/*.whl /wheels/\n"
        "RUN pip install /wheels/*\n"
    ),
    "uv build to an out dir, installed with --find-links": (
        "FROM ghcr.io/astral-sh/uv:python3.12-bookworm AS build\n"
        "WORKDIR /w\nCOPY . .\nRUN uv build --package job-a --out-dir /out\n"
        "FROM python:3.12-slim\nCOPY --from=build /out /pkgs\n"
        "RUN pip install --no-index --find-links=/pkgs job-a\n"
    ),
    "pip wheel, then a RUN --mount of the builder's wheels": (
        "FROM python:3.12 AS wheels\nCOPY . /app\n"
        "RUN pip wheel --wheel-dir=/wheels /app/projects/job_a\n"
        "FROM python:3.12-slim\n"
        "RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \\\n"
        "    pip install --no-deps --no-cache-dir /wheels/*\n"
    ),
    "uv pip install of a copied dist folder": (
        "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.7.8 /uv /uvx /bin/\n"
        "COPY dist /dist\nRUN uv pip install --system /dist/job_a-0.1.0-py3-none-any.whl\n"
    ),
    "JSON forms": (
        'FROM python:3.12\nCOPY ["dist/job_a-0.1.0-py3-none-any.whl", "/tmp/"]\n'
        'RUN ["pip", "install", "/tmp/job_a-0.1.0-py3-none-any.whl"]\n'
    ),
    "sh -c": ("FROM python:3.12\nCOPY dist/ /d/\nRUN sh -c 'python3 -m pip install /d/*.whl'\n"),
    "a heredoc": (
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nCOPY dist/ /d/\n"
        "RUN <<EOF\nset -e\npip install /d/*.whl\nEOF\n"
    ),
    "the project built from its folder": (
        "FROM python:3.12\nWORKDIR /ws\nCOPY . .\nRUN pip install ./projects/job_a\n"
    ),
    "cd, hatch build and install in one stage": (
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\n"
        "RUN pip install hatch hatch-polylith-bricks && cd projects/job_a && hatch build\n"
        "RUN pip install projects/job_a/dist/*.whl\n"
    ),
    "the backtick escape directive": (
        "# escape=`\nFROM python:3.12\nCOPY dist/*.whl `\n     C:/wheels/\n"
        "RUN pip install `\n    C:/wheels/job_a-0.1.0-py3-none-any.whl\n"
    ),
}


@pytest.mark.parametrize("text", list(WHEEL_DOCKERFILES.values()), ids=list(WHEEL_DOCKERFILES))
def test_a_dockerfile_installing_the_project_wheel_is_not_checked_brick_by_brick(
    tmp_path: Path, text: str
) -> None:
    root = workspace(tmp_path, text)
    ws = Workspace.discover(root)
    project = ws.projects["job_a"]
    assert image_bricks(root / DOCKERFILE, project, ws).wheel
    assert findings(root) == []


CANNOT_VERIFY = (
    "whether the image holds the bricks of projects/job_a/pyproject.toml cannot be verified"
)
NO_BRICK_NO_WHEEL = (
    f"the Dockerfile copies no brick and installs no wheel of job-a: {CANNOT_VERIFY}"
)


def test_copying_the_whole_context_is_reported_once_as_information(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\n  COPY . .\nCOPY . /srv/\n"
    )
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-unverified",
            "info",
            f"{DOCKERFILE}:5:3",
            "the Dockerfile copies the whole build context but no brick by name and installs "
            f"no wheel of job-a: {CANNOT_VERIFY}",
        )
    ]


def test_a_requirements_file_only_is_reported_at_the_top(tmp_path: Path) -> None:
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-unverified",
            "info",
            f"{DOCKERFILE}:1:1",
            NO_BRICK_NO_WHEEL,
        )
    ]


def test_the_wheel_of_another_distribution_is_not_the_project(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nARG wheel=other_app-0.1.0-py3-none-any.whl\n"
        "COPY dist/$wheel /tmp/\nRUN pip install /tmp/$wheel\n"
    )
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-unverified",
            "info",
            f"{DOCKERFILE}:1:1",
            NO_BRICK_NO_WHEEL,
        )
    ]


def test_a_wheel_from_an_index_is_not_the_project(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nRUN pip install job-a==0.1.0 https://example.com/x-1-py3-none-any.whl\n"
    )
    assert [rule for rule, *_ in findings(workspace(tmp_path, text))] == [
        "workspace/dockerfile-unverified"
    ]


def test_the_spec_pattern_without_bricks_is_still_an_error(tmp_path: Path) -> None:
    text = (
        "FROM python:3.13-slim\nWORKDIR /app\n"
        "COPY projects/job_a/pyproject.toml ./pyproject.toml\nCOPY uv.lock ./uv.lock\n"
        "RUN uv sync --frozen --no-default-groups --no-install-project\n"
    )
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-bricks",
            "error",
            f"{DOCKERFILE}:3:1",
            "the Dockerfile does not copy bases/ns/job_a, components/ns/log, which "
            "projects/job_a/pyproject.toml includes",
        )
    ]


def test_brick_copies_next_to_a_whole_context_copy_are_checked_for_extras(
    tmp_path: Path,
) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY components/ns/http/ ./ns/http/\n"
    # the whole context brings job_a and log (no missing brick); http is still an extra copy
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-bricks",
            "error",
            f"{DOCKERFILE}:4:1",
            "COPY components/ns/http copies components/ns/http, which "
            "projects/job_a/pyproject.toml does not include",
        )
    ]


def test_a_brick_copied_into_an_image_that_installs_the_wheel_is_checked(
    tmp_path: Path,
) -> None:
    text = (
        "FROM python:3.12\nCOPY dist/*.whl /tmp/\nRUN pip install /tmp/*.whl\n"
        "COPY components/ns/http/ /app/ns/http/\n"
    )
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-bricks",
            "error",
            f"{DOCKERFILE}:4:1",
            "COPY components/ns/http copies components/ns/http, which "
            "projects/job_a/pyproject.toml does not include",
        )
    ]


def test_a_project_without_bricks_has_nothing_to_verify(tmp_path: Path) -> None:
    project = '[project]\nname = "job-a"\nversion = "0.1.0"\n'
    text = "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n"
    assert findings(workspace(tmp_path, text, project)) == []


def test_comment_lines_inside_a_continued_copy_are_dropped(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nWORKDIR /app\n"
        "COPY \\\n    # the base\n    bases/ns/job_a/ \\\n\n    ./ns/job_a/\n"
        "COPY components/ns/log/ ./ns/log/\n"
    )
    assert findings(workspace(tmp_path, text)) == []


def test_json_form_copies_with_flags_are_checked_brick_by_brick(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nWORKDIR /app\n"
        'COPY --chown=app:app ["bases/ns/job_a/", "./ns/job_a/"]\n'
        'COPY --chown=app:app ["components/ns/http/", "./ns/http/"]\n'
    )
    assert findings(workspace(tmp_path, text)) == [
        (
            "workspace/dockerfile-bricks",
            "error",
            f"{DOCKERFILE}:4:1",
            "COPY components/ns/http copies components/ns/http, which "
            "projects/job_a/pyproject.toml does not include",
        ),
        (
            "workspace/dockerfile-bricks",
            "error",
            f"{DOCKERFILE}:4:1",
            "the Dockerfile does not copy components/ns/log, which "
            "projects/job_a/pyproject.toml includes",
        ),
    ]
