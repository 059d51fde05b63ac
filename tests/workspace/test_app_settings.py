"""Kustomize apps outside ``infrastructure/cloudrun*/``: ``[tool.polyinfra.apps.<app>] path``,
``app_paths`` globs, the overlays folder (``overlays`` or ``.``), overlay environment names,
and every settings mistake reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.workspace import Workspace
from tests.conftest import REPO, write_tree
from tests.workspace.test_discover import JOB, OVERLAY, SERVICE, polylith_files, spec_layout

FUNCTION = SERVICE.replace(
    "metadata:\n  name: my-service\n",
    "metadata:\n  name: hook\n  labels:\n    workload-type: cloud-function\n",
)
# the older kustomize dialect real trees use: `bases:` and `patchesStrategicMerge:`
OLD_OVERLAY = "bases:\n- ../base\npatchesStrategicMerge:\n- patch.yaml\nnamespace: my-project\n"
PATCH = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: report\n"


def manifests_tree(prefix: str, manifest: str, envs: tuple[str, ...]) -> dict[str, str]:
    """``<prefix>/{base,overlays/<env>}``."""
    tree = {
        f"{prefix}/base/app.yaml": manifest,
        f"{prefix}/base/kustomization.yaml": "resources:\n- app.yaml\n",
    }
    for env in envs:
        tree[f"{prefix}/overlays/{env}/kustomization.yaml"] = OVERLAY
    return tree


def side_by_side(prefix: str, manifest: str, envs: tuple[str, ...]) -> dict[str, str]:
    """``<prefix>/{base,<env>...}``, overlays in the old dialect."""
    tree = {
        f"{prefix}/base/app.yaml": manifest,
        f"{prefix}/base/kustomization.yaml": "resources:\n- app.yaml\n",
    }
    for env in envs:
        tree[f"{prefix}/{env}/kustomization.yaml"] = OLD_OVERLAY
        tree[f"{prefix}/{env}/patch.yaml"] = PATCH
    return tree


def layout(tmp_path: Path, settings: str, files: dict[str, str]) -> Path:
    tree = polylith_files()
    tree["infrastructure/pyproject.toml"] = f'[project]\nname = "infra"\n\n{settings}'
    tree.update(files)
    return write_tree(tmp_path, tree)


def errors_of(exc: UserError, root: Path) -> list[tuple[str, str]]:
    found = exc.errors if isinstance(exc, UserErrors) else [exc]
    return [(str(e.position.relative_to(root)) if e.position else "", e.message) for e in found]


def test_a_glob_finds_one_app_per_match_named_after_the_wildcard(tmp_path: Path) -> None:
    files = {
        **manifests_tree("deploy/billing/manifests", JOB.format(name="billing-job"), ("dev",)),
        **manifests_tree("deploy/api/manifests", SERVICE, ("dev", "prod")),
        **manifests_tree("deploy/hook/manifests", FUNCTION, ("prod",)),
        "deploy/notes/manifests/README.md": "no base here: not an app\n",
    }
    root = layout(tmp_path, '[tool.polyinfra]\napp_paths = ["deploy/*/manifests"]\n', files)
    ws = Workspace.discover(root)
    found = {
        name: (app.kind, app.kind_dir, ws.rel(app.path), ws.rel(app.overlay_root), app.environments)
        for name, app in ws.apps.items()
    }
    assert found == {
        "api": (
            "service",
            "",
            "deploy/api/manifests",
            "deploy/api/manifests/overlays",
            ("dev", "prod"),
        ),
        "billing": (
            "job",
            "",
            "deploy/billing/manifests",
            "deploy/billing/manifests/overlays",
            ("dev",),
        ),
        "hook": (
            "function",
            "",
            "deploy/hook/manifests",
            "deploy/hook/manifests/overlays",
            ("prod",),
        ),
    }
    assert ws.apps["api"].base == root.resolve() / "deploy/api/manifests/base"
    assert ws.apps["api"].overlays["prod"].path == (
        root.resolve() / "deploy/api/manifests/overlays/prod"
    )
    assert ws.environments == ("dev", "prod")


def test_a_path_with_overlays_beside_base(tmp_path: Path) -> None:
    files = {
        **side_by_side("services/report/k8s", SERVICE, ("dev", "prod")),
        # a Kustomize component beside base/ is not an environment, nor a folder without one
        "services/report/k8s/common/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        ),
        "services/report/k8s/docs/notes.md": "notes\n",
    }
    settings = '[tool.polyinfra.apps.report]\npath = "services/report/k8s"\noverlays = "."\n'
    root = layout(tmp_path, settings, files)
    app = Workspace.discover(root).apps["report"]
    assert (app.kind, app.kind_dir, app.project) == ("service", "", None)
    assert app.path == root.resolve() / "services/report/k8s"
    assert app.overlay_root == app.path
    assert {env: o.path.relative_to(app.path).as_posix() for env, o in app.overlays.items()} == {
        "dev": "dev",
        "prod": "prod",
    }


def test_overlay_folders_mapped_to_environments_share_one_set_of_environments(
    tmp_path: Path,
) -> None:
    """A spec-layout workspace (sandbox, production) adopting a tree with dev/ and prod/."""
    root = spec_layout(tmp_path)
    write_tree(root, side_by_side("legacy/report", SERVICE, ("dev", "prod")))
    (root / "infrastructure/pyproject.toml").write_text(
        '[project]\nname = "infra"\n\n'
        "[[tool.polyinfra.app_paths]]\n"
        'glob = "legacy/*"\n'
        'overlays = "."\n'
        'overlay_environments = {dev = "sandbox", prod = "production"}\n',
        encoding="utf-8",
    )
    ws = Workspace.discover(root)
    app = ws.apps["report"]
    assert {env: o.path.name for env, o in app.overlays.items()} == {
        "production": "prod",
        "sandbox": "dev",
    }
    assert ws.environments == ("production", "sandbox")
    assert [a.name for a in ws.apps.values() if "sandbox" in a.overlays] == ["my-service", "report"]
    assert app.overlay_containing(app.path / "dev" / "patch.yaml") == app.overlays["sandbox"]
    assert app.overlay_containing(app.path / "base" / "app.yaml") is None


def test_app_settings_win_over_the_glob_entry(tmp_path: Path) -> None:
    files = {
        **side_by_side("deploy/report/manifests", SERVICE, ("dev",)),
        **manifests_tree("deploy/api/manifests", SERVICE, ("dev",)),
    }
    settings = (
        '[tool.polyinfra]\napp_paths = ["deploy/*/manifests"]\n\n'
        '[tool.polyinfra.apps.report]\noverlays = "."\nkind = "job"\n'
        'overlay_environments = {dev = "sandbox"}\nproject = "my_service"\n'
    )
    ws = Workspace.discover(layout(tmp_path, settings, files))
    assert (ws.apps["report"].kind, ws.apps["report"].environments) == ("job", ("sandbox",))
    assert ws.apps["report"].project == "my_service"
    assert (ws.apps["api"].kind, ws.apps["api"].environments) == ("service", ("dev",))


def test_a_declared_path_takes_the_folder_from_the_glob_and_the_kind_folder(
    tmp_path: Path,
) -> None:
    files = {
        **manifests_tree("deploy/billing/manifests", JOB.format(name="billing"), ("dev",)),
        **manifests_tree("infrastructure/cloudrun_job/nightly", JOB.format(name="n"), ("dev",)),
    }
    settings = (
        '[tool.polyinfra]\napp_paths = ["deploy/*/manifests"]\n\n'
        '[tool.polyinfra.apps.invoices]\npath = "deploy/billing/manifests"\n\n'
        '[tool.polyinfra.apps.night]\npath = "infrastructure/cloudrun_job/nightly"\n'
    )
    ws = Workspace.discover(layout(tmp_path, settings, files))
    assert {name: (app.kind, app.kind_dir) for name, app in ws.apps.items()} == {
        "invoices": ("job", ""),
        "night": ("job", ""),
    }


def test_every_settings_mistake_is_reported_at_its_line(tmp_path: Path) -> None:
    files = {
        **manifests_tree("deploy/billing/manifests", JOB.format(name="billing"), ("dev",)),
        **manifests_tree("services/api/k8s", SERVICE, ("dev",)),
        "services/empty/k8s/base/kustomization.yaml": "resources: []\n",
        **manifests_tree("infrastructure/cloudrun_job/nightly", JOB.format(name="n"), ("dev",)),
    }
    settings = (
        "[tool.polyinfra]\n"  # 4
        'app_paths = ["deploy/billing", "nowhere/*/k8s", "../up/*"]\n'  # 5
        "\n"
        "[tool.polyinfra.apps.missing]\n"  # 7
        'path = "services/missing"\n'  # 8
        "\n"
        "[tool.polyinfra.apps.api]\n"  # 10
        'path = "services/api/k8s"\n'  # 11
        'overlays = "envs"\n'  # 12
        "\n"
        "[tool.polyinfra.apps.empty]\n"  # 14
        'path = "services/empty/k8s"\n'  # 15
        "\n"
        "[tool.polyinfra.apps.nightly]\n"  # 17
        'kind = "service"\n'  # 18
        'overlay_environments = {prd = "production"}\n'  # 19
        "\n"
        "[tool.polyinfra.apps.bliling]\n"  # 21
        'overlays = "."\n'  # 22
    )
    root = layout(tmp_path, settings, files)
    with pytest.raises(UserErrors) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:8:1",
            "[tool.polyinfra.apps.missing] path: 'services/missing' is not a folder under the "
            "workspace root",
        ),
        (
            "infrastructure/pyproject.toml:5:14",
            "[tool.polyinfra] app_paths 'deploy/billing': has no wildcard; declare a single app "
            "with [tool.polyinfra.apps.<app>] path instead",
        ),
        (
            "infrastructure/pyproject.toml:5:32",
            "[tool.polyinfra] app_paths 'nowhere/*/k8s' matches no app folder (a folder holding "
            "base/) under the workspace root",
        ),
        (
            "infrastructure/pyproject.toml:5:49",
            "[tool.polyinfra] app_paths '../up/*': must stay inside the workspace ('..' is not "
            "allowed)",
        ),
        (
            "infrastructure/pyproject.toml:12:1",
            f"app 'api': overlays 'envs': {root / 'services/api/k8s/envs'} is not a folder",
        ),
        (
            "services/empty/k8s/base/kustomization.yaml:1:1",
            "app 'empty': cannot tell whether it is a service, a job or a function: its base has "
            "no Cloud Run Service or Job manifest polyinfra can read",
        ),
        (
            "infrastructure/pyproject.toml:19:1",
            "app 'nightly': overlay_environments names overlay 'prd', which the app does not "
            "have (overlays: dev)",
        ),
        (
            "infrastructure/pyproject.toml:18:1",
            "app 'nightly' is in cloudrun_job/, which holds jobs, but its settings say kind = "
            "'service'",
        ),
        (
            "infrastructure/pyproject.toml:21:1",
            "[tool.polyinfra.apps.bliling] sets overlays, but no app is named 'bliling'",
        ),
    ]


def test_overlay_environment_mistakes(tmp_path: Path) -> None:
    files = side_by_side("legacy/report", SERVICE, ("dev", "prod"))
    settings = (
        "[tool.polyinfra.apps.report]\n"  # 4
        'path = "legacy/report"\n'
        'overlays = "."\n'
        'overlay_environments = {dve = "sandbox"}\n'  # 7
    )
    root = layout(tmp_path, settings, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:7:1",
            "app 'report': overlay_environments names overlay 'dve', which the app does not have "
            "(did you mean 'dev'?) (overlays: dev, prod)",
        )
    ]
    both = settings.replace('{dve = "sandbox"}', '{dev = "sandbox", prod = "sandbox"}')
    (root / "infrastructure/pyproject.toml").write_text(
        f'[project]\nname = "infra"\n\n{both}', encoding="utf-8"
    )
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:7:1",
            "app 'report': overlays 'dev' and 'prod' are both environment 'sandbox'",
        )
    ]


def test_two_apps_with_one_name(tmp_path: Path) -> None:
    files = {
        **manifests_tree("deploy/api/manifests", SERVICE, ("dev",)),
        **manifests_tree("services/api", SERVICE, ("dev",)),
    }
    settings = '[tool.polyinfra]\napp_paths = ["deploy/*/manifests", "services/*"]\n'
    root = layout(tmp_path, settings, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:5:36",
            "two apps are named 'api': deploy/api/manifests and services/api",
        )
    ]


def test_one_folder_declared_twice(tmp_path: Path) -> None:
    files = manifests_tree("deploy/api/manifests", SERVICE, ("dev",))
    settings = (
        '[tool.polyinfra.apps.api]\npath = "deploy/api/manifests"\n\n'  # 4, 5
        '[tool.polyinfra.apps.web]\npath = "deploy/api/manifests/"\n'  # 7, 8
    )
    root = layout(tmp_path, settings, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:8:1",
            "[tool.polyinfra.apps.web] path: deploy/api/manifests/ is app 'api' already",
        )
    ]


def test_an_unknown_key_in_an_app_paths_entry(tmp_path: Path) -> None:
    settings = '[[tool.polyinfra.app_paths]]\nglob = "deploy/*"\noverlay = "."\n'
    root = layout(tmp_path, settings, {})
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "infrastructure/pyproject.toml:4:1",
            "[tool.polyinfra] app_paths.0.overlay: unknown setting 'overlay' (did you mean "
            "'overlays'?)",
        )
    ]


def test_the_readme_adopting_example_reads_as_it_says(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adopting polyinfra in an existing workspace", 1)[1]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = "\n".join(line.removeprefix("   ") for line in block.splitlines()) + "\n"
    files = {
        **manifests_tree("deploy/billing/manifests", JOB.format(name="billing"), ("dev",)),
        **side_by_side("services/reports/k8s", JOB.format(name="reports"), ("dev", "prod")),
        "projects/reports_job/pyproject.toml": '[project]\nname = "reports-job"\n',
    }
    ws = Workspace.discover(layout(tmp_path, settings, files))
    assert {
        name: (ws.rel(app.path), app.kind, app.project, app.environments)
        for name, app in ws.apps.items()
    } == {
        "billing": ("deploy/billing/manifests", "job", None, ("dev",)),
        "reports": ("services/reports/k8s", "job", "reports_job", ("production", "sandbox")),
    }
