"""Where `render` puts the image when the base does not say IMAGE_URL: into the app's container
when one clearly is the app's, as `kustomize edit set image <its image>=<ref>` would; else an
error naming the overlay and the containers it found. An image asked for is never dropped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.cli.main import main
from polyinfra.errors import UserError
from polyinfra.manifests import RenderOptions, RenderRequest, render, render_apps
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from tests.conftest import write_tree
from tests.manifests.pipeline import spec_pipeline, tree_digest

REF = "europe-west1-docker.pkg.dev/acme/apps/api:2.0.1"
#: An image pinned by its digest.
PINNED = "reg.example/inv@sha256:" + "0123" * 16

SERVICE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: api
spec:
  template:
    spec:
      containers:
{containers}"""

CONTAINER = """      - name: {name}
        image: {image}
"""


def service(*containers: tuple[str, str]) -> str:
    return SERVICE.format(
        containers="".join(CONTAINER.format(name=n, image=i) for n, i in containers)
    )


def app(root: Path, overlay: str, *containers: tuple[str, str]) -> Path:
    """``root/api/{base,overlays/production}``; returns the overlay folder."""
    write_tree(
        root / "api",
        {
            "base/kustomization.yaml": "resources:\n  - service.yaml\n",
            "base/service.yaml": service(*containers),
            "overlays/production/kustomization.yaml": "resources:\n  - ../../base\n" + overlay,
        },
    )
    return root / "api/overlays/production"


def rendered(overlay: Path, image: str = REF) -> tuple[str, str, int]:
    request = RenderRequest("api", "production", overlay, image, explicit=True)
    result = render([request], RenderOptions("2.0.1"))
    return result.apps[0].text, result.apps[0].image_name, result.kustomize_runs


def pipeline(tmp_path: Path, image_name: str) -> str:
    """The spec's pipeline with ``edit set image <image_name>=REF`` on a copy."""
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    return spec_pipeline(copy / "api/overlays/production", REF, "2.0.1", image_name=image_name)


def test_an_artifact_name_in_the_base_gets_the_image(tmp_path: Path) -> None:
    overlay = app(tmp_path / "src", "", ("app", "kustomize-example"))
    before = tree_digest(tmp_path / "src")
    text, name, runs = rendered(overlay)
    assert (name, runs) == ("kustomize-example", 2)
    assert text == pipeline(tmp_path, "kustomize-example")
    assert f"      - image: {REF}\n" in text
    assert tree_digest(tmp_path / "src") == before


def test_a_real_image_in_the_base_gets_the_image(tmp_path: Path) -> None:
    overlay = app(tmp_path / "src", "", ("app", "gcr.io/acme/api:latest"))
    text, name, _ = rendered(overlay)
    assert name == "gcr.io/acme/api"
    assert text == pipeline(tmp_path, "gcr.io/acme/api")
    assert f"      - image: {REF}\n" in text


def test_the_overlay_entry_that_renamed_the_image_is_the_one_replaced(tmp_path: Path) -> None:
    overlay = app(
        tmp_path / "src",
        "images:\n- name: kustomize-example\n  newName: gcr.io/acme/api\n  newTag: v1\n",
        ("app", "kustomize-example"),
    )
    text, name, _ = rendered(overlay)
    assert name == "kustomize-example"
    assert text == pipeline(tmp_path, "kustomize-example")
    assert f"      - image: {REF}\n" in text


def test_the_container_named_after_the_app_among_sidecars(tmp_path: Path) -> None:
    overlay = app(
        tmp_path / "src",
        "",
        ("api", "gcr.io/acme/api_server:1"),  # not this one: named after neither
        ("proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11"),
    )
    with pytest.raises(UserError):
        rendered(overlay)
    (tmp_path / "src/api/base/service.yaml").write_text(
        service(("server", "gcr.io/acme/api:1"), ("proxy", "otel/collector:0.98"))
    )
    text, name, _ = rendered(overlay)
    assert name == "gcr.io/acme/api"
    assert f"      - image: {REF}\n        name: server\n" in text
    assert "      - image: otel/collector:0.98\n        name: proxy\n" in text


def test_no_clear_container_is_an_error_naming_the_overlay_and_its_images(tmp_path: Path) -> None:
    overlay = app(
        tmp_path / "src",
        "images:\n- name: otel/collector\n  newTag: '0.99'\n",
        ("web", "gcr.io/acme/frontend:1"),
        ("collector", "otel/collector:0.98"),
    )
    with pytest.raises(UserError) as caught:
        rendered(overlay)
    assert caught.value.message == (
        f"api (production): cannot set the image {REF}: no container runs IMAGE_URL, and of "
        "the 2 containers the overlay renders (Service/api container web: "
        "gcr.io/acme/frontend:1; Service/api container collector: otel/collector:0.99), none "
        "is named after the app or the image ('api')"
    )
    assert caught.value.position == Position(overlay / "kustomization.yaml", 3, 1)
    assert "image: IMAGE_URL" in (caught.value.hint or "")


def test_two_containers_named_after_the_app_is_an_error(tmp_path: Path) -> None:
    overlay = app(
        tmp_path / "src", "", ("one", "gcr.io/acme/api:1"), ("two", "europe-docker.pkg.dev/x/api:2")
    )
    with pytest.raises(UserError) as caught:
        render(
            [RenderRequest("api", "production", overlay, "reg.example/apps/api-server:3", True)],
            RenderOptions("1"),
        )
    assert caught.value.message.endswith(
        "2 are named after the app or the image ('api' or 'api-server')"
    )
    assert caught.value.position == Position(overlay / "kustomization.yaml", 1, 1)


def test_an_overlay_without_any_container(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "cm/kustomization.yaml": "configMapGenerator:\n- name: settings\n  literals: [A=1]\n",
        },
    )
    with pytest.raises(UserError) as caught:
        render([RenderRequest("cm", "dev", tmp_path / "cm", REF, True)], RenderOptions("1"))
    assert caught.value.message == (
        f"cm (dev): cannot set the image {REF}: the overlay renders no Cloud Run Service or Job "
        "with a container"
    )
    assert caught.value.position == Position(tmp_path / "cm/kustomization.yaml", 1, 1)


def test_an_image_not_asked_for_only_replaces_image_url(tmp_path: Path) -> None:
    # the image derived from the stack (or a stand-in while checking) is what the spec's
    # `edit set image IMAGE_URL=...` sets: a base naming its own image keeps it
    overlay = app(tmp_path / "src", "", ("app", "gcr.io/acme/api:1"))
    result = render([RenderRequest("api", "production", overlay, REF)], RenderOptions("2.0.1"))
    assert result.apps[0].text == pipeline(tmp_path, "IMAGE_URL")
    assert "      - image: gcr.io/acme/api:1\n" in result.apps[0].text
    assert (result.apps[0].image_name, result.kustomize_runs) == ("IMAGE_URL", 1)


def test_a_batch_places_each_app_and_matches_rendering_alone(tmp_path: Path) -> None:
    spec = app(tmp_path / "a", "", ("app", "IMAGE_URL"))
    other = app(tmp_path / "b", "", ("app", "kustomize-example"))
    (tmp_path / "b/api/base/service.yaml").write_text(
        service(("app", "kustomize-example")).replace("name: api", "name: other")
    )
    requests = [
        RenderRequest("spec", "production", spec, "reg.example/spec:1", explicit=True),
        RenderRequest("other", "production", other, "reg.example/other:1", explicit=True),
    ]
    batched = render(requests, RenderOptions("1"))
    alone = [render([r], RenderOptions("1")).apps[0].text for r in requests]
    assert [a.text for a in batched.apps] == alone
    assert [a.image_name for a in batched.apps] == ["IMAGE_URL", "kustomize-example"]
    assert "image: reg.example/other:1\n" in batched.apps[1].text


# -- the options of `render` on a workspace whose app names its real image -------------------


@pytest.fixture
def workspace(example_path: Path, tmp_path: Path) -> Path:
    """The example workspace with inventory-api written as a plain Kustomize tree: the base
    names the image, the overlays have no `images:` entry."""
    root = shutil.copytree(example_path, tmp_path / "ws")
    app_dir = root / "infrastructure/cloudrun_service/inventory-api"
    base = app_dir / "base/service.yaml"
    base.write_text(base.read_text().replace("image: IMAGE_URL", "image: inventory-api"))
    for env in ("sandbox", "production"):
        kustomization = app_dir / "overlays" / env / "kustomization.yaml"
        lines = kustomization.read_text().splitlines(keepends=True)
        start = lines.index("images:\n")
        end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "-")))
        kustomization.write_text("".join(lines[:start] + lines[end:]))
    return root


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--image", f"inventory-api={PINNED}"], PINNED),
        (
            ["--registry", "europe-docker.pkg.dev/p/apps"],
            "europe-docker.pkg.dev/p/apps/inventory-api:3.1.0",
        ),
        # asked for nothing: the spec's `edit set image IMAGE_URL=...`, the base's image stays
        ([], "inventory-api"),
    ],
)
def test_render_options_reach_a_base_that_names_its_image(
    workspace: Path, capsys: pytest.CaptureFixture[str], option: list[str], expected: str
) -> None:
    args = ["render", "inventory-api", "--env", "production", "--version", "3.1.0"]
    assert main([*args, *option, "-w", str(workspace)]) == 0
    images = [line for line in capsys.readouterr().out.splitlines() if "image:" in line]
    assert images == [f"        image: {expected}"]


def test_deploy_renders_with_the_same_placement(workspace: Path) -> None:
    # deploy renders through render_apps: the image it deploys is the one asked for
    ws = Workspace.discover(workspace)
    result = render_apps(
        ws, ["inventory-api"], "sandbox", "1.0.0", images={"inventory-api": "reg.example/i:9"}
    )
    (app,) = result.apps
    assert app.image == "reg.example/i:9"
    assert app.image_name == "inventory-api"
    spec = app.primary.data["spec"]["template"]["spec"]  # type: ignore[union-attr]
    assert [c["image"] for c in spec["containers"]] == ["reg.example/i:9"]


def test_a_second_container_without_a_clear_owner_stops_render_with_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = workspace / "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
    base.write_text(
        base.read_text().replace(
            "        image: inventory-api\n",
            "        image: inventory\n",
        )
    )
    text = base.read_text()
    base.write_text(
        text.replace("  traffic:\n", "      - name: proxy\n        image: envoy:1.30\n  traffic:\n")
    )
    args = ["render", "inventory-api", "--env", "production", "--version", "1", "-w"]
    assert main([*args, str(workspace), "--registry", "reg.example/apps"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    overlay = "infrastructure/cloudrun_service/inventory-api/overlays/production/kustomization.yaml"
    assert captured.err.splitlines() == [
        f"error: {workspace / overlay}:1:1: inventory-api (production): cannot set the image "
        "reg.example/apps/inventory-api:1: no container runs IMAGE_URL, and of the 2 containers "
        "the overlay renders (Service/inventory-api container inventory-api: inventory; "
        "Service/inventory-api container proxy: envoy:1.30), none is named after the app or the "
        "image ('inventory-api')",
        "  hint: write `image: IMAGE_URL` for the app's container in the base (the image that "
        "--image, --registry and the stack's registry replace), or name the container's image "
        "after the app",
    ]


@pytest.mark.slow
def test_deploy_runs_the_image_asked_for(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyinfra.emulator import FakeCloudRun

    image = (
        "asia-southeast1-docker.pkg.dev/data-platform-sandbox/inventory-api/inventory-api@sha256:"
        + "b" * 64
    )
    with FakeCloudRun(ready_after=1) as fake:
        code = main(
            [
                "deploy",
                "inventory-api",
                "--env",
                "sandbox",
                "--version",
                "1.0.0",
                "--image",
                f"inventory-api={image}",
                "--endpoint",
                fake.endpoint,
                "-w",
                str(workspace),
            ]
        )
        assert code == 0, capsys.readouterr().err
        stored = fake.get_object("services", "data-platform-sandbox", "inventory-api")
    assert stored is not None
    containers = stored["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == [image]
