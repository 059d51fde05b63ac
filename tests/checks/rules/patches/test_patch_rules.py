"""Kustomize patch rules on source overlays, with exact positions."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Problem, UnreadableInput
from polyinfra.checks.rules.patches.paths import (
    MissingPath,
    UnescapedAnnotationKey,
    WrongKindPath,
)
from polyinfra.checks.rules.patches.targets import TargetMatchesNothing
from polyinfra.checks.rules.workspace.apps import OverlayRenders
from polyinfra.positions import Position
from polyinfra.workspace import App, Overlay, Settings, Workspace
from tests.conftest import write_tree

RULES = (UnescapedAnnotationKey(), MissingPath(), TargetMatchesNothing(), WrongKindPath())

SERVICE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: api
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/minScale: "0"
    spec:
      containers:
      - name: api
        image: IMAGE_URL
"""

JOB = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: etl
spec:
  template:
    spec:
      template:
        spec:
          containers:
          - name: worker
            image: IMAGE_URL
"""

BAD_SERVICE_OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: proj
resources:
  - ../../base
patches:
  - patch: |-
      - op: add
        path: /spec/template/metadata/annotations/run.googleapis.com/secrets
        value: "A:projects/p/secrets/A"
      - op: replace
        path: /spec/template/metadata/annotations/autoscaling.knative.dev~1maxScale
        value: "5"
      - op: add
        path: /spec/template/spec/template/spec/serviceAccountName
        value: sa@p.iam.gserviceaccount.com
    target:
      kind: Service
      name: api
  - patch: |-
      - op: add
        path: /spec/template/spec/timeoutSeconds
        value: 30
    target:
      kind: Service
      name: apii
"""

BAD_JOB_OVERLAY = """resources:
  - ../../base
patches:
  - path: env.yaml
    target:
      kind: Job
      name: etl
  - patch: |-
      apiVersion: run.googleapis.com/v1
      kind: Job
      metadata:
        name: etl-old
      spec:
        template:
          spec:
            taskCount: 2
"""

JOB_ENV_PATCH = """- op: add
  path: /spec/template/spec/containers/0/env
  value: []
- op: remove
  path: /spec/template/spec/template/spec/containers/0/args
"""

GOOD_SERVICE_OVERLAY = """resources:
  - ../../base
patches:
  - patch: |-
      - op: add
        path: /spec/template/metadata/annotations/autoscaling.knative.dev~1maxScale
        value: "5"
      - op: replace
        path: /spec/template/metadata/annotations/autoscaling.knative.dev~1maxScale
        value: "6"
      - op: replace
        path: /spec/template/metadata/annotations/autoscaling.knative.dev~1minScale
        value: "1"
      - op: add
        path: /spec/template/metadata/annotations/run.googleapis.com~1secrets
        value: "A:projects/p/secrets/A"
      - op: add
        path: /spec/template/spec/serviceAccountName
        value: sa@p.iam.gserviceaccount.com
    target:
      kind: Service
      name: api
"""


def workspace(root: Path, apps: dict[str, tuple[str, str, str]]) -> Workspace:
    """A workspace holding ``apps``: name -> (base file name, base text, overlay text)."""
    found = {}
    for name, (base_file, base_text, overlay_text) in apps.items():
        app_dir = root / "infrastructure/cloudrun" / name
        write_tree(
            app_dir,
            {
                f"base/{base_file}": base_text,
                "base/kustomization.yaml": f"resources:\n  - {base_file}\n",
                "overlays/production/kustomization.yaml": overlay_text,
            },
        )
        found[name] = App(
            name=name,
            kind="service",
            path=app_dir,
            base=app_dir / "base",
            overlays={"production": Overlay("production", app_dir / "overlays/production")},
            project=None,
            kind_dir="cloudrun",
        )
    return Workspace(
        root=root,
        namespace="acme",
        theme="loose",
        projects={},
        bricks={},
        uv_members=(),
        uv_excludes=(),
        infrastructure=root / "infrastructure",
        infra_pyproject=None,
        programs=(),
        apps=found,
        settings=Settings(),
    )


def problems(ws: Workspace) -> list[tuple[Position, str, str]]:
    ctx = CheckContext(workspace=ws)
    found: list[Problem] = [p for rule in RULES for p in rule.check(ctx)]
    return sorted((p.position, p.rule, p.message) for p in found)


def test_service_overlay_mistakes(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"api": ("service.yaml", SERVICE, BAD_SERVICE_OVERLAY)})
    overlay = tmp_path / "infrastructure/cloudrun/api/overlays/production/kustomization.yaml"
    assert problems(ws) == [
        (
            Position(overlay, 9, 15),
            "patches/unescaped-annotation-key",
            "path splits the annotation key 'run.googleapis.com/secrets' on '/': JSON pointer "
            "reads it as a key 'run.googleapis.com' holding a key 'secrets'",
        ),
        (
            Position(overlay, 12, 15),
            "patches/missing-path",
            "op: replace on /spec/template/metadata/annotations/autoscaling.knative.dev~1"
            "maxScale, which Service/api does not have (base: ../../base/service.yaml)",
        ),
        (
            Position(overlay, 15, 15),
            "patches/wrong-kind-path",
            "Job path shape /spec/template/spec/template/spec/serviceAccountName on a Service: "
            "a Service's revision spec is /spec/template/spec/",
        ),
        (
            Position(overlay, 24, 5),
            "patches/target-matches-nothing",
            "target kind=Service, name=apii selects no object (objects here: Service/api)",
        ),
    ]


def test_job_overlay_mistakes_in_a_patch_file(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"etl": ("job.yaml", JOB, BAD_JOB_OVERLAY)})
    folder = tmp_path / "infrastructure/cloudrun/etl/overlays/production"
    write_tree(folder, {"env.yaml": JOB_ENV_PATCH})
    assert problems(ws) == [
        (
            Position(folder / "env.yaml", 2, 9),
            "patches/wrong-kind-path",
            "Service path shape /spec/template/spec/containers/0/env on a Job: a Job's task "
            "spec is /spec/template/spec/template/spec/",
        ),
        (
            Position(folder / "env.yaml", 5, 9),
            "patches/missing-path",
            "op: remove on /spec/template/spec/template/spec/containers/0/args, which Job/etl "
            "does not have (base: ../../base/job.yaml)",
        ),
        (
            Position(folder / "kustomization.yaml", 9, 7),
            "patches/target-matches-nothing",
            "strategic-merge patch for Job/etl-old selects no object (objects here: Job/etl)",
        ),
    ]


def test_good_overlay_passes(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"api": ("service.yaml", SERVICE, GOOD_SERVICE_OVERLAY)})
    assert problems(ws) == []


def test_example_workspace_passes(example_path: Path) -> None:
    ws = Workspace.discover(example_path)
    assert problems(ws) == []


def test_no_workspace_no_problems() -> None:
    assert [p for rule in RULES for p in rule.check(CheckContext())] == []


def test_hints_and_paths_made_by_inner_layers(tmp_path: Path) -> None:
    overlay = """resources:
  - ../layer
patches:
  - patch: |-
      - op: replace
        path: /metadata/labels/team
        value: web
      - op: test
        path: /metadata/annotations/run.googleapis.com/ingress
        value: all
    target:
      kind: Service
"""
    ws = workspace(tmp_path, {"api": ("service.yaml", SERVICE, overlay)})
    write_tree(
        tmp_path / "infrastructure/cloudrun/api/overlays",
        {
            "layer/kustomization.yaml": "resources:\n  - ../../base\ncommonLabels:\n  team: data\n",
        },
    )
    ctx = CheckContext(workspace=ws)
    found = [p for rule in RULES for p in rule.check(ctx)]
    kustomization = tmp_path / "infrastructure/cloudrun/api/overlays/production/kustomization.yaml"
    # the split key is the diagnosis: missing-path judges the path once it is escaped
    assert [(p.rule, p.position, p.hint) for p in sorted(found)] == [
        (
            "patches/unescaped-annotation-key",
            Position(kustomization, 9, 15),
            "escape the slash as ~1: path: /metadata/annotations/run.googleapis.com~1ingress",
        ),
    ]
    escaped = overlay.replace("run.googleapis.com/ingress", "run.googleapis.com~1ingress")
    write_tree(kustomization.parent, {"kustomization.yaml": escaped})
    found = [p for rule in RULES for p in rule.check(CheckContext(workspace=ws))]
    assert [(p.rule, p.position) for p in found] == [
        ("patches/missing-path", Position(kustomization, 9, 15))
    ]


def test_render_failure_on_a_split_key_points_at_the_path(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"api": ("service.yaml", SERVICE, BAD_SERVICE_OVERLAY)})
    overlay = tmp_path / "infrastructure/cloudrun/api/overlays/production/kustomization.yaml"
    split = "/spec/template/metadata/annotations/run.googleapis.com/secrets"
    log = (
        'E0101 00:00:00.000000 1 run.go:72] "command failed" err="add operation does not apply: '
        f'doc is missing path: \\"{split}\\": missing value"'
    )
    failure = UnreadableInput(
        Position(overlay, 1, 1), f"api (production): kustomize failed:\n{log}"
    )
    ctx = CheckContext(workspace=ws, render_failures=(failure,))
    (problem,) = OverlayRenders().check(ctx)
    assert problem == Problem(
        Position(overlay, 9, 15),
        "workspace/overlay-renders",
        "api (production): kustomize cannot build the overlay: this path splits the annotation "
        "key 'run.googleapis.com/secrets' on '/' (patches/unescaped-annotation-key)",
        hint="escape the slash as ~1: path: /spec/template/metadata/annotations/"
        "run.googleapis.com~1secrets; `kubectl kustomize "
        "infrastructure/cloudrun/api/overlays/production` shows kustomize's own message",
    )


def test_render_failure_not_about_a_split_key_is_kustomize_s(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        {
            "api": ("service.yaml", SERVICE, BAD_SERVICE_OVERLAY),
            "web": (
                "service.yaml",
                SERVICE.replace("name: api", "name: web"),
                "resources:\n  - ../../base\n",
            ),
        },
    )
    overlay = tmp_path / "infrastructure/cloudrun/api/overlays/production/kustomization.yaml"
    other = tmp_path / "infrastructure/cloudrun/web/overlays/production/kustomization.yaml"
    split = "/spec/template/metadata/annotations/run.googleapis.com/secrets"
    failures = (
        # kustomize stopped at another op of the overlay with the split key
        UnreadableInput(Position(overlay, 1, 1), "api (production): missing path: /spec/x", "h"),
        # the path is named, but by the failure of an overlay that does not have that patch
        UnreadableInput(Position(other, 1, 1), f"web (production): {split}", "h"),
    )
    ctx = CheckContext(workspace=ws, render_failures=failures)
    assert [(p.position, p.message) for p in OverlayRenders().check(ctx)] == [
        (f.position, f.message) for f in failures
    ]
