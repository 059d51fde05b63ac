"""What Cloud Run does with an input decides whether and how it is reported: an error for
what it rejects, a warning for what it accepts but breaks or misleads, nothing for what is
fine. Each case is a small manifest and the exact findings, with positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.lint import lint_paths

HEAD = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: api
"""
ACCOUNT = "      serviceAccountName: api@acme.iam.gserviceaccount.com\n"


def lint(tmp_path: Path, text: str, *select: str, name: str = "manifest.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    result = lint_paths([path], select=select)
    return [
        f"{p.position.line}:{p.position.col} {p.level.label} {p.rule}: {p.message}"
        for p in result.problems
    ]


SIDECARS = (
    HEAD
    + "spec:\n  template:\n    spec:\n"
    + ACCOUNT
    + """      containers:
        - name: nginx
          image: docker.io/library/nginx:1.27
          ports: [{containerPort: 8080}]
          env:
            - name: PORT
              value: "8080"
        - name: hello
          image: gcr.io/acme/hello:v1
          env:
            - name: PORT
              value: "8888"
            - name: K_SERVICE
              value: hello
"""
)


def test_port_is_reserved_on_the_ingress_container_only(tmp_path: Path) -> None:
    # Google's multi-container sample sets PORT on its sidecar; K_SERVICE is everyone's
    assert lint(tmp_path, SIDECARS, "cloudrun/reserved-env") == [
        "14:21 error cloudrun/reserved-env: env PORT is reserved: Cloud Run sets it in "
        "container nginx",
        "21:21 error cloudrun/reserved-env: env K_SERVICE is reserved: Cloud Run sets it in "
        "container hello",
    ]


JOB = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: etl
spec:
  template:
    spec:
      template:
        spec:
          serviceAccountName: etl@acme.iam.gserviceaccount.com
          containers:
            - image: gcr.io/acme/etl:v1
              env:
                - name: PORT
                  value: "8080"
                - name: CLOUD_RUN_TASK_INDEX
                  value: "0"
"""


def test_a_job_has_its_own_reserved_names_and_no_port(tmp_path: Path) -> None:
    assert lint(tmp_path, JOB, "cloudrun/reserved-env") == [
        "16:25 error cloudrun/reserved-env: env CLOUD_RUN_TASK_INDEX is reserved: Cloud Run "
        "sets it in container #0"
    ]


def service(annotations: str = "", template: str = "", pod: str = "", container: str = "") -> str:
    text = HEAD + annotations + "spec:\n  template:\n"
    if template:
        text += "    metadata:\n      annotations:\n" + template
    return (
        text
        + "    spec:\n"
        + ACCOUNT
        + pod
        + "      containers:\n        - image: gcr.io/acme/api:v1\n"
        + container
    )


def test_placements_cloud_run_accepts_are_not_reported(tmp_path: Path) -> None:
    # a gcloud export: execution-environment on the Service as well as on its template
    text = service(
        "  annotations:\n    run.googleapis.com/execution-environment: gen2\n"
        "    run.googleapis.com/ingress-status: all\n",
        "        run.googleapis.com/execution-environment: gen2\n",
    )
    assert lint(tmp_path, text) == []


def test_a_placement_cloud_run_rejects_is_an_error_at_the_key(tmp_path: Path) -> None:
    text = service("  annotations:\n    run.googleapis.com/secrets: 'k:projects/1/secrets/k'\n")
    assert lint(tmp_path, text, "cloudrun/annotation-placement") == [
        "6:5 error cloudrun/annotation-placement: run.googleapis.com/secrets is not accepted on "
        "the Service's metadata.annotations; Cloud Run accepts it on Execution, Revision"
    ]


def test_unknown_annotations_get_the_real_setting_or_a_near_key(tmp_path: Path) -> None:
    text = service(
        template="        run.googleapis.com/gpu-type: nvidia-l4\n"
        "        run.googleapis.com/max-instances: '3'\n"
        "        run.googleapis.com/cpu-throtling: 'false'\n"
        "        example.com/owner: team-a\n"
    )
    found = lint(tmp_path, text, "cloudrun/unknown-annotation")
    assert found == [
        "9:9 warning cloudrun/unknown-annotation: run.googleapis.com/gpu-type is not a Cloud "
        "Run annotation; the setting is the node selector run.googleapis.com/accelerator "
        "(spec.template.spec.nodeSelector)",
        "10:9 warning cloudrun/unknown-annotation: run.googleapis.com/max-instances is not a "
        "Cloud Run annotation; the setting is autoscaling.knative.dev/maxScale on "
        "spec.template.metadata (or run.googleapis.com/maxScale on the Service)",
        "11:9 warning cloudrun/unknown-annotation: run.googleapis.com/cpu-throtling is not an "
        "annotation Cloud Run knows",
    ]
    result = lint_paths([tmp_path / "manifest.yaml"], select=["cloudrun/unknown-annotation"])
    assert result.problems[2].hint == "did you mean run.googleapis.com/cpu-throttling?"


@pytest.mark.parametrize(
    ("image", "found"),
    [
        # placeholders: the unrendered-template error, never a tag warning
        ("IMAGE", ["manifest/unrendered-template"]),
        ("${REGION}-docker.pkg.dev/${PROJECT}/apps/api:latest", ["manifest/unrendered-template"]),
        ("REGION-docker.pkg.dev/PROJECT/apps/api", ["manifest/unrendered-template"]),
        # a Skaffold artifact name: Skaffold and Cloud Deploy replace it
        ("api-image", []),
        # a real reference on Docker Hub, untagged
        ("redis", ["cloudrun/image-tag"]),
        # not a reference at all
        ("【Nginxのイメージ】", ["cloudrun/image-reference"]),
        ("gcr.io/acme/Api:v1", ["cloudrun/image-reference"]),
    ],
)
def test_image_references(tmp_path: Path, image: str, found: list[str]) -> None:
    (tmp_path / "skaffold.yaml").write_text(
        "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n"
        "    - image: api-image\n"
    )
    text = service().replace("gcr.io/acme/api:v1", image)
    rules = [line.split()[2].rstrip(":") for line in lint(tmp_path, text)]
    assert rules == found


def test_an_invalid_image_is_an_error_at_the_value(tmp_path: Path) -> None:
    image = "【Nginxのイメージ】"
    text = service().replace("gcr.io/acme/api:v1", image)
    assert lint(tmp_path, text, "cloudrun/image-reference") == [
        f"10:18 error cloudrun/image-reference: container #0: image reference '{image}': "
        f"path component '{image}' must be lowercase letters and digits, joined by '.', "
        "'_', '__' or '-'"
    ]


@pytest.mark.parametrize(
    ("where", "text", "token"),
    [
        ("metadata.name", HEAD.replace("name: api", "name: SERVICE"), "SERVICE"),
        ("a label", HEAD + "  labels:\n    team: TEAM_NAME\n", "TEAM_NAME"),
        ("an image", HEAD, "<your-project>"),
        (
            "the location label",
            HEAD + "  labels:\n    cloud.googleapis.com/location: REGION\n",
            "REGION",
        ),
    ],
)
def test_capitalised_placeholders_in_lowercase_fields(
    tmp_path: Path, where: str, text: str, token: str
) -> None:
    body = text + service()[len(HEAD) :]
    if token.startswith("<"):
        body = body.replace("gcr.io/acme/api:v1", f"gcr.io/{token}/api:v1")
    found = lint(tmp_path, body, "manifest/unrendered-template")
    assert len(found) == 1, where
    assert f"placeholder {token} must be substituted before deploy" in found[0]


def test_a_name_cloud_run_rejects(tmp_path: Path) -> None:
    text = service().replace("name: api", "name: haiko_agent-api")
    found = lint(tmp_path, text, "cloudrun/name")
    assert found[0].startswith(
        "4:9 error cloudrun/name: 'haiko_agent-api' is not a valid Cloud Run service name"
    )
    long = service().replace("name: api", "name: " + "a" * 50)
    assert lint(tmp_path, long, "cloudrun/name")[0].startswith(
        "4:9 error cloudrun/name: '" + "a" * 50 + "' is 50 characters long; Cloud Run service "
        "names have at most 49"
    )


def test_a_placeholder_port_is_not_compared(tmp_path: Path) -> None:
    container = (
        '          ports: [{containerPort: "%APP_PORT%"}]\n'
        "          startupProbe:\n            tcpSocket: {port: 8000}\n"
    )
    assert lint(tmp_path, service(container=container), "cloudrun/ports") == []


MISPLACED_ACCOUNT = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: etl
spec:
  template:
    spec:
      serviceAccountName: etl@acme.iam.gserviceaccount.com
      template:
        spec:
          containers:
            - image: gcr.io/acme/etl:v1
"""


def test_a_misplaced_service_account_is_reported_once(tmp_path: Path) -> None:
    # Cloud Run rejects the manifest: one error where the field is, no second finding that
    # says the job runs as the default account
    assert lint(tmp_path, MISPLACED_ACCOUNT) == [
        "8:7 error cloudrun/misplaced-field: 'serviceAccountName' is not a field of "
        "ExecutionSpec (spec.template.spec); it belongs at "
        "spec.template.spec.template.spec.serviceAccountName"
    ]


def test_a_missing_spec_level_says_so(tmp_path: Path) -> None:
    text = JOB.replace(
        "    spec:\n      template:\n        spec:", "    template:\n        spec:", 1
    )
    found = lint(tmp_path, text)
    assert found[0] == (
        "7:5 error cloudrun/misplaced-field: 'template' is not a field of ExecutionTemplateSpec "
        "(spec.template): a 'spec:' level is missing above it; it belongs at "
        "spec.template.spec.template"
    )
    assert len(found) == 1  # no second error for the containers it cannot find


PROBE = "          startupProbe:\n            httpGet: {{path: /health, port: 8080}}\n{0}"


@pytest.mark.parametrize(
    ("settings", "found"),
    [
        # written on the ingress container, window under 50 s: the spec's three mistakes
        ("            failureThreshold: 1\n", ["cloudrun/startup-failure-threshold"]),
        ("            initialDelaySeconds: 0\n", ["cloudrun/startup-initial-delay"]),
        ("            timeoutSeconds: 1\n", ["cloudrun/startup-timeout"]),
        # the same values with a window of 300 s: room to start
        ("            timeoutSeconds: 1\n            failureThreshold: 30\n", []),
        ("            initialDelaySeconds: 0\n            periodSeconds: 20\n", []),
        # the defaults, not written: Cloud Run's choice
        ("", []),
    ],
)
def test_startup_mistakes(tmp_path: Path, settings: str, found: list[str]) -> None:
    text = service(container="          ports: [{containerPort: 8080}]\n" + PROBE.format(settings))
    rules = [line.split()[2].rstrip(":") for line in lint(tmp_path, text)]
    assert rules == found


def test_startup_mistakes_on_a_sidecar_are_not_reported(tmp_path: Path) -> None:
    text = SIDECARS.replace(
        "        - name: hello\n",
        "        - name: hello\n" + PROBE.format("            timeoutSeconds: 1\n"),
    ).replace('            - name: PORT\n              value: "8080"\n', "")
    assert [f for f in lint(tmp_path, text) if "startup" in f] == []


GPU = (
    """    metadata:
      annotations:
        run.googleapis.com/cpu-throttling: "false"
    spec:
      nodeSelector:
        run.googleapis.com/accelerator: nvidia-l4
"""
    + ACCOUNT
    + """      containers:
        - image: gcr.io/acme/llm:v1
          resources:
            limits: {cpu: "4", memory: 16Gi, nvidia.com/gpu: "1"}
"""
)


def test_a_gpu_service_as_documented_passes(tmp_path: Path) -> None:
    assert lint(tmp_path, HEAD + "spec:\n  template:\n" + GPU) == []


def test_a_gpu_service_without_its_requirements(tmp_path: Path) -> None:
    text = (
        HEAD
        + "spec:\n  template:\n"
        + GPU.replace('        run.googleapis.com/cpu-throttling: "false"\n', "        x: y\n")
        .replace("      nodeSelector:\n        run.googleapis.com/accelerator: nvidia-l4\n", "")
        .replace('cpu: "4", memory: 16Gi', 'cpu: "2", memory: 8Gi')
    )
    assert lint(tmp_path, text, "cloudrun/gpu") == [
        "15:27 error cloudrun/gpu: container #0 has 2 CPU; a nvidia-l4 GPU needs at least 4",
        "15:40 error cloudrun/gpu: container #0 has 8Gi; a nvidia-l4 GPU needs at least 16Gi",
        "15:45 error cloudrun/gpu: container #0 has a GPU but the pod spec names no GPU type",
        "15:45 error cloudrun/gpu: container #0 has a GPU, which needs CPU always allocated",
    ]


def test_an_upper_case_label_value_is_a_wrong_value_not_a_placeholder(tmp_path: Path) -> None:
    text = HEAD + "  labels:\n    env: PROD\n" + service()[len(HEAD) :]
    assert [line.split()[2] for line in lint(tmp_path, text)] == ["cloudrun/label-values:"]


def test_a_gpu_type_that_is_not_text_sizes_as_an_l4(tmp_path: Path) -> None:
    text = (
        HEAD
        + "spec:\n  template:\n"
        + GPU.replace("accelerator: nvidia-l4", "accelerator: 7").replace(
            'cpu: "4", memory: 16Gi', 'cpu: "2", memory: 16Gi'
        )
    )
    assert lint(tmp_path, text, "cloudrun/gpu") == [
        "17:27 error cloudrun/gpu: container #0 has 2 CPU; a nvidia-l4 GPU needs at least 4"
    ]
