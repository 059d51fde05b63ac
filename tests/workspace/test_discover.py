"""Workspace.discover on spec-layout, newer-layout and broken trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.workspace import Workspace
from tests.conftest import edit, write_tree

SERVICE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: my-service
spec:
  template:
    spec:
      containers:
      - image: IMAGE_URL
"""
JOB = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: {name}
spec:
  template:
    spec:
      template:
        spec:
          containers:
          - image: IMAGE_URL
"""
OVERLAY = "resources:\n- ../../base\nnamespace: my-project\n"


def polylith_files(namespace: str = "acme") -> dict[str, str]:
    return {
        "workspace.toml": f'[tool.polylith]\nnamespace = "{namespace}"\n\n'
        '[tool.polylith.structure]\ntheme = "loose"\n',
        "pyproject.toml": '[project]\nname = "acme"\nversion = "0"\n\n'
        '[tool.uv.workspace]\nmembers = ["projects/*"]\nexclude = ["infrastructure"]\n',
        f"components/{namespace}/store/__init__.py": "",
        f"components/{namespace}/log/__init__.py": "",
        f"bases/{namespace}/api/__init__.py": "",
        f"bases/{namespace}/ingest/__init__.py": "",
        "projects/my_service/pyproject.toml": '[project]\nname = "my-service"\n\n'
        "[tool.polylith.bricks]\n"
        f'"../../bases/{namespace}/api" = "{namespace}/api"\n'
        f'"../../components/{namespace}/log" = "{namespace}/log"\n',
        "projects/my_service/Dockerfile": "FROM python:3.13-slim\n",
        "projects/ingest_job/pyproject.toml": '[project]\nname = "ingest-job"\n\n'
        "[tool.polylith.bricks]\n"
        f'"../../bases/{namespace}/ingest" = "{namespace}/ingest"\n'
        f'"../../components/{namespace}/store" = "{namespace}/store"\n'
        f'"../../components/{namespace}/log" = "{namespace}/log"\n',
    }


def spec_layout(root: Path) -> Path:
    files = polylith_files()
    files.update(
        {
            "infrastructure/pyproject.toml": '[project]\nname = "infra"\n',
            "infrastructure/pulumi/Pulumi.yaml": "name: acme\nruntime:\n  name: python\n",
            "infrastructure/pulumi/Pulumi.sandbox.yaml": "config: {}\n",
            "infrastructure/pulumi/Pulumi.production.yaml": "config: {}\n",
            "infrastructure/cloudrun/base/service.yaml": SERVICE,
            "infrastructure/cloudrun/base/kustomization.yaml": "resources:\n- service.yaml\n",
            "infrastructure/cloudrun/overlays/sandbox/kustomization.yaml": OVERLAY,
            "infrastructure/cloudrun/overlays/production/kustomization.yaml": OVERLAY,
            "infrastructure/cloudrunjob/ingest-job/base/job.yaml": JOB.format(name="ingest-job"),
            "infrastructure/cloudrunjob/ingest-job/base/kustomization.yaml": (
                "resources:\n- job.yaml\n"
            ),
            "infrastructure/cloudrunjob/ingest-job/overlays/production/kustomization.yaml": (
                OVERLAY
            ),
        }
    )
    return write_tree(root, files)


def test_spec_layout(tmp_path: Path) -> None:
    root = spec_layout(tmp_path)
    ws = Workspace.discover(root / "components" / "acme")  # from a sub-folder
    assert ws.root == root.resolve()
    assert ws.namespace == "acme"
    assert ws.theme == "loose"
    assert sorted(ws.bricks) == [
        "bases/acme/api",
        "bases/acme/ingest",
        "components/acme/log",
        "components/acme/store",
    ]
    assert ws.bricks["bases/acme/api"].kind == "base"
    assert ws.bricks["components/acme/log"].kind == "component"
    assert ws.projects["my_service"].bricks == ("bases/acme/api", "components/acme/log")
    assert ws.projects["my_service"].package_name == "my-service"
    assert ws.projects["my_service"].dockerfile == root.resolve() / "projects/my_service/Dockerfile"
    assert ws.projects["ingest_job"].dockerfile is None
    assert ws.uv_members == ("projects/*",)
    assert ws.uv_excludes == ("infrastructure",)
    # single-app form is named after the base manifest; multi-app form after its folder
    assert {name: (app.kind, app.kind_dir) for name, app in ws.apps.items()} == {
        "ingest-job": ("job", "cloudrunjob"),
        "my-service": ("service", "cloudrun"),
    }
    assert ws.apps["my-service"].environments == ("production", "sandbox")
    assert ws.apps["ingest-job"].environments == ("production",)
    # default mapping: same name with - and _ alike
    assert ws.apps["my-service"].project == "my_service"
    assert ws.apps["ingest-job"].project == "ingest_job"
    assert ws.program.name == "acme"
    assert ws.program.runtime == "python"
    assert sorted(ws.program.stacks) == ["production", "sandbox"]
    assert ws.stack_for_env("production") == "production"


def test_newer_layout_and_explicit_mapping(tmp_path: Path) -> None:
    files = polylith_files()
    files.update(
        {
            "infrastructure/pyproject.toml": '[project]\nname = "infra"\n\n'
            '[tool.polyinfra.apps."nightly-load"]\nproject = "ingest_job"\n\n'
            '[tool.polyinfra.environments]\nprod = "production"\n',
            "infrastructure/cloudrun_job/nightly-load/base/job.yaml": JOB.format(
                name="nightly-load"
            ),
            "infrastructure/cloudrun_job/nightly-load/base/kustomization.yaml": (
                "resources:\n- job.yaml\n"
            ),
            "infrastructure/cloudrun_job/nightly-load/overlays/prod/kustomization.yaml": OVERLAY,
            "infrastructure/cloudrun_service/my-service/base/service.yaml": SERVICE,
            "infrastructure/cloudrun_service/my-service/base/kustomization.yaml": (
                "resources:\n- service.yaml\n"
            ),
            "infrastructure/cloudrun_function/hook/base/kustomization.yaml": "resources: []\n",
            "infrastructure/cloudrun_function/hook/overlays/sandbox/kustomization.yml": OVERLAY,
        }
    )
    ws = Workspace.discover(write_tree(tmp_path, files))
    assert {name: app.kind for name, app in ws.apps.items()} == {
        "hook": "function",
        "my-service": "service",
        "nightly-load": "job",
    }
    assert ws.apps["nightly-load"].project == "ingest_job"  # explicit mapping wins
    assert ws.apps["hook"].project is None  # no project of that name
    assert ws.apps["my-service"].overlays == {}
    assert ws.apps["hook"].overlays["sandbox"].kustomization.name == "kustomization.yml"
    assert ws.stack_for_env("prod") == "production"
    assert ws.env_for_stack("production") == "prod"
    assert ws.programs == ()
    with pytest.raises(UserError, match="no Pulumi program"):
        _ = ws.program


def test_missing_workspace_toml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"projects/x/pyproject.toml": "[project]\nname='x'\n"})
    with pytest.raises(UserError) as info:
        Workspace.discover(tmp_path / "projects")
    assert "not inside a Polylith workspace: no workspace.toml" in str(info.value)
    assert str(tmp_path / "projects") in str(info.value)


def test_project_pointing_at_missing_brick(tmp_path: Path) -> None:
    files = polylith_files()
    files["projects/broken/pyproject.toml"] = (
        '[project]\nname = "broken"\n\n[tool.polylith.bricks]\n'
        '"../../bases/acme/api" = "acme/api"\n'
        '"../../components/acme/stor" = "acme/stor"\n'
    )
    write_tree(tmp_path, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(tmp_path)
    error = info.value
    assert error.position is not None
    assert error.position.file == tmp_path / "projects/broken/pyproject.toml"
    assert (error.position.line, error.position.col) == (6, 1)
    assert error.message == (
        "project 'broken' includes brick '../../components/acme/stor', which does not exist: "
        "nothing at that path from the project folder or the workspace root, and no base or "
        "component is named 'stor' (did you mean '../../components/acme/store'?)"
    )


def test_overlay_without_base(tmp_path: Path) -> None:
    files = polylith_files()
    files["infrastructure/cloudrun_job/orphan/overlays/production/kustomization.yaml"] = OVERLAY
    write_tree(tmp_path, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(tmp_path)
    assert "app 'orphan' has overlays but no base folder" in info.value.message
    assert info.value.position is not None
    assert info.value.position.file == tmp_path / "infrastructure/cloudrun_job/orphan/overlays"


def test_unknown_setting_points_at_line(tmp_path: Path) -> None:
    files = polylith_files()
    files["infrastructure/pyproject.toml"] = (
        '[project]\nname = "infra"\n\n[tool.polyinfra]\nenvironmnets = {prod = "production"}\n'
    )
    write_tree(tmp_path, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(tmp_path)
    assert "unknown setting 'environmnets' (did you mean 'environments'?)" in info.value.message
    assert info.value.position is not None
    assert (info.value.position.line, info.value.position.col) == (5, 1)


def test_mapping_to_missing_project(tmp_path: Path) -> None:
    files = spec_layout(tmp_path)
    (files / "infrastructure/pyproject.toml").write_text(
        '[project]\nname = "infra"\n\n[tool.polyinfra.apps.my-service]\nproject = "my_servce"\n'
    )
    with pytest.raises(UserError) as info:
        Workspace.discover(tmp_path)
    assert "mapped to project 'my_servce', which does not exist" in info.value.message
    assert "did you mean 'my_service'" in info.value.message
    assert info.value.position is not None
    assert info.value.position.line == 5


def test_unknown_app_suggests(tmp_path: Path) -> None:
    ws = Workspace.discover(spec_layout(tmp_path))
    with pytest.raises(
        UserError, match=r"no app named 'my-servce' \(did you mean 'my-service'\?\)"
    ):
        ws.app("my-servce")
    assert [a.name for a in ws.select_apps([])] == ["ingest-job", "my-service"]


def test_example_workspace(example_path: Path) -> None:
    ws = Workspace.discover(example_path / "infrastructure" / "cloudrun_job")
    assert ws.root == example_path.resolve()
    assert ws.namespace == "data_platform"
    assert {name: (app.kind, app.kind_dir, app.project) for name, app in ws.apps.items()} == {
        "dmd-inv-mov-api2bq": ("job", "cloudrun_job", "dmd_ingest"),  # explicit mapping
        "inventory-api": ("service", "cloudrun_service", "inventory_api"),
        "stock-webhook": ("function", "cloudrun_function", "stock_webhook"),
    }
    assert all(app.environments == ("production", "sandbox") for app in ws.apps.values())
    assert ws.projects["dmd_ingest"].bricks == (
        "bases/data_platform/dmd_ingest",
        "components/data_platform/bigquery_writer",
        "components/data_platform/dmd_client",
        "components/data_platform/http_client",
        "components/data_platform/log",
        "components/data_platform/settings",
    )
    assert sorted(ws.program.stacks) == ["production", "sandbox"]
    assert ws.program.runtime == "python"
    assert "infrastructure" in ws.uv_excludes


def test_listed_bricks_keep_the_order_of_the_pyproject(root: Path) -> None:
    from polyinfra.workspace.discover import listed_bricks

    settings = '"../../components/data_platform/settings" = "data_platform/settings"\n'
    table = "[tool.polylith.bricks]\n"
    edit(root, "projects/dmd_ingest/pyproject.toml", settings, "")
    # settings first, written from the workspace root, and listed twice
    edit(
        root,
        "projects/dmd_ingest/pyproject.toml",
        table,
        table + '"components/data_platform/settings" = "data_platform/settings"\n' + settings,
    )
    ws = Workspace.discover(root)
    project = ws.projects["dmd_ingest"]
    assert listed_bricks(project, ws.root, ws.namespace, ws.bricks) == [
        "components/data_platform/settings",
        "bases/data_platform/dmd_ingest",
        "components/data_platform/bigquery_writer",
        "components/data_platform/dmd_client",
        "components/data_platform/http_client",
        "components/data_platform/log",
    ]
