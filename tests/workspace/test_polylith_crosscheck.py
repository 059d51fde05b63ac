"""Our project -> brick mapping agrees with polylith-cli's own reading of the workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.workspace import Workspace
from tests.conftest import EXAMPLE, REPO
from tests.workspace.test_discover import spec_layout

polylith = pytest.importorskip("polylith_cli.polylith", reason="polylith-cli not installed")


def poly_view(root: Path) -> dict[str, tuple[set[str], set[str]]]:
    from polylith_cli.polylith import configuration, info, repo

    ws_root = repo.get_workspace_root(root)
    namespace = configuration.get_namespace_from_config(ws_root)
    return {
        Path(p["path"]).name: (set(p["bases"]), set(p["components"]))
        for p in info.get_projects_data(ws_root, namespace)
        if p["type"] == "project"
    }


def our_view(root: Path) -> dict[str, tuple[set[str], set[str]]]:
    ws = Workspace.discover(root)
    view = {}
    for name, project in ws.projects.items():
        bricks = [ws.bricks[rel] for rel in project.bricks]
        view[name] = (
            {b.name for b in bricks if b.kind == "base"},
            {b.name for b in bricks if b.kind == "component"},
        )
    return view


def test_spec_layout_agrees_with_poly(tmp_path: Path) -> None:
    root = spec_layout(tmp_path)
    assert our_view(root) == poly_view(root)
    assert our_view(root)["ingest_job"] == ({"ingest"}, {"log", "store"})


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="example workspace not present")
def test_example_agrees_with_poly() -> None:
    ours = our_view(EXAMPLE)
    assert ours == poly_view(EXAMPLE)
    assert set(ours) == {"dmd_ingest", "inventory_api", "stock_webhook"}


REALREPOS = REPO.parent / "shared" / "realrepos"


@pytest.mark.parametrize(
    "name",
    [
        "python-polylith-example-uv",  # uv + hatch [tool.polylith.bricks]
        "python-polylith-microservices-example",  # Poetry packages = [{include, from}]
        "spec-literal-workspace",
    ],
)
def test_real_workspaces_agree_with_poly(tmp_path: Path, name: str) -> None:
    if not (REALREPOS / name).is_dir():
        pytest.skip(f"{REALREPOS / name} is not present (CI places shared/ beside the clone)")
    root = Path(shutil.copytree(REALREPOS / name, tmp_path / name))
    ours = our_view(root)
    assert ours == poly_view(root)
    assert all(bases or components for bases, components in ours.values())
