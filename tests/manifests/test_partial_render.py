"""One app that cannot render does not stop the others: each failure is its own error saying
what is missing, at its place; `render` prints nothing then (unless --keep-going) and exits 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.manifests import PartialRender, render_apps
from polyinfra.positions import Position
from polyinfra.workspace import Workspace

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
REGISTRY_HINT = (
    "add `artifact_registry: {repository_id: <id>, format: DOCKER, location: <region>}` to the "
    "project, or pass --image APP=REF or --registry URL"
)


def cut(text: str, first: str, last: str) -> str:
    """``text`` without the lines from the one equal to ``first`` up to the one before
    ``last``."""
    lines = text.splitlines(keepends=True)
    start = lines.index(first + "\n")
    end = lines.index(last + "\n", start)
    return "".join(lines[:start] + lines[end:])


@pytest.fixture
def workspace(example_path: Path, tmp_path: Path) -> Path:
    """The example with the sandbox stack's inventory-api project removed and dmd-ingest's
    artifact_registry removed: only stock-webhook has an image repository."""
    root = shutil.copytree(example_path, tmp_path / "ws")
    stack = root / STACK
    text = cut(stack.read_text(), "    inventory-api:", "    dmd-ingest:")
    text = cut(text, "      artifact_registry:", "      bigquery_dataset:")
    stack.write_text(text)
    return root


def test_each_app_gets_its_own_error_and_the_others_render(workspace: Path) -> None:
    ws = Workspace.discover(workspace)
    with pytest.raises(PartialRender) as caught:
        render_apps(ws, [], "sandbox", "1.0.0")
    partial = caught.value
    stack = workspace / STACK
    assert [(e.message, e.position, e.hint) for e in partial.errors] == [
        (
            "dmd-inv-mov-api2bq (sandbox): project 'dmd-ingest' under input:projects in "
            "Pulumi.sandbox.yaml has no artifact_registry to take the image repository from",
            Position(stack, 29, 5),
            REGISTRY_HINT,
        ),
        (
            "inventory-api (sandbox): Pulumi.sandbox.yaml has no project 'inventory_api' under "
            "input:projects (it has: dmd-ingest, stock-webhook) to take the image "
            "repository from",
            Position(stack, 28, 3),
            "add the project with an artifact_registry, map the app to its project with "
            '[tool.polyinfra.apps.inventory-api] project = "<project>" in '
            "infrastructure/pyproject.toml, or pass --image APP=REF or --registry URL",
        ),
    ]
    assert partial.failed == ("dmd-inv-mov-api2bq", "inventory-api")
    assert [app.app for app in partial.result.apps] == ["stock-webhook"]
    assert (
        "asia-southeast1-docker.pkg.dev/data-platform-sandbox/stock-webhook/stock-webhook:1.0.0"
        in (partial.result.apps[0].text)
    )


def test_an_artifact_registry_without_repository_id(workspace: Path) -> None:
    stack = workspace / STACK
    stack.write_text(stack.read_text().replace("        repository_id: stock-webhook\n", ""))
    ws = Workspace.discover(workspace)
    with pytest.raises(PartialRender) as caught:
        render_apps(ws, ["stock-webhook"], "sandbox", "1.0.0")
    assert caught.value.message == (
        "stock-webhook (sandbox): project 'stock-webhook' under input:projects in "
        "Pulumi.sandbox.yaml has an artifact_registry without repository_id to take the image "
        "repository from"
    )
    assert caught.value.position == Position(stack, 89, 7)
    assert caught.value.result.apps == ()


def test_a_stack_without_input_projects(workspace: Path) -> None:
    stack = workspace / STACK
    text = stack.read_text()
    stack.write_text(cut(text, "  input:projects:", "  # Workspace-wide monitoring"))
    ws = Workspace.discover(workspace)
    with pytest.raises(PartialRender) as caught:
        render_apps(ws, ["inventory-api"], "sandbox", "1.0.0")
    assert caught.value.message == (
        "inventory-api (sandbox): Pulumi.sandbox.yaml has no input:projects, so project "
        "'inventory_api' has no artifact_registry to take the image repository from"
    )
    assert caught.value.position == Position(stack, 3, 1)


def test_a_kustomize_failure_is_one_apps_error(example_path: Path, tmp_path: Path) -> None:
    root = shutil.copytree(example_path, tmp_path / "ws")
    overlay = root / "infrastructure/cloudrun_service/inventory-api/overlays/sandbox"
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "components:\n  - ../../missing\n")
    with pytest.raises(PartialRender) as caught:
        render_apps(Workspace.discover(root), [], "sandbox", "1")
    (error,) = caught.value.errors
    assert error.message.startswith(f"inventory-api (sandbox): kustomize failed for {overlay}:\n")
    assert error.position == Position(kustomization, 1, 1)
    assert [a.app for a in caught.value.result.apps] == ["dmd-inv-mov-api2bq", "stock-webhook"]


RENDER = ["render", "--env", "sandbox", "--version", "1.0.0", "-w"]
SUMMARY = "error: 2 of 3 apps did not render: dmd-inv-mov-api2bq, inventory-api"


def test_render_prints_nothing_and_exits_2(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*RENDER, str(workspace)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert [line for line in lines if line.startswith("error: ")] == [
        f"error: {workspace / STACK}:29:5: dmd-inv-mov-api2bq (sandbox): project 'dmd-ingest' "
        "under input:projects in Pulumi.sandbox.yaml has no artifact_registry to take the image "
        "repository from",
        f"error: {workspace / STACK}:28:3: inventory-api (sandbox): Pulumi.sandbox.yaml has no "
        "project 'inventory_api' under input:projects (it has: dmd-ingest, "
        "stock-webhook) to take the image repository from",
        f"{SUMMARY}; nothing was printed",
    ]
    assert lines[-1] == (
        "  hint: the other 1 rendered: pass --keep-going to get them anyway, or render them "
        "alone with `polyinfra render stock-webhook --env sandbox --version 1.0.0`"
    )


def test_keep_going_prints_the_others_and_still_exits_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*RENDER, str(workspace), "--keep-going"]) == 2
    captured = capsys.readouterr()
    alone = render_apps(Workspace.discover(workspace), ["stock-webhook"], "sandbox", "1.0.0")
    assert captured.out == alone.apps[0].text
    assert captured.err.splitlines()[-1] == f"{SUMMARY}; printed the other 1: stock-webhook"
    out = tmp_path / "out"
    assert main([*RENDER, str(workspace), "--keep-going", "--out", str(out)]) == 2
    assert [p.name for p in (out / "sandbox").iterdir()] == ["stock-webhook.yaml"]
    assert capsys.readouterr().err.splitlines()[-2:] == [
        f"wrote {out / 'sandbox' / 'stock-webhook.yaml'}",
        f"{SUMMARY}; written the other 1: stock-webhook",
    ]


def test_out_writes_nothing_without_keep_going(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([*RENDER, str(workspace), "--out", str(out)]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_deploy_deploys_nothing_when_an_app_does_not_render(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyinfra.emulator import FakeCloudRun

    with FakeCloudRun(ready_after=1) as fake:
        args = ["deploy", "--all", "--env", "sandbox", "--version", "1.0.0"]
        assert main([*args, "--endpoint", fake.endpoint, "-w", str(workspace)]) == 2
        assert fake.get_object("services", "data-platform-sandbox", "stock-webhook") is None
    err = capsys.readouterr().err
    assert f"{workspace / STACK}:28:3: inventory-api (sandbox): Pulumi.sandbox.yaml has no " in err
    assert f"{workspace / STACK}:29:5: dmd-inv-mov-api2bq (sandbox): project 'dmd-ingest' " in err
