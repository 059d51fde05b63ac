"""Apps declared outside ``infrastructure/cloudrun*/`` go through render, check, lint,
affected and deploy like any other: the example workspace with two of its apps moved into the
layouts real repositories have gives the same answers as the example itself.

- the job under ``deploy/<app>/manifests/{base,overlays/{dev,prod}}``, found by an
  ``app_paths`` glob whose overlay folders are mapped to the example's environments;
- the service under ``services/inventory-api/k8s/{base,sandbox,production}``, overlays beside
  ``base/`` written in the older dialect (``bases:``, ``patchesStrategicMerge:``) that kustomize
  still builds, with deprecation warnings on its stderr.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyinfra.affected import find_affected
from polyinfra.checks.check import check_workspace
from polyinfra.checks.lint import lint_paths
from polyinfra.manifests import render_apps
from polyinfra.workspace import Workspace
from tests.affected.conftest import Repo, copy_example
from tests.conftest import EXAMPLE

JOB = "dmd-inv-mov-api2bq"
SERVICE = "inventory-api"
JOB_DIR = f"deploy/{JOB}/manifests"
SERVICE_DIR = f"services/{SERVICE}/k8s"
SETTINGS = f"""
[[tool.polyinfra.app_paths]]
glob = "deploy/*/manifests"
overlay_environments = {{dev = "sandbox", prod = "production"}}

[tool.polyinfra.apps.{SERVICE}]
path = "{SERVICE_DIR}"
overlays = "."
"""
# sets what the base already says, so the render is unchanged: it only has to be applied
LABEL_PATCH = f"""apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {SERVICE}
  labels:
    component: inventory
"""

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="kustomize is not on PATH",
)


def relay(root: Path) -> Path:
    """Move the example's job and service into the other layouts, in place."""
    infra = root / "infrastructure"
    job = root / JOB_DIR
    job.parent.mkdir(parents=True)
    (infra / "cloudrun_job" / JOB).rename(job)
    (job / "overlays/sandbox").rename(job / "overlays/dev")
    (job / "overlays/production").rename(job / "overlays/prod")
    service = root / SERVICE_DIR
    service.parent.mkdir(parents=True)
    (infra / "cloudrun_service" / SERVICE).rename(service)
    for env in ("sandbox", "production"):
        (service / "overlays" / env).rename(service / env)
        kustomization = service / env / "kustomization.yaml"
        text = kustomization.read_text(encoding="utf-8")
        assert "resources:\n  - ../../base\n" in text
        text = text.replace(
            "resources:\n  - ../../base\n",
            "bases:\n  - ../base\n\npatchesStrategicMerge:\n  - labels.yaml\n",
        )
        kustomization.write_text(text, encoding="utf-8")
        (service / env / "labels.yaml").write_text(LABEL_PATCH, encoding="utf-8")
    (service / "overlays").rmdir()
    pyproject = infra / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + SETTINGS, encoding="utf-8")
    return root


@pytest.fixture
def relaid(tmp_path: Path) -> Path:
    return relay(copy_example(tmp_path / "ws"))


def test_the_apps_are_found_in_their_new_places(relaid: Path) -> None:
    ws = Workspace.discover(relaid)
    assert {
        name: (app.kind, app.kind_dir, ws.rel(app.path), app.project, app.environments)
        for name, app in ws.apps.items()
    } == {
        JOB: ("job", "", JOB_DIR, "dmd_ingest", ("production", "sandbox")),
        SERVICE: ("service", "", SERVICE_DIR, "inventory_api", ("production", "sandbox")),
        "stock-webhook": (
            "function",
            "cloudrun_function",
            "infrastructure/cloudrun_function/stock-webhook",
            "stock_webhook",
            ("production", "sandbox"),
        ),
    }
    assert ws.rel(ws.apps[JOB].overlays["sandbox"].path) == f"{JOB_DIR}/overlays/dev"
    assert ws.rel(ws.apps[SERVICE].overlays["production"].path) == f"{SERVICE_DIR}/production"


@pytest.mark.parametrize("env", ["sandbox", "production"])
def test_render_is_byte_identical_to_the_example(relaid: Path, env: str) -> None:
    """kustomize warns that `bases:` and `patchesStrategicMerge:` are deprecated on stderr and
    exits 0: the render succeeds and equals the example's."""
    ours = render_apps(Workspace.discover(relaid), [], env, "v1.2.3")
    theirs = render_apps(Workspace.discover(EXAMPLE), [], env, "v1.2.3")
    assert [(a.app, a.env) for a in ours.apps] == [(a.app, a.env) for a in theirs.apps]
    assert [a.text for a in ours.apps] == [a.text for a in theirs.apps]
    assert [a.overlay for a in ours.apps] == [
        relaid.resolve() / f"{JOB_DIR}/overlays/{'dev' if env == 'sandbox' else 'prod'}",
        relaid.resolve() / f"{SERVICE_DIR}/{env}",
        relaid.resolve() / f"infrastructure/cloudrun_function/stock-webhook/overlays/{env}",
    ]


def test_check_is_clean_like_the_example(relaid: Path) -> None:
    result = check_workspace(relaid)
    assert result.problems == []
    assert result.environments == ("production", "sandbox")
    assert result.rendered == 6


def test_check_points_into_the_strategic_merge_patch(relaid: Path) -> None:
    patch = relaid / SERVICE_DIR / "production/labels.yaml"
    patch.write_text(
        LABEL_PATCH + "spec:\n  template:\n    spec:\n      timeoutSeconds: 7200\n",
        encoding="utf-8",
    )
    result = check_workspace(relaid, environments=["production"], select=["cloudrun"])
    assert [
        (str(p.position.relative_to(relaid)), p.rule, p.level.label) for p in result.problems
    ] == [(f"{SERVICE_DIR}/production/labels.yaml:10:23", "cloudrun/timeout-limits", "error")]


def test_lint_renders_the_overlays_of_a_declared_app(relaid: Path) -> None:
    result = lint_paths([relaid / SERVICE_DIR])
    assert (result.rendered, result.problems, result.unreadable) == (2, (), ())
    result = lint_paths([relaid / "deploy"], env="sandbox")
    assert (result.rendered, result.problems, result.unreadable) == (1, (), ())


def test_affected_names_the_app_and_the_environment_of_its_overlay(tmp_path: Path) -> None:
    repo = Repo(relay(copy_example(tmp_path / "ws"))).init()
    base = repo.commit("relaid")
    repo.append(f"{JOB_DIR}/overlays/dev/kustomization.yaml", "# tuned\n")
    repo.append(f"{SERVICE_DIR}/base/service.yaml", "# tuned\n")
    repo.append(f"{SERVICE_DIR}/production/labels.yaml", "# tuned\n")
    repo.commit("tune")
    answer = find_affected(Workspace.discover(repo.root), base)
    assert answer.everything is False
    assert [
        (app.name, app.action, app.environments, [(r.path, r.why) for r in app.reasons])
        for app in answer.apps
    ] == [
        (
            JOB,
            "redeploy",
            ("sandbox",),
            [(f"{JOB_DIR}/overlays/dev/kustomization.yaml", "Kustomize overlay sandbox changed")],
        ),
        (
            SERVICE,
            "redeploy",
            ("production", "sandbox"),
            [
                (f"{SERVICE_DIR}/base/service.yaml", "Kustomize base changed"),
                (f"{SERVICE_DIR}/production/labels.yaml", "Kustomize overlay production changed"),
            ],
        ),
    ]
    assert answer.projects == ()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from polyinfra.emulator import FakeCloudRun

    with FakeCloudRun(ready_after=1) as fake:
        monkeypatch.setenv("CLOUD_RUN_EMULATOR_HOST", fake.host)
        yield fake


@pytest.mark.slow
def test_deploy_to_the_emulator(relaid: Path, emulator: object) -> None:
    from polyinfra.cli.main import main
    from polyinfra.emulator import FakeCloudRun

    assert isinstance(emulator, FakeCloudRun)
    code = main(["deploy", "-w", str(relaid), "--all", "--env", "sandbox", "--version", "v1"])
    assert code == 0
    expected = render_apps(Workspace.discover(EXAMPLE), [], "sandbox", "v1")
    for app in expected.apps:
        primary = app.primary
        assert primary is not None
        collection = "services" if primary.kind == "Service" else "jobs"
        stored = emulator.get_object(collection, "data-platform-sandbox", primary.name)
        assert stored is not None, app.app
        spec = stored["spec"]["template"]["spec"]
        container = (spec.get("template", {}).get("spec") or spec)["containers"][0]
        rendered = primary.data["spec"]["template"]["spec"]
        want = (rendered.get("template", {}).get("spec") or rendered)["containers"][0]
        assert container["image"] == want["image"]
