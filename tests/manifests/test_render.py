"""render(): byte-identical to the spec's pipeline, batched like per-app, read-only, and its
errors (kustomize failure, remote resources, placeholders left over)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra import proc
from polyinfra.errors import ToolError, UserError
from polyinfra.manifests import RenderOptions, RenderRequest, render, render_apps
from polyinfra.manifests.render import MIN_BATCH, _batches
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from tests.conftest import write_tree
from tests.manifests.pipeline import spec_pipeline, tree_digest

SERVICE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {name}
  annotations:
    run.googleapis.com/ingress: all
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/minScale: "0"
    spec:
      containers:
      - name: app
        image: IMAGE_URL
        env:
        - name: VERSION
          value: VERSION_PLACEHOLDER
"""

OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {namespace}
resources:
  - ../../base
images:
  - name: IMAGE_URL
    newName: IMAGE_URL_PLACEHOLDER
patches:
  - patch: |-
      - op: replace
        path: /spec/template/metadata/annotations/autoscaling.knative.dev~1minScale
        value: "1"
    target:
      kind: Service
      name: {name}
"""


def app_tree(root: Path, app: str, *, name: str | None = None, namespace: str = "proj") -> Path:
    """A spec-style app folder under ``root``; returns the production overlay folder."""
    write_tree(
        root / app,
        {
            "base/kustomization.yaml": "resources:\n  - service.yaml\n",
            "base/service.yaml": SERVICE.format(name=name or app),
            "overlays/production/kustomization.yaml": OVERLAY.format(
                name=name or app, namespace=namespace
            ),
        },
    )
    return root / app / "overlays" / "production"


def ref(app: str) -> str:
    return f"europe-west1-docker.pkg.dev/proj/apps/{app}:2.0.1"


def requests_for(overlays: dict[str, Path]) -> list[RenderRequest]:
    return [RenderRequest(app, "production", path, ref(app)) for app, path in overlays.items()]


def test_single_app_matches_spec_pipeline(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path / "src", "api")
    result = render(requests_for({"api": overlay}), RenderOptions(version="2.0.1"))
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    expected = spec_pipeline(copy / "api/overlays/production", ref("api"), "2.0.1")
    assert result.apps[0].text == expected
    assert "image: europe-west1-docker.pkg.dev/proj/apps/api:2.0.1\n" in expected
    assert "value: 2.0.1\n" in expected
    assert result.kustomize_runs == 1


@pytest.mark.skipif(shutil.which("kustomize") is None, reason="no standalone kustomize binary")
def test_matches_kustomize_edit_set_image(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path / "src", "api")
    result = render(requests_for({"api": overlay}), RenderOptions(version="2.0.1"))
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    expected = spec_pipeline(
        copy / "api/overlays/production", ref("api"), "2.0.1", binary="kustomize"
    )
    assert result.apps[0].text == expected


def test_batched_environment_is_one_run_and_byte_identical(tmp_path: Path) -> None:
    overlays = {f"app-{i}": app_tree(tmp_path / "src", f"app-{i}") for i in range(4)}
    batched = render(requests_for(overlays), RenderOptions(version="2.0.1"))
    single = render(requests_for(overlays), RenderOptions(version="2.0.1", batch=False))
    assert batched.kustomize_runs == 1
    assert batched.batched == tuple(overlays)
    assert single.kustomize_runs == 4
    assert [a.text for a in batched.apps] == [a.text for a in single.apps]
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    for app in batched.apps:
        expected = spec_pipeline(copy / app.app / "overlays/production", ref(app.app), "2.0.1")
        assert app.text == expected
        assert app.kind == "Service"
        assert app.name == app.app


def test_several_cpus_run_one_batch_each_with_the_same_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 2 * MIN_BATCH + 3  # 53: two batches of 27 and 26 on two CPUs
    overlays = {f"app-{i:02d}": app_tree(tmp_path / "src", f"app-{i:02d}") for i in range(count)}
    monkeypatch.setattr(proc, "usable_cpus", lambda: 1)
    one = render(requests_for(overlays), RenderOptions(version="2.0.1"))
    monkeypatch.setattr(proc, "usable_cpus", lambda: 8)  # batches of MIN_BATCH apps at least
    two = render(requests_for(overlays), RenderOptions(version="2.0.1"))
    assert (one.kustomize_runs, two.kustomize_runs) == (1, 2)
    assert one.batched == two.batched == tuple(overlays)
    assert [(a.app, a.text) for a in two.apps] == [(a.app, a.text) for a in one.apps]
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    for app in (two.apps[0], two.apps[27], two.apps[-1]):  # first and last of each batch
        expected = spec_pipeline(copy / app.app / "overlays/production", ref(app.app), "2.0.1")
        assert app.text == expected


@pytest.mark.parametrize(
    ("candidates", "cpus", "sizes"),
    [
        (10, 4, [10]),  # too few to share
        (2 * MIN_BATCH - 1, 2, [2 * MIN_BATCH - 1]),
        (2 * MIN_BATCH, 2, [MIN_BATCH, MIN_BATCH]),
        (300, 2, [150, 150]),
        (301, 3, [101, 100, 100]),
        (300, 1, [300]),
        (100, 32, [25, 25, 25, 25]),
    ],
)
def test_batches_share_the_apps_in_order(candidates: int, cpus: int, sizes: list[int]) -> None:
    batches = _batches(list(range(candidates)), cpus)
    assert [len(b) for b in batches] == sizes
    assert [i for b in batches for i in b] == list(range(candidates))


def test_clashing_names_fall_back_to_per_app_runs(tmp_path: Path) -> None:
    overlays = {
        "one": app_tree(tmp_path, "one", name="same"),
        "two": app_tree(tmp_path, "two", name="same"),
        "three": app_tree(tmp_path, "three"),
        "four": app_tree(tmp_path, "four"),
    }
    result = render(requests_for(overlays), RenderOptions(version="2.0.1"))
    assert result.batched == ("three", "four")
    assert result.single == {
        "one": "Service/same also rendered by two",
        "two": "Service/same also rendered by one",
    }
    # the first batch held both sides of the clash; then one batch of the rest, two alone
    assert result.kustomize_runs == 4
    single = render(requests_for(overlays), RenderOptions(version="2.0.1", batch=False))
    assert [a.text for a in result.apps] == [a.text for a in single.apps]
    assert "europe-west1-docker.pkg.dev/proj/apps/one:2.0.1" in result.apps[0].text
    assert "europe-west1-docker.pkg.dev/proj/apps/two:2.0.1" in result.apps[1].text


def test_same_name_in_other_namespace_still_batches(tmp_path: Path) -> None:
    overlays = {
        "one": app_tree(tmp_path, "one", name="same", namespace="a"),
        "two": app_tree(tmp_path, "two", name="same", namespace="b"),
    }
    result = render(requests_for(overlays), RenderOptions(version="1"))
    assert result.batched == ("one", "two")
    assert result.kustomize_runs == 1


def test_generator_overlay_is_rendered_alone(tmp_path: Path) -> None:
    overlays = {name: app_tree(tmp_path, name) for name in ("a", "b", "c")}
    kustomization = overlays["c"] / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text() + "configMapGenerator:\n  - name: cfg\n    literals: [A=1]\n"
    )
    result = render(requests_for(overlays), RenderOptions(version="1"))
    assert result.batched == ("a", "b")
    assert result.single == {"c": "output not predictable: configMapGenerator"}
    single = render(requests_for(overlays), RenderOptions(version="1", batch=False))
    assert [a.text for a in result.apps] == [a.text for a in single.apps]
    assert "kind: ConfigMap" in result.apps[2].text


def test_user_tree_is_never_modified(tmp_path: Path) -> None:
    overlays = {name: app_tree(tmp_path / "src", name) for name in ("a", "b")}
    before = tree_digest(tmp_path / "src")
    render(requests_for(overlays), RenderOptions(version="3"))
    render(requests_for(overlays), RenderOptions(version="3", batch=False))
    assert tree_digest(tmp_path / "src") == before


def test_extra_placeholders_replaced_like_sed(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path / "src", "api")
    service = tmp_path / "src/api/base/service.yaml"
    service.write_text(
        service.read_text() + "        - name: REGION\n          value: R_PLACEHOLDER\n"
    )
    options = RenderOptions(version="7", placeholders={"R_PLACEHOLDER": "euw1"})
    result = render(requests_for({"api": overlay}), options)
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    expected = spec_pipeline(
        copy / "api/overlays/production", ref("api"), "7", extra={"R_PLACEHOLDER": "euw1"}
    )
    assert result.apps[0].text == expected
    assert "value: euw1\n" in expected


def test_leftover_placeholder_names_app_env_and_field(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path, "api")
    service = tmp_path / "api/base/service.yaml"
    service.write_text(
        service.read_text() + "        - name: REGION\n          value: R_PLACEHOLDER\n"
    )
    with pytest.raises(UserError) as caught:
        render(requests_for({"api": overlay}), RenderOptions(version="7"))
    error = caught.value
    assert error.message == (
        "api (production): Service/api field spec.template.spec.containers[0].env[1].value "
        "still holds placeholder R_PLACEHOLDER"
    )
    assert error.position == Position(service, 20, 18)


def test_image_not_replaced_is_an_error(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path, "api")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("name: IMAGE_URL", "name: OTHER"))
    with pytest.raises(UserError) as caught:
        render(requests_for({"api": overlay}), RenderOptions(version="7"))
    assert caught.value.message == (
        "api (production): Service/api field spec.template.spec.containers[0].image "
        "still holds placeholder IMAGE_URL"
    )
    assert caught.value.position == Position(tmp_path / "api/base/service.yaml", 15, 16)
    # an image asked for goes where the base says IMAGE_URL, whatever the overlay names
    request = RenderRequest("api", "production", overlay, ref("api"), explicit=True)
    result = render([request], RenderOptions(version="7"))
    assert f"image: {ref('api')}\n" in result.apps[0].text
    assert (result.apps[0].image_name, result.kustomize_runs) == ("IMAGE_URL", 1)


def test_kustomize_failure_shows_its_message_and_the_overlay(tmp_path: Path) -> None:
    overlays = {name: app_tree(tmp_path, name) for name in ("a", "b")}
    kustomization = overlays["b"] / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "components:\n  - ../../missing\n")
    with pytest.raises(ToolError) as caught:
        render(requests_for(overlays), RenderOptions(version="1"))
    message = str(caught.value)
    assert f"b (production): kustomize failed for {overlays['b']}" in message
    assert "missing" in message
    assert "polyinfra-render-" not in message  # the copy's paths are shown as the user's
    assert caught.value.position == Position(kustomization, 1, 1)


def test_remote_resources_refused(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path, "api")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace(
            "  - ../../base\n",
            "  - ../../base\n  - https://github.com/org/repo//deploy?ref=v1\n",
        )
    )
    with pytest.raises(UserError) as caught:
        render(requests_for({"api": overlay}), RenderOptions(version="1"))
    assert caught.value.message == (
        "api (production): remote resources entry "
        "'https://github.com/org/repo//deploy?ref=v1' is not allowed"
    )
    assert caught.value.position == Position(kustomization, 6, 5)
    assert "allow_remote_resources = true" in (caught.value.hint or "")


@pytest.mark.parametrize("version", ["1.0 beta", "a|b", "x&y", "", "-1"])
def test_bad_version_refused(tmp_path: Path, version: str) -> None:
    overlay = app_tree(tmp_path, "api")
    with pytest.raises(UserError, match="invalid version"):
        render(requests_for({"api": overlay}), RenderOptions(version=version))


def test_example_workspace_renders_every_overlay(example_path: Path) -> None:
    ws = Workspace.discover(example_path)
    before = tree_digest(example_path / "infrastructure")
    for env in ws.environments:
        result = render_apps(ws, [], env, "1.0.0")
        apps_with_env = [a.name for a in ws.apps.values() if env in a.overlays]
        assert [a.app for a in result.apps] == apps_with_env
        assert result.kustomize_runs == 1
        per_app = render_apps(ws, [], env, "1.0.0", batch=False)
        assert [a.text for a in result.apps] == [a.text for a in per_app.apps]
        for app in result.apps:
            assert "PLACEHOLDER" not in app.text
            assert "docker.pkg.dev/" in app.text
    assert tree_digest(example_path / "infrastructure") == before


def test_example_matches_spec_pipeline(example_path: Path, tmp_path: Path) -> None:
    ws = Workspace.discover(example_path)
    copy = shutil.copytree(example_path / "infrastructure", tmp_path / "infrastructure")
    for env in ws.environments:
        for app in render_apps(ws, [], env, "4.5.6").apps:
            rel = app.overlay.relative_to(example_path / "infrastructure")
            expected = spec_pipeline(copy / rel, app.image, "4.5.6")
            assert app.text == expected, (app.app, env)


def test_unattributable_batch_output_falls_back(tmp_path: Path) -> None:
    overlays = {name: app_tree(tmp_path, name) for name in ("a", "b")}
    # a List expands to objects the sources do not name: the batch cannot tell whose they are
    write_tree(
        tmp_path / "b/base",
        {
            "kustomization.yaml": "resources:\n  - service.yaml\n  - list.yaml\n",
            "list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
            "  kind: ConfigMap\n  metadata:\n    name: settings\n  data:\n    A: '1'\n",
        },
    )
    result = render(requests_for(overlays), RenderOptions(version="1"))
    assert result.batched == ()
    assert result.single == {
        "a": "batch output could not be attributed",
        "b": "batch output could not be attributed",
    }
    assert result.kustomize_runs == 3
    assert "kind: ConfigMap" in result.apps[1].text
    single = render(requests_for(overlays), RenderOptions(version="1", batch=False))
    assert [a.text for a in result.apps] == [a.text for a in single.apps]


def test_overlay_without_images_entry(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path / "src", "api")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace(
            "images:\n  - name: IMAGE_URL\n    newName: IMAGE_URL_PLACEHOLDER\n", ""
        )
    )
    result = render(requests_for({"api": overlay}), RenderOptions(version="5"))
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    assert result.apps[0].text == spec_pipeline(copy / "api/overlays/production", ref("api"), "5")


def test_shared_base_through_an_intermediate_layer(tmp_path: Path) -> None:
    """Two apps built from one base through a shared layer, told apart by their prefix."""
    write_tree(
        tmp_path / "src",
        {
            "shared/base/kustomization.yaml": "resources:\n  - service.yaml\n",
            "shared/base/service.yaml": SERVICE.format(name="web"),
            "shared/layer/kustomization.yaml": "resources:\n  - ../base\n"
            "commonLabels:\n  team: data\n",
            "eu/overlays/production/kustomization.yaml": "namePrefix: eu-\nresources:\n"
            "  - ../../../shared/layer\nnamespace: proj\n",
            "us/overlays/production/kustomization.yaml": "namePrefix: us-\nresources:\n"
            "  - ../../../shared/layer\nnamespace: proj\n",
        },
    )
    overlays = {app: tmp_path / "src" / app / "overlays/production" for app in ("eu", "us")}
    before = tree_digest(tmp_path / "src")
    result = render(requests_for(overlays), RenderOptions(version="5"))
    assert result.batched == ("eu", "us")
    assert [a.name for a in result.apps] == ["eu-web", "us-web"]
    copy = shutil.copytree(tmp_path / "src", tmp_path / "copy")
    for app in result.apps:
        expected = spec_pipeline(copy / app.app / "overlays/production", ref(app.app), "5")
        assert app.text == expected
    assert tree_digest(tmp_path / "src") == before
    web = result.apps[0].primary
    assert web is not None
    layer = tmp_path / "src/shared/layer/kustomization.yaml"
    assert web.position(("metadata", "labels", "team")) == Position(layer, 4, 3)
    eu = tmp_path / "src/eu/overlays/production/kustomization.yaml"
    assert web.position(("metadata", "name")) == Position(eu, 1, 13)
    base = tmp_path / "src/shared/base/service.yaml"
    assert web.position(("spec", "template", "spec", "containers", 0, "image")) == Position(
        base, 15, 9
    )


def test_invalid_overlay_yaml_is_a_positioned_error(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path, "api")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text("resources:\n  - ../../base\n images: []\n")
    with pytest.raises(UserError) as caught:
        render(requests_for({"api": overlay}), RenderOptions(version="1"))
    assert caught.value.position is not None
    assert (caught.value.position.file, caught.value.position.line) == (kustomization, 3)
    assert caught.value.message.startswith("invalid YAML")


def test_overlay_folder_without_kustomization(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"no kustomization\.yaml"):
        render(requests_for({"api": tmp_path / "empty"}), RenderOptions(version="1"))


def test_remote_patch_refused(tmp_path: Path) -> None:
    overlay = app_tree(tmp_path, "api")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text() + "  - path: https://example.com/patches/probe.yaml\n"
    )
    with pytest.raises(UserError) as caught:
        render(requests_for({"api": overlay}), RenderOptions(version="1"))
    assert caught.value.message == (
        "api (production): remote patches entry 'https://example.com/patches/probe.yaml' "
        "is not allowed"
    )
    assert caught.value.position == Position(kustomization, 17, 5)


def test_binary_resource_file_is_a_user_error(tmp_path: Path) -> None:
    overlays = {name: app_tree(tmp_path, name) for name in ("api", "web")}
    (tmp_path / "api/base/service.yaml").write_bytes(b"\xff\xfe kind: Service\n")
    with pytest.raises(UserError) as caught:
        render(requests_for(overlays), RenderOptions(version="1"))
    assert caught.value.position == Position(tmp_path / "api/base/service.yaml", 1, 1)
    assert caught.value.message == (
        "the file is UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8"
    )
