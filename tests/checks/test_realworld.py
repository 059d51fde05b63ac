"""Real-world Cloud Run manifests (data/realworld, see its INDEX.md for sources): every file is
processed without a crash, templates and non-YAML are reported as such, and every finding below
was reviewed by hand (the comment says why it is right). No schema rule fires on a field Cloud
Run accepts: the only schema findings are 06's quoted integers (warnings: the API accepts them)
and 24's task timeout on the execution template (a real mistake)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.lint import lint_paths
from polyinfra.cli.main import main

REALWORLD = Path(__file__).parent / "data" / "realworld"

REVIEWED: dict[str, list[str]] = {
    "01-gmp-sidecar-service.yaml": [
        "27:5 warning cloudrun/service-account",  # no serviceAccountName
        "29:16 error manifest/unrendered-template",  # %SAMPLE_APP_IMAGE%, %OTELCOL_IMAGE%
        "31:9 warning cloudrun/startup-initial-delay",  # startupProbe without initialDelaySeconds
        "31:9 warning cloudrun/startup-timeout",  # ... and without timeoutSeconds (default 1)
    ],
    # `date_updated: %DATE_UPDATED%` - a plain scalar cannot start with %: not YAML until rendered
    "02-temporal-otel-sidecar.yaml": ["17:23 error manifest/unrendered-template"],
    "03-ob-app-three-containers.yaml": ["4:9 error manifest/unrendered-template"],  # %SERVICE%
    # exported by a tool that quotes integers: the Admin API accepts them, hence warnings
    "06-merkl-dispute-exported.yaml": [
        "15:29 warning cloudrun/string-integer",  # containerConcurrency: '1'
        "69:30 warning cloudrun/string-integer",  # containerPort: '5002'
        "79:21 warning cloudrun/string-integer",  # tcpSocket.port: '5002'
        "82:23 warning cloudrun/string-integer",  # timeoutSeconds: '600'
        # failureThreshold: 1 with periodSeconds: 240 is Cloud Run's default TCP probe: not reported
    ],
    "07-fighter-service-tunnel-sidecar.yaml": [
        "19:11 warning cloudrun/startup-probe",  # ingress container app has no startupProbe
        "20:18 error manifest/unrendered-template",  # IMAGE_PLACEHOLDER
        "101:11 warning cloudrun/startup-initial-delay",  # db-tunnel sidecar probe, default 0
        "105:29 warning cloudrun/startup-timeout",  # db-tunnel: timeoutSeconds: 1
    ],
    "08-fighter-migration-job-sidecar.yaml": [
        "18:22 error manifest/unrendered-template",  # IMAGE_PLACEHOLDER, CF_..._PLACEHOLDER
        "56:15 warning cloudrun/startup-initial-delay",  # sidecar startup probe (allowed in jobs)
        "60:33 warning cloudrun/startup-timeout",  # timeoutSeconds: 1
    ],
    "09-op-scim-bridge-envsubst.yaml": [
        "16:27 error manifest/unrendered-template",  # ${SERVICE_ACCOUNT_NAME}
        "19:11 warning cloudrun/startup-probe",  # ingress container scim has none
        "32:18 warning cloudrun/image-tag",  # image: redis (untagged)
    ],
    "10-op-scim-bridge-gw-nested-mounts.yaml": [
        "14:5 warning cloudrun/service-account",
        "16:11 warning cloudrun/startup-probe",
        "38:18 warning cloudrun/image-tag",  # image: redis
    ],
    # GPU service: 8 CPU / 32Gi and nvidia.com/gpu are valid; nodeSelector is a RevisionSpec field
    "11-esm2-gpu-l4.yaml": [
        "15:5 warning cloudrun/service-account",
        "19:18 error manifest/unrendered-template",  # PROJECT_ID, IMAGE_TAG in the image
        "34:11 warning cloudrun/startup-initial-delay",
    ],
    "13-flask-redis-direct-vpc.yaml": [
        "14:5 warning cloudrun/service-account",
        "16:11 warning cloudrun/startup-probe",
        "16:18 warning cloudrun/image-tag",  # :latest
    ],
    "14-gotodo-direct-vpc.yaml": [
        "15:5 warning cloudrun/service-account",
        "17:11 warning cloudrun/startup-probe",
        "17:18 warning cloudrun/image-tag",  # :latest
    ],
    # three containers, one with a port (ingress); "{admin: [api]}" is left to Cloud Run's parser
    "15-calendar-three-containers.yaml": [
        "16:5 warning cloudrun/service-account",
        "26:11 warning cloudrun/startup-initial-delay",
        "66:11 warning cloudrun/startup-initial-delay",
    ],
    # the broken Terraform template: the second list item lost its image and name
    "18-bento-backend-tf-template-broken.yaml": [
        "6:36 error manifest/unrendered-template",  # ${gcp_region} ...
        "14:5 warning cloudrun/service-account",
        "17:9 error cloudrun/containers",  # several containers, the first has no name
        "17:9 warning cloudrun/startup-probe",
        "20:9 error cloudrun/containers",  # the second has no image
        "20:9 error cloudrun/containers",  # ... and no name
    ],
    # `{{ .Values.serviceName }}-1` is not YAML until Helm renders it
    "19-spring-forward-canary-helm-template.yaml": ["24:15 error manifest/unrendered-template"],
    # scalingMode/manualInstanceCount/invoker-iam-disabled on the Service are valid placements
    "20-persisted-volumes-manual-scaling.yaml": [
        "5:14 error manifest/unrendered-template",  # ${PROJECT_ID} ...
        "26:5 warning cloudrun/service-account",
        "36:11 warning cloudrun/startup-probe",  # main-app (the ingress container)
        "37:18 warning cloudrun/image-tag",  # the tag is a literal :latest
        "50:18 warning cloudrun/image-tag",
        "73:11 warning cloudrun/startup-timeout",  # gcs-sidecar probe, default timeout 1
    ],
    # run.googleapis.com/maxScale on the Service metadata is the service-level bound: valid
    "21-gcs-dir-sync-ephemeral-disk.yaml": [
        "5:14 error manifest/unrendered-template",
        "27:5 warning cloudrun/service-account",
        "36:11 warning cloudrun/startup-probe",
        "37:18 warning cloudrun/image-tag",
        "50:18 warning cloudrun/image-tag",
        "73:11 warning cloudrun/startup-timeout",
    ],
    # `${TRAFFIC_BLOCK}` stands for a whole YAML block: not YAML until substituted
    "23-cofacts-ai-traffic-block.yaml": ["71:3 error manifest/unrendered-template"],
    "24-algostrategy-job-misplaced-timeout.yaml": [
        # the real mistake: the task timeout written on the execution template
        "15:7 error cloudrun/misplaced-field",
        "17:9 warning cloudrun/job-max-retries",
        "19:22 warning cloudrun/image-tag",  # :latest
    ],
    # parallelism and taskCount are ExecutionSpec fields: no schema finding
    "29-github-scraper-job-parallelism.yaml": [
        "11:9 warning cloudrun/job-max-retries",
        "11:9 warning cloudrun/service-account",
    ],
    # resources.requests (cpu, memory) is accepted by Cloud Run: no finding
    "30-launch-the-nukes-job-requests.yaml": [
        "11:9 warning cloudrun/job-annotations",  # cpu-throttling means nothing on a Job
        "14:9 warning cloudrun/job-max-retries",
        "14:9 warning cloudrun/service-account",
        "18:20 warning cloudrun/image-tag",  # :latest
        "18:20 error manifest/unrendered-template",  # gcr.io/PROJECT_ID/...
    ],
}


def findings(path: Path) -> list[str]:
    result = lint_paths([path])
    return [f"{p.position.line}:{p.position.col} {p.level.label} {p.rule}" for p in result.problems]


def test_every_realworld_manifest_is_reviewed() -> None:
    assert sorted(REVIEWED) == sorted(p.name for p in REALWORLD.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(REVIEWED))
def test_realworld_findings_match_the_review(name: str) -> None:
    assert findings(REALWORLD / name) == REVIEWED[name]


def test_the_index_is_not_yaml_and_says_so() -> None:
    result = lint_paths([REALWORLD / "INDEX.md"])
    assert [(p.rule, p.position.line, p.position.col) for p in result.problems] == [
        ("manifest/invalid-yaml", 5, 3)
    ]
    assert result.exit_code == 2


def test_linting_the_whole_folder_never_crashes(capsys: pytest.CaptureFixture[str]) -> None:
    # unreadable templates make the exit code 2; every other file is still checked
    assert main(["lint", str(REALWORLD), "--format", "json"]) == 2
    out = capsys.readouterr().out
    assert out.count('"rule": "manifest/unrendered-template"') == 13
    assert '"rule": "cloudrun/misplaced-field"' in out
