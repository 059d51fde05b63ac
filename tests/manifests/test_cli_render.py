"""`polyinfra render` on the example workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.errors import UserError
from polyinfra.manifests import image_ref, render_apps
from polyinfra.workspace import Workspace
from tests.manifests.pipeline import tree_digest

#: An image pinned by its digest.
PINNED = "reg.example/inv@sha256:" + "0123" * 16


def test_default_image_comes_from_the_stack(example_path: Path) -> None:
    ws = Workspace.discover(example_path)
    app = ws.app("dmd-inv-mov-api2bq")
    assert image_ref(ws, app, "production", "1.2.3") == (
        "asia-southeast1-docker.pkg.dev/data-platform-prod/dmd-ingest/dmd-inv-mov-api2bq:1.2.3"
    )


def test_prints_every_app(example_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["render", "--env", "sandbox", "--version", "0.9.1", "-w", str(example_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    kinds = [line for line in captured.out.splitlines() if line.startswith("kind: ")]
    assert len(kinds) == len(Workspace.discover(example_path).apps)
    assert "VERSION_PLACEHOLDER" not in captured.out


def test_image_and_registry_options(example_path: Path, tmp_path: Path) -> None:
    before = tree_digest(example_path)
    out = tmp_path / "out"
    code = main(
        [
            "render",
            "inventory-api",
            "dmd-inv-mov-api2bq",
            "--env",
            "production",
            "--version",
            "2.0.0",
            "--image",
            f"inventory-api={PINNED}",
            "--registry",
            "europe-docker.pkg.dev/p/apps",
            "--out",
            str(out),
            "-w",
            str(example_path),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in (out / "production").iterdir()) == [
        "dmd-inv-mov-api2bq.yaml",
        "inventory-api.yaml",
    ]
    inventory = (out / "production/inventory-api.yaml").read_text()
    assert f"image: {PINNED}\n" in inventory
    job = (out / "production/dmd-inv-mov-api2bq.yaml").read_text()
    assert "image: europe-docker.pkg.dev/p/apps/dmd-inv-mov-api2bq:2.0.0\n" in job
    assert tree_digest(example_path) == before


def test_unknown_environment_is_exit_2(
    example_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["render", "--env", "staging", "--version", "1", "-w", str(example_path)])
    assert code == 2
    assert "no app has an overlay for environment 'staging'" in capsys.readouterr().err


def test_placeholders_from_settings(example_path: Path, tmp_path: Path) -> None:
    ws_path = shutil.copytree(example_path, tmp_path / "ws")
    pyproject = ws_path / "infrastructure/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.polyinfra]\n",
            "[tool.polyinfra]\n\n[tool.polyinfra.placeholders.sandbox]\n"
            'REGION_PLACEHOLDER = "ase1"\n',
        )
    )
    base = ws_path / "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
    text = base.read_text()
    base.write_text(
        text.replace("  name: inventory-api\n", "  name: inventory-api-REGION_PLACEHOLDER\n", 1)
    )
    out = tmp_path / "out"
    args = ["render", "inventory-api", "--version", "1", "--out", str(out), "-w", str(ws_path)]
    assert main([*args, "--env", "sandbox"]) == 0
    assert "name: inventory-api-ase1\n" in (out / "sandbox/inventory-api.yaml").read_text()
    assert main([*args, "--env", "production"]) == 2
    assert not (out / "production").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "inventory-api"], "--image 'inventory-api': expected APP=IMAGE_REFERENCE"),
        (["--image", "nope=reg/x:1"], "no app named 'nope'"),
        (["--version", "1 2"], "invalid version '1 2'"),
    ],
)
def test_bad_options_are_exit_2(
    example_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = ["render", "--env", "sandbox", "-w", str(example_path)]
    if "--version" not in args:
        base += ["--version", "1"]
    assert main([*base, *args]) == 2
    assert message in capsys.readouterr().err


def test_app_without_the_environment(example_path: Path, tmp_path: Path) -> None:
    ws_path = shutil.copytree(example_path, tmp_path / "ws")
    shutil.rmtree(ws_path / "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/sandbox")
    ws = Workspace.discover(ws_path)
    with pytest.raises(UserError) as caught:
        render_apps(ws, ["dmd-inv-mov-api2bq"], "sandbox", "1")
    assert caught.value.message == (
        "app 'dmd-inv-mov-api2bq' has no overlay for environment 'sandbox' (it has: production)"
    )
    # without names, only the apps that have the environment are rendered
    assert [a.app for a in render_apps(ws, [], "sandbox", "1").apps] == [
        "inventory-api",
        "stock-webhook",
    ]


def test_stdout_is_the_rendered_text_byte_for_byte(
    tmp_path: Path, example_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws_path = shutil.copytree(example_path, tmp_path / "ws")
    base = ws_path / "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
    base.write_text(
        base.read_text().replace(
            "    run.googleapis.com/ingress: all\n",
            "    run.googleapis.com/ingress: all\n    note: ':thumbs_up: [b]bold[/b]'\n",
            1,
        )
    )
    args = ["render", "inventory-api", "--env", "sandbox", "--version", "1.0.0"]
    assert main([*args, "-w", str(ws_path)]) == 0
    printed = capsys.readouterr().out
    expected = render_apps(Workspace.discover(ws_path), ["inventory-api"], "sandbox", "1.0.0")
    assert printed == expected.apps[0].text
    assert "note: ':thumbs_up: [b]bold[/b]'\n" in printed
