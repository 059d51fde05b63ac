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

# Not reported anywhere below, on purpose: a container without a startupProbe (Cloud Run gives
# it a default TCP probe; cloudrun/startup-probe is off by default), startup-probe values that
# are the API's defaults, on a sidecar, or inside a window of 50 s or more, a Job without
# maxRetries (three retries is Cloud Run's default; off by default), and `:latest` in a
# reference that still holds placeholders (the unrendered-template error covers it).
REVIEWED: dict[str, list[str]] = {
    "01-gmp-sidecar-service.yaml": [
        "27:5 warning cloudrun/service-account",  # no serviceAccountName: the default account
        "29:16 error manifest/unrendered-template",  # %SAMPLE_APP_IMAGE%, %OTELCOL_IMAGE%
        # the app's startupProbe writes none of the three mistakes (all defaults): not reported
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
    # the db-tunnel sidecar's probe (timeoutSeconds: 1) only orders the start: not reported
    "07-fighter-service-tunnel-sidecar.yaml": [
        "20:18 error manifest/unrendered-template",  # IMAGE_PLACEHOLDER
    ],
    # container-dependencies on a Job's execution template: multi-container jobs take it
    "08-fighter-migration-job-sidecar.yaml": [
        "18:22 error manifest/unrendered-template",  # IMAGE_PLACEHOLDER, CF_..._PLACEHOLDER
    ],
    "09-op-scim-bridge-envsubst.yaml": [
        "16:27 error manifest/unrendered-template",  # ${SERVICE_ACCOUNT_NAME}
        "32:18 warning cloudrun/image-tag",  # image: redis, Docker Hub, untagged
    ],
    "10-op-scim-bridge-gw-nested-mounts.yaml": [
        "14:5 warning cloudrun/service-account",
        "38:18 warning cloudrun/image-tag",  # image: redis
    ],
    # GPU service done right: nvidia-l4 selector, 8 CPU / 32Gi, cpu-throttling "false"
    "11-esm2-gpu-l4.yaml": [
        "15:5 warning cloudrun/service-account",
        "19:18 error manifest/unrendered-template",  # REGION, PROJECT_ID, IMAGE_TAG in the image
    ],
    "13-flask-redis-direct-vpc.yaml": [
        "14:5 warning cloudrun/service-account",
        "16:18 warning cloudrun/image-tag",  # :latest
    ],
    "14-gotodo-direct-vpc.yaml": [
        "15:5 warning cloudrun/service-account",
        "17:18 warning cloudrun/image-tag",  # :latest
    ],
    # three containers, one with a port (ingress); "{admin: [api]}" is left to Cloud Run's parser;
    # the sidecars' startup probes are not the ingress container's: not reported
    "15-calendar-three-containers.yaml": [
        "16:5 warning cloudrun/service-account",
    ],
    # the broken Terraform template: the second list item lost its image and name
    "18-bento-backend-tf-template-broken.yaml": [
        "6:36 error manifest/unrendered-template",  # ${gcp_region} ...
        "14:5 warning cloudrun/service-account",
        "17:9 error cloudrun/containers",  # several containers, the first has no name
        "20:9 error cloudrun/containers",  # the second has no image
        "20:9 error cloudrun/containers",  # ... and no name
    ],
    # `{{ .Values.serviceName }}-1` is not YAML until Helm renders it
    "19-spring-forward-canary-helm-template.yaml": ["24:15 error manifest/unrendered-template"],
    # scalingMode/manualInstanceCount/invoker-iam-disabled on the Service are valid placements;
    # ${REGION}-docker.pkg.dev/...:latest is a template: the placeholder error covers it
    "20-persisted-volumes-manual-scaling.yaml": [
        "5:14 error manifest/unrendered-template",  # ${PROJECT_ID} ...
        "26:5 warning cloudrun/service-account",
    ],
    # run.googleapis.com/maxScale on the Service metadata is the service-level bound: valid
    "21-gcs-dir-sync-ephemeral-disk.yaml": [
        "5:14 error manifest/unrendered-template",
        "27:5 warning cloudrun/service-account",
    ],
    # `${TRAFFIC_BLOCK}` stands for a whole YAML block: not YAML until substituted
    "23-cofacts-ai-traffic-block.yaml": ["71:3 error manifest/unrendered-template"],
    "24-algostrategy-job-misplaced-timeout.yaml": [
        # the real mistake: the task timeout written on the execution template
        "15:7 error cloudrun/misplaced-field",
        "19:22 warning cloudrun/image-tag",  # :latest
    ],
    # parallelism and taskCount are ExecutionSpec fields: no schema finding
    "29-github-scraper-job-parallelism.yaml": [
        "11:9 warning cloudrun/service-account",
    ],
    # resources.requests (cpu, memory) is accepted by Cloud Run: no finding
    "30-launch-the-nukes-job-requests.yaml": [
        "11:9 warning cloudrun/job-annotations",  # cpu-throttling means nothing on a Job
        "14:9 warning cloudrun/service-account",
        # gcr.io/PROJECT_ID/...:latest: a template, the placeholder error covers the tag
        "18:20 error manifest/unrendered-template",
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
