"""The spec's own manifests (section 6: service base, job base, production overlay), copied
verbatim into data/spec, render with kustomize and pass every rule."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.lint import lint_paths

SPEC = Path(__file__).parent / "data" / "spec"


def brief(paths: list[Path], ignore: tuple[str, ...] = ()) -> list[str]:
    result = lint_paths(paths, ignore=ignore)
    return [
        f"{p.position.file.relative_to(SPEC).as_posix()}:{p.position.line}:{p.position.col} "
        f"{p.rule}"
        for p in result.problems
    ]


def test_job_base_with_production_overlay_passes() -> None:
    assert brief([SPEC / "job" / "overlays" / "production"]) == []


def test_service_base_passes_once_its_placeholders_are_substituted() -> None:
    # the spec's pipeline sets the image and VERSION only; ENVIRONMENT_PLACEHOLDER and the
    # PROJECT_ID in the service account are left for the deployer to fill in
    assert brief([SPEC / "service" / "base"]) == [
        "service/base/service.yaml:30:18 manifest/unrendered-template"
    ]
    assert brief([SPEC / "service" / "base"], ignore=("manifest/unrendered-template",)) == []


def test_bases_alone_still_hold_the_image_placeholder() -> None:
    assert brief([SPEC / "job" / "base" / "job.yaml"]) == [
        "job/base/job.yaml:21:9 cloudrun/service-account",  # set by the production overlay
        "job/base/job.yaml:26:20 manifest/unrendered-template",  # IMAGE_URL
    ]
