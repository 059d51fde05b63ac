"""The spec's own manifests (section 6: service base, job base, production overlay) render like
the spec's pipeline and pass the patch rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyinfra.checks.context import CheckContext
from polyinfra.checks.registry import by_id
from polyinfra.errors import UserError
from polyinfra.manifests import RenderOptions, RenderRequest, render
from polyinfra.positions import Position
from polyinfra.workspace import App, Overlay, Settings, Workspace
from tests.manifests.pipeline import spec_pipeline

SPEC = Path(__file__).parent / "data" / "spec"
JOB_OVERLAY = Path("cloudrunjob/my-job-api2bq/overlays/production")
SERVICE_OVERLAY = Path("cloudrun/overlays/production")
REF = "asia-southeast1-docker.pkg.dev/my-project/repo/my-job:v1.2.3"


def test_job_overlay_renders_like_the_spec(tmp_path: Path) -> None:
    result = render(
        [RenderRequest("my-job", "production", SPEC / JOB_OVERLAY, REF)],
        RenderOptions(version="v1.2.3"),
    )
    copy = shutil.copytree(SPEC, tmp_path / "spec")
    assert result.apps[0].text == spec_pipeline(copy / JOB_OVERLAY, REF, "v1.2.3")
    assert "image: " + REF + "\n" in result.apps[0].text


def test_service_base_declares_an_extra_placeholder(tmp_path: Path) -> None:
    request = RenderRequest("my-service", "production", SPEC / SERVICE_OVERLAY, REF)
    with pytest.raises(UserError) as caught:
        render([request], RenderOptions(version="v1.2.3"))
    assert caught.value.message == (
        "my-service (production): Service/my-service field "
        "spec.template.spec.containers[0].env[0].value still holds placeholder "
        "ENVIRONMENT_PLACEHOLDER"
    )
    assert caught.value.position == Position(SPEC / "cloudrun/base/service.yaml", 30, 18)
    extra = {"ENVIRONMENT_PLACEHOLDER": "production"}
    result = render([request], RenderOptions(version="v1.2.3", placeholders=extra))
    copy = shutil.copytree(SPEC, tmp_path / "spec")
    assert result.apps[0].text == spec_pipeline(copy / SERVICE_OVERLAY, REF, "v1.2.3", extra=extra)


def test_spec_overlays_pass_the_patch_rules() -> None:
    apps = {
        "my-job": App(
            "my-job",
            "job",
            SPEC / "cloudrunjob/my-job-api2bq",
            SPEC / "cloudrunjob/my-job-api2bq/base",
            {"production": Overlay("production", SPEC / JOB_OVERLAY)},
            None,
            "cloudrunjob",
        ),
        "my-service": App(
            "my-service",
            "service",
            SPEC / "cloudrun",
            SPEC / "cloudrun/base",
            {"production": Overlay("production", SPEC / SERVICE_OVERLAY)},
            None,
            "cloudrun",
        ),
    }
    ws = Workspace(
        root=SPEC,
        namespace="acme",
        theme="loose",
        projects={},
        bricks={},
        uv_members=(),
        uv_excludes=(),
        infrastructure=SPEC,
        infra_pyproject=None,
        programs=(),
        apps=apps,
        settings=Settings(),
    )
    ctx = CheckContext(workspace=ws)
    rules = [rule for rule_id, rule in by_id().items() if rule_id.startswith("patches/")]
    assert len(rules) == 4
    assert [p for rule in rules for p in rule.check(ctx)] == []
