"""`polyinfra lint FOLDER` on Kustomize trees as their authors build them: the kustomizations no
other one includes are rendered, the files a kustomization reads (patches above all) are not
linted as manifests, and manifests no kustomization reads are linted as they are; in a
workspace and outside one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from polyinfra.checks.lint import lint_paths
from polyinfra.cli.main import main
from tests.conftest import EXAMPLE, REPO, write_tree

REALWORLD = REPO.parent / "shared" / "realworld" / "cloudrun"

#: A strategic-merge patch: a Service with no containers, which is not a manifest of its own.
TIMEOUT_PATCH = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: gotodo-api-dev-prd
spec:
  template:
    spec:
      timeoutSeconds: 7200
"""

OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
  - ../../base
patchesStrategicMerge:
  - timeout.yaml
patchesJson6902:
  - target:
      group: serving.knative.dev
      version: v1
      kind: Service
      name: gotodo-api-dev-prd
    path: scale.yaml
"""

SCALE_PATCH = """- op: add
  path: /spec/template/metadata/annotations/autoscaling.knative.dev~1maxScale
  value: "3"
"""


def realworld(name: str) -> str:
    path = REALWORLD / name
    if not path.is_file():
        pytest.skip(f"real-world manifests not found at {REALWORLD}")
    return path.read_text()


def gotodo_tree(root: Path) -> Path:
    """A real service (14-gotodo) as a Kustomize base with a production overlay that patches
    it, and a real job (29-github-scraper) as a plain manifest beside it."""
    write_tree(
        root,
        {
            "gotodo/base/kustomization.yaml": "resources:\n  - service.yaml\n",
            "gotodo/base/service.yaml": realworld("14-gotodo-direct-vpc.yaml"),
            "gotodo/overlays/prd/kustomization.yaml": OVERLAY,
            "gotodo/overlays/prd/timeout.yaml": TIMEOUT_PATCH,
            "gotodo/overlays/prd/scale.yaml": SCALE_PATCH,
            "jobs/worker.yaml": realworld("29-github-scraper-job-parallelism.yaml"),
        },
    )
    return root


def findings(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int, int, str, str]]:
    return [
        (d["file"], d["line"], d["col"], d["level"], d["rule"])
        for d in json.loads(capsys.readouterr().out)
    ]


# no startupProbe is not reported: Cloud Run gives the container its default TCP probe
GOTODO = [
    ("gotodo/base/service.yaml", 17, 18, "warning", "cloudrun/image-tag"),
    ("gotodo/overlays/prd/timeout.yaml", 7, 5, "warning", "cloudrun/service-account"),
    ("gotodo/overlays/prd/timeout.yaml", 8, 23, "error", "cloudrun/timeout-limits"),
]
# no maxRetries is not reported: three retries is Cloud Run's documented default
WORKER = [
    ("jobs/worker.yaml", 11, 9, "warning", "cloudrun/service-account"),
]


def test_a_folder_renders_its_overlays_and_skips_their_patches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gotodo_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", ".", "-f", "json"]) == 1
    # the overlay's timeout is found at the patch line; the patch is not a manifest of its own
    # (no "no containers"), and the base is rendered through the overlay only
    assert findings(capsys) == GOTODO + WORKER
    result = lint_paths([tmp_path])
    assert (result.files, result.rendered) == (1, 1)


def test_text_summary_counts_the_rendered_overlays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gotodo_tree(tmp_path)
    patch = tmp_path / "gotodo/overlays/prd/timeout.yaml"
    patch.write_text(patch.read_text().replace("7200", "900"))
    assert main(["lint", str(tmp_path), "--ignore", "cloudrun"]) == 0
    assert capsys.readouterr().err == "No problems in 1 file(s) and 1 rendered overlay(s).\n"


SIDE_BY_SIDE = {
    "svc/base/kustomization.yaml": "resources:\n  - service.yaml\n",
    "svc/dev/kustomization.yaml": "bases:\n  - ../base\npatchesStrategicMerge:\n  - patch.yaml\n",
    "svc/dev/patch.yaml": TIMEOUT_PATCH,
    "svc/prod/kustomization.yaml": "bases:\n  - ../base\npatches:\n  - path: patch.yaml\n",
    "svc/prod/patch.yaml": TIMEOUT_PATCH.replace("7200", "3601"),
}


def test_base_and_environments_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, SIDE_BY_SIDE)
    (tmp_path / "svc/base/service.yaml").write_text(realworld("14-gotodo-direct-vpc.yaml"))
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "svc", "-f", "json", "--select", "cloudrun/timeout-limits"]) == 1
    assert findings(capsys) == [
        ("svc/dev/patch.yaml", 8, 23, "error", "cloudrun/timeout-limits"),
        ("svc/prod/patch.yaml", 8, 23, "error", "cloudrun/timeout-limits"),
    ]
    # --env picks the environment folder
    assert main(["lint", "svc", "-f", "json", "--env", "prod", "--select", "cloudrun"]) == 1
    assert [f[0] for f in findings(capsys) if f[4] == "cloudrun/timeout-limits"] == [
        "svc/prod/patch.yaml"
    ]
    # an environment that does not build is reported as that app and environment
    (tmp_path / "svc/prod/patch.yaml").unlink()
    assert main(["lint", "svc", "-f", "json"]) == 2
    failures = [d for d in json.loads(capsys.readouterr().out) if d["rule"].startswith("work")]
    assert [(d["file"], d["line"], d["col"], d["rule"]) for d in failures] == [
        ("svc/prod/kustomization.yaml", 1, 1, "workspace/overlay-renders")
    ]
    assert failures[0]["message"].startswith("svc (prod): kustomize failed for ")


def test_what_kustomizations_read_is_not_linted_and_unread_manifests_are(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/base/kustomization.yaml": "resources:\n  - service.yaml\n"
            "components:\n  - ../tuning\n",
            "app/tuning/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
            "kind: Component\npatches:\n  - path: timeout.yaml\n",
            "app/tuning/timeout.yaml": TIMEOUT_PATCH.replace("7200", "7300"),
            "app/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\n"
            "configMapGenerator:\n  - name: settings\n    files:\n      - settings=settings.yaml\n"
            "replacements:\n  - path: replacement.yaml\n",
            "app/overlays/dev/settings.yaml": TIMEOUT_PATCH.replace("7200", "9000"),
            "app/overlays/dev/replacement.yaml": "source: {kind: ConfigMap, name: settings}\n"
            "targets: []\n",
            "app/unused/job.yaml": realworld("29-github-scraper-job-parallelism.yaml"),
        },
    )
    (tmp_path / "app/base/service.yaml").write_text(realworld("14-gotodo-direct-vpc.yaml"))
    result = lint_paths([tmp_path], select=["cloudrun/timeout-limits", "cloudrun/job-max-retries"])
    found = [(p.position.file, p.position.line, p.position.col, p.rule) for p in result.problems]
    assert found == [
        (tmp_path / "app/tuning/timeout.yaml", 8, 23, "cloudrun/timeout-limits"),
        (tmp_path / "app/unused/job.yaml", 11, 9, "cloudrun/job-max-retries"),
    ]
    # the overlay is the only leaf (the component and the base are included); one plain file
    assert (result.files, result.rendered) == (1, 1)


def test_a_kustomize_tree_inside_a_workspace(tmp_path: Path) -> None:
    root = shutil.copytree(
        EXAMPLE, tmp_path / "ws", ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    gotodo_tree(root / "deploy")
    result = lint_paths([root])
    found = [
        (
            p.position.file.relative_to(root).as_posix(),
            p.position.line,
            p.position.col,
            p.level.name.lower(),
            p.rule,
        )
        for p in result.problems
    ]
    # the example's six overlays pass; the tree beside them is rendered and keeps its own
    # image (a deploy by polyinfra would not set one there)
    expected = [*GOTODO, *WORKER]
    assert found == [
        (f"deploy/{f}", line, col, level, rule) for f, line, col, level, rule in expected
    ]
    assert result.rendered == 7
    # linting the tree's folder alone gives the same findings
    alone = lint_paths([root / "deploy"])
    assert [p.position for p in alone.problems] == [p.position for p in result.problems]
    assert alone.rendered == 1


REAL_TREES = {
    # a single app's overlays: rendered both; the findings are at the base line that wrote them
    "spec-single-app-overlays": (
        2,
        [
            # the probe's timeoutSeconds is the default 1, not written, and its window is
            # 5 + 3 x 10 s: not a startup mistake
            ("infrastructure/cloudrun/base/service.yaml", 9, 18, "cloudrun/label-values"),
        ],
    ),
    # the spec's own job overlay: its region placeholders are not declared for the workspace
    "spec-literal-workspace": (
        1,
        [
            (
                "infrastructure/cloudrun_job/my-job-api2bq/overlays/sandbox/kustomization.yaml",
                44,
                18,
                "manifest/unrendered-template",
            )
        ],
    ),
}


@pytest.mark.parametrize("repo", sorted(REAL_TREES))
def test_real_trees_render_every_overlay(tmp_path: Path, repo: str) -> None:
    source = REPO.parent / "shared" / "realrepos" / repo
    if not source.is_dir():
        pytest.skip(f"real repositories not found at {source.parent}")
    root = shutil.copytree(source, tmp_path / repo)
    result = lint_paths([root])
    found = [
        (p.position.file.relative_to(root).as_posix(), p.position.line, p.position.col, p.rule)
        for p in result.problems
    ]
    assert (result.rendered, found) == REAL_TREES[repo]
    # the YAML files left are the Pulumi files, read and skipped as not manifests
    assert result.files == {"spec-single-app-overlays": 0, "spec-literal-workspace": 2}[repo]


def test_an_app_without_overlays_is_linted_through_its_base(tmp_path: Path) -> None:
    root = shutil.copytree(
        EXAMPLE, tmp_path / "ws", ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    app = root / "infrastructure/cloudrun_function/stock-webhook"
    shutil.rmtree(app / "overlays")
    for target in (app, root / "infrastructure"):
        result = lint_paths([target], select=["cloudrun/service-account"])
        assert [(p.position.file, p.position.line, p.position.col) for p in result.problems] == [
            (app / "base/service.yaml", 24, 5)
        ]
    # the overlays folder of an app: each overlay is rendered as that app's, patches unread
    overlays = root / "infrastructure/cloudrun_service/inventory-api/overlays"
    result = lint_paths([overlays])
    assert (result.files, result.rendered, result.problems) == (0, 2, ())
    assert lint_paths([overlays], env="sandbox").rendered == 1
