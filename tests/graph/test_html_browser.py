"""The HTML page opened in a real browser (headless Debian chromium): what it draws is in the
DOM as SVG, a broken link is drawn broken with its finding, hostile names stay text."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from polyinfra.graph import build_graph
from polyinfra.graph.html import to_html
from tests.conftest import copy_example, edit

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--virtual-time-budget=5000",
)
APPS = ("inventory-api", "dmd-inv-mov-api2bq", "stock-webhook")
ACCOUNTS = tuple(
    f"{account}@data-platform-{project}.iam.gserviceaccount.com"
    for account in ("inventory-api", "dmd-ingest", "stock-webhook")
    for project in ("sandbox", "prod")
)
INVENTORY_SANDBOX = (
    "infrastructure/cloudrun_service/inventory-api/overlays/sandbox/kustomization.yaml"
)
SANDBOX_SA = "inventory-api@data-platform-sandbox.iam.gserviceaccount.com"
GHOST = "ghost@data-platform-sandbox.iam.gserviceaccount.com"


def chromium(tmp_path: Path, page: Path, *more: str) -> str:
    """Run chromium on ``page``; its standard output (the DOM with --dump-dom)."""
    profile = tmp_path / "profile"
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *more, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def dump_dom(tmp_path: Path, page: Path) -> str:
    dom = chromium(tmp_path, page, "--dump-dom")
    assert 'data-drawn="true"' in dom, dom[-2000:]
    return dom


def node_names(dom: str) -> set[str]:
    """The text of the name line of every node group the script drew."""
    found = set()
    for group in re.findall(r'<g class="node[^"]*"[^>]*>(.*?)</g>', dom, re.S):
        name = re.search(r'<text class="name"[^>]*>(.*?)</text>', group, re.S)
        assert name is not None, group
        found.add(html.unescape(name.group(1)))
    return found


def write_page(root: Path, path: Path, env: str | None = None) -> Path:
    path.write_text(to_html(build_graph(root, environment=env)), encoding="utf-8")
    return path


def test_every_app_and_service_account_is_drawn(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    page = write_page(root, tmp_path / "graph.html")
    dom = dump_dom(tmp_path, page)
    names = node_names(dom)
    assert set(APPS) <= names
    assert set(ACCOUNTS) <= names
    assert len(re.findall(r'<g class="edge"', dom)) == 39
    assert 'class="edge broken"' not in dom
    # the legend names both stacks
    assert re.findall(r'class="legend-stack"><span class="swatch"[^>]*></span>([a-z]+)<', dom) == [
        "application",
        "foundation",
    ]


def test_a_broken_link_is_drawn_broken_with_its_finding(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    edit(root, INVENTORY_SANDBOX, f"value: {SANDBOX_SA}", f"value: {GHOST}")
    page = write_page(root, tmp_path / "graph.html", "sandbox")
    dom = dump_dom(tmp_path, page)
    assert GHOST in node_names(dom)
    broken = re.findall(r'<g class="edge broken"([^>]*)><title>(.*?)</title>', dom, re.S)
    assert len(broken) == 1
    attributes, title = broken[0]
    assert 'data-source="app/inventory-api"' in attributes
    assert f'data-target="sandbox/service-account/{GHOST}"' in attributes
    assert html.unescape(title) == (
        "runs as (sandbox)\n"
        f"crossstack/service-account-exists (error) at {INVENTORY_SANDBOX}:18:16: "
        f"inventory-api (sandbox) runs as {GHOST}, which infrastructure/pulumi/"
        "Pulumi.sandbox.yaml does not create (did you mean "
        "'dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com'?)"
    )
    # the account no stack creates is drawn as such
    undeclared = '<g class="node kind-service-account undeclared" data-id="sandbox/service-account/'
    assert f'{undeclared}{GHOST}"' in dom


def test_a_hostile_secret_name_stays_text(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    hostile = "</script><img src=x onerror=document.title='owned'>"
    job = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/sandbox/kustomization.yaml"
    edit(root, job, "name: API_TOKEN\n              key", f'name: "{hostile}"\n              key')
    page = write_page(root, tmp_path / "graph.html", "sandbox")
    dom = dump_dom(tmp_path, page)
    assert hostile in node_names(dom)
    assert "<img" not in dom
    assert "owned" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)  # type: ignore[union-attr]


def test_a_screenshot(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    page = write_page(root, tmp_path / "graph.html")
    shot = tmp_path / "graph.png"
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1600,1000")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == 1600  # the IHDR chunk's width
    assert int.from_bytes(data[20:24], "big") == 1000
    assert len(data) > 50_000  # a blank page of that size compresses to a few kilobytes
    stable = os.environ.get("POLYINFRA_GRAPH_SCREENSHOT")
    if stable:
        shutil.copyfile(shot, stable)
