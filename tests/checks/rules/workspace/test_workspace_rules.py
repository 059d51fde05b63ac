"""Workspace-convention rules on small workspaces built in tmp_path: exact positions, and the
cases the example's broken variants do not reach (globs, excludes, Dockerfile syntax)."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.engine import run
from polyinfra.checks.rule import Rule
from polyinfra.checks.rules.workspace import apps, dockerfile, infra_project, layout
from polyinfra.workspace import Workspace
from tests.conftest import write_tree

PROJECT = """\
[project]
name = "job-a"

[tool.polylith.bricks]
"../../bases/ns/job_a" = "ns/job_a"
"../../components/ns/log" = "ns/log"
"""

DOCKERFILE = """\
FROM python:3.13-slim
WORKDIR /app
COPY projects/job_a/pyproject.toml ./pyproject.toml
COPY components/ns/log/ ./ns/log/
COPY bases/ns/job_a/ ./ns/job_a/
CMD ["python", "main.py"]
"""


def workspace(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """A loose-theme workspace with bricks job_a, log and http, a project using two of them,
    an infrastructure folder and a one-overlay job app; ``files`` override or add files."""
    tree = {
        "workspace.toml": '[tool.polylith]\nnamespace = "ns"\n\n[tool.polylith.structure]\n'
        'theme = "loose"\n',
        "pyproject.toml": '[project]\nname = "ws"\n\n[tool.uv.workspace]\n'
        'members = ["projects/*"]\n',
        "bases/ns/job_a/__init__.py": "",
        "components/ns/log/__init__.py": "",
        "components/ns/http/__init__.py": "",
        "projects/job_a/pyproject.toml": PROJECT,
        "projects/job_a/Dockerfile": DOCKERFILE,
        "infrastructure/pyproject.toml": '[project]\nname = "infra"\n'
        'dependencies = ["pulumi>=3", "pulumi-gcp>=9"]\n',
        "infrastructure/pulumi/Pulumi.yaml": "name: ws\nruntime: python\n",
        "infrastructure/cloudrun_job/job-a/base/kustomization.yaml": "resources:\n  - job.yaml\n",
        "infrastructure/cloudrun_job/job-a/base/job.yaml": "apiVersion: run.googleapis.com/v1\n"
        "kind: Job\nmetadata:\n  name: job-a\n",
        "infrastructure/cloudrun_job/job-a/overlays/production/kustomization.yaml": (
            "namespace: proj\nresources:\n  - ../../base\n"
        ),
    }
    tree.update(files or {})
    return write_tree(tmp_path / "ws", tree)


def problems(root: Path, rule: Rule) -> list[str]:
    ctx = CheckContext(workspace=Workspace.discover(root))
    return [f"{p.position.relative_to(root)}: {p.message}" for p in run(ctx, [rule])]


def test_the_base_workspace_is_clean(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    for rule in (
        layout.InfrastructureFolder(),
        layout.InfraNotUvMember(),
        layout.NoInfraInProjects(),
        infra_project.InfraDependencies(),
        infra_project.InfraNoReadmeField(),
        infra_project.InfraNoReadmeFile(),
        infra_project.PulumiPythonRuntime(),
        apps.AppHasOverlay(),
        apps.OverlayReachesBase(),
        apps.OverlayNamespace(),
        dockerfile.DockerfileBricks(),
        dockerfile.DockerfileUnverified(),
    ):
        assert problems(root, rule) == [], rule.ID


def test_a_glob_member_catches_infrastructure(tmp_path: Path) -> None:
    root = workspace(
        tmp_path, {"pyproject.toml": '[tool.uv.workspace]\nmembers = ["projects/*", "*"]\n'}
    )
    assert problems(root, layout.InfraNotUvMember()) == [
        "pyproject.toml:2:26: [tool.uv.workspace] members catches, through a glob, "
        "'infrastructure': infrastructure must not be a uv workspace member"
    ]


def test_an_exclude_keeps_infrastructure_out(tmp_path: Path) -> None:
    text = '[tool.uv.workspace]\nmembers = ["*"]\nexclude = ["infrastructure"]\n'
    root = workspace(tmp_path, {"pyproject.toml": text})
    assert problems(root, layout.InfraNotUvMember()) == []


def test_a_pyproject_below_infrastructure_is_a_member_too(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = [\n  "projects/*",\n'
            '  "infrastructure/*",\n]\n',
            "infrastructure/pulumi/pyproject.toml": '[project]\nname = "p"\n',
        },
    )
    assert problems(root, layout.InfraNotUvMember()) == [
        "pyproject.toml:4:3: [tool.uv.workspace] members catches, through a glob, "
        "'infrastructure/pulumi': infrastructure must not be a uv workspace member"
    ]


def test_no_infrastructure_folder(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    for path in sorted((root / "infrastructure").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (root / "infrastructure").rmdir()
    assert problems(root, layout.InfrastructureFolder()) == [
        "pyproject.toml:1:1: the workspace has no infrastructure/ folder: the foundation and "
        "application stacks live there"
    ]


def test_missing_infrastructure_pyproject(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "infrastructure/pyproject.toml").unlink()
    assert problems(root, infra_project.InfraDependencies()) == [
        "infrastructure/pyproject.toml:1:1: infrastructure/ has no pyproject.toml"
    ]


def test_dependency_names_are_normalized(tmp_path: Path) -> None:
    text = '[project]\nname = "i"\ndependencies = ["Pulumi[extra] >= 3", "pulumi_gcp"]\n'
    root = workspace(tmp_path, {"infrastructure/pyproject.toml": text})
    assert problems(root, infra_project.InfraDependencies()) == []


def test_runtime_written_as_a_scalar(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"infrastructure/pulumi/Pulumi.yaml": "name: ws\nruntime: nodejs\n"})
    assert problems(root, infra_project.PulumiPythonRuntime()) == [
        "infrastructure/pulumi/Pulumi.yaml:2:10: Pulumi.yaml runtime is 'nodejs', not python"
    ]


def test_overlay_reaching_the_base_through_another_kustomization(tmp_path: Path) -> None:
    app = "infrastructure/cloudrun_job/job-a"
    root = workspace(
        tmp_path,
        {
            f"{app}/shared/kustomization.yaml": "resources:\n  - ../base\n",
            f"{app}/overlays/production/kustomization.yaml": (
                "namespace: proj\nresources:\n  - ../../shared\n"
            ),
        },
    )
    assert problems(root, apps.OverlayReachesBase()) == []


def test_empty_namespace_points_at_the_value(tmp_path: Path) -> None:
    overlay = "infrastructure/cloudrun_job/job-a/overlays/production/kustomization.yaml"
    root = workspace(tmp_path, {overlay: 'namespace: ""\nresources:\n  - ../../base\n'})
    assert problems(root, apps.OverlayNamespace()) == [
        f"{overlay}:1:12: overlay 'production' of app 'job-a' sets no namespace: Cloud Run "
        "accepts that (gcloud takes the project from --project), but `polyinfra deploy` needs it"
    ]


def test_dockerfile_continuations_flags_and_build_stages(tmp_path: Path) -> None:
    text = (
        "FROM python:3.13-slim AS build\n"
        "COPY --from=build components/ns/http/ ./ns/http/\n"
        "COPY --chown=app:app \\\n"
        "    components/ns/log/ ./ns/log/\n"
        "COPY ./bases/ns/job_a ./ns/job_a/\n"
    )
    root = workspace(tmp_path, {"projects/job_a/Dockerfile": text})
    assert problems(root, dockerfile.DockerfileBricks()) == []


def test_dockerfile_copying_a_whole_brick_folder(tmp_path: Path) -> None:
    text = "FROM python:3.13-slim\nCOPY components/ ./\nCOPY bases/ns/job_a/ ./ns/job_a/\n"
    root = workspace(tmp_path, {"projects/job_a/Dockerfile": text})
    assert problems(root, dockerfile.DockerfileBricks()) == [
        "projects/job_a/Dockerfile:2:1: COPY components copies components/ns/http, which "
        "projects/job_a/pyproject.toml does not include"
    ]


def test_dockerfile_copying_no_brick_of_the_project(tmp_path: Path) -> None:
    text = (
        "FROM python:3.13-slim\nCOPY projects/job_a/pyproject.toml ./pyproject.toml\n"
        "COPY components/ns/logging/ ./ns/logging/\n"
    )
    root = workspace(tmp_path, {"projects/job_a/Dockerfile": text})
    assert problems(root, dockerfile.DockerfileBricks()) == [
        "projects/job_a/Dockerfile:3:1: COPY components/ns/logging: no such brick in the workspace",
        "projects/job_a/Dockerfile:3:1: the Dockerfile does not copy bases/ns/job_a, "
        "components/ns/log, which projects/job_a/pyproject.toml includes",
    ]


def test_dockerfile_that_is_not_text(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "projects/job_a/Dockerfile").write_bytes(b"FROM python\n\xff\xfe COPY\n")
    (found,) = problems(root, dockerfile.DockerfileBricks())
    assert found.startswith("projects/job_a/Dockerfile:1:1: cannot read the Dockerfile: ")
