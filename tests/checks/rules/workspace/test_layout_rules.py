"""``workspace/no-infra-in-projects``: a warning with its reason, once per app declared inside
``projects/``, and switched off by ``[tool.polyinfra.rules] disable``."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace
from polyinfra.checks.context import CheckContext
from polyinfra.checks.engine import run
from polyinfra.checks.problem import Level
from polyinfra.checks.rules.workspace import layout
from polyinfra.workspace import Workspace
from tests.checks.rules.workspace.test_workspace_rules import workspace

RULE = "workspace/no-infra-in-projects"
WHY = (
    "the spec keeps infrastructure in infrastructure/, apart from the application code, so each "
    "is changed and delivered at its own pace"
)
OFF = (
    'if the layout is deliberate, add "workspace/no-infra-in-projects" to [tool.polyinfra.rules] '
    "disable in infrastructure/pyproject.toml"
)
INFRA = (
    '[project]\nname = "infra"\ndependencies = ["pulumi>=3", "pulumi-gcp>=9"]\n\n'
    '[tool.polyinfra.apps.reports]\npath = "projects/job_a/deploy"\n'
)
APP_IN_PROJECT = {
    "projects/job_a/deploy/base/kustomization.yaml": "resources:\n  - job.yaml\n",
    "projects/job_a/deploy/base/job.yaml": "apiVersion: run.googleapis.com/v1\nkind: Job\n"
    "metadata:\n  name: reports\n",
    "projects/job_a/deploy/overlays/production/kustomization.yaml": (
        "namespace: proj\nresources:\n  - ../../base\n"
    ),
}


def findings(root: Path) -> list[tuple[str, Level, str, str | None]]:
    ctx = CheckContext(workspace=Workspace.discover(root))
    return [
        (str(p.position.relative_to(root)), p.level, p.message, p.hint)
        for p in run(ctx, [layout.NoInfraInProjects()])
    ]


def test_infrastructure_files_in_a_project_are_warnings_with_the_reason(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "projects/job_a/k8s/kustomization.yaml": "resources:\n  - job.yaml\n",
            "projects/job_a/Pulumi.yaml": "name: x\nruntime: python\n",
        },
    )
    hint = (
        "move it under infrastructure/ (Pulumi under infrastructure/pulumi/, Cloud Run manifests "
        f"under infrastructure/cloudrun_*/<app>/); {OFF}"
    )
    assert findings(root) == [
        (
            "projects/job_a/Pulumi.yaml:1:1",
            Level.WARNING,
            f"projects/job_a/Pulumi.yaml defines infrastructure inside projects/: {WHY}",
            hint,
        ),
        (
            "projects/job_a/k8s/kustomization.yaml:1:1",
            Level.WARNING,
            f"projects/job_a/k8s/kustomization.yaml defines infrastructure inside projects/: {WHY}",
            hint,
        ),
    ]


def test_an_app_declared_inside_projects_is_reported_once_at_its_base(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {"infrastructure/pyproject.toml": INFRA, **APP_IN_PROJECT},
    )
    ws = Workspace.discover(root)
    assert ws.apps["reports"].kind == "job"
    assert ws.apps["reports"].environments == ("production",)
    assert findings(root) == [
        (
            "projects/job_a/deploy/base/kustomization.yaml:1:1",
            Level.WARNING,
            "app 'reports' keeps its Kustomize base and overlays inside projects/ "
            f"(projects/job_a/deploy): {WHY}",
            f"move projects/job_a/deploy/ to infrastructure/cloudrun_job/reports/; {OFF}",
        )
    ]


def test_the_rules_settings_switch_it_off(tmp_path: Path) -> None:
    settings = f'\n[tool.polyinfra.rules]\ndisable = ["{RULE}"]\n'
    root = workspace(
        tmp_path,
        {"infrastructure/pyproject.toml": INFRA + settings, **APP_IN_PROJECT},
    )
    assert RULE not in {r.ID for r in check_workspace(root, plan=False).rules}
    assert [p for p in check_workspace(root, plan=False).problems if p.rule == RULE] == []
    # the same workspace without the setting: the rule runs and reports the app
    (root / "infrastructure/pyproject.toml").write_text(INFRA, encoding="utf-8")
    result = check_workspace(root, select=[RULE], plan=False)
    assert [(str(p.position.relative_to(root)), p.level) for p in result.problems] == [
        ("projects/job_a/deploy/base/kustomization.yaml:1:1", Level.WARNING)
    ]
