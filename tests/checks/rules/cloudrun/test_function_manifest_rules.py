"""The rules on a function's Service alone: concurrency 1, no minimum instances, no HTTP
probe. On a plain file a Service is a function by the label or annotation Cloud Run gives its
functions; in a workspace, by its app's kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from tests.checks.conftest import LintText
from tests.conftest import copy_example, edit

RULES = (
    "cloudrun/function-concurrency",
    "cloudrun/function-min-scale",
    "cloudrun/function-http-probe",
    "cloudrun/event-function-http-probe",
)
FUNCTION = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: stock-webhook
  labels:
    workload-type: cloud-function
spec:
  template:
    metadata:
      annotations:
        cloudfunctions.googleapis.com/trigger-type: HTTP_TRIGGER
    spec:
      containerConcurrency: 1
      serviceAccountName: stock-webhook@acme.iam.gserviceaccount.com
      containers:
      - image: europe-docker.pkg.dev/acme/apps/stock-webhook:1.0.0
        ports:
        - containerPort: 8080
        resources:
          limits: {cpu: "1", memory: 512Mi}
        startupProbe:
          tcpSocket: {port: 8080}
"""


def function(*edits: tuple[str, str]) -> str:
    text = FUNCTION
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_a_function_as_polyinfra_writes_it_is_clean(lint_text: LintText) -> None:
    assert lint_text(FUNCTION, *RULES) == []


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "      containerConcurrency: 10\n",
            "13:29 warning containerConcurrency is 10: each instance of function stock-webhook "
            "runs 10 calls at once, sharing its module-level state and its CPU and memory",
        ),
        (
            "      containerConcurrency: 0\n",
            "13:29 warning containerConcurrency is 0: each instance of function stock-webhook "
            "runs up to 1000 calls at once, sharing its module-level state and its CPU and memory",
        ),
        (
            "      containerConcurrency: '4'\n",
            "13:29 warning containerConcurrency is 4: each instance of function stock-webhook "
            "runs 4 calls at once, sharing its module-level state and its CPU and memory",
        ),
        (
            "",
            "12:5 warning containerConcurrency is 80 (unset, Cloud Run's default): each instance "
            "of function stock-webhook runs 80 calls at once, sharing its module-level state and "
            "its CPU and memory",
        ),
    ],
)
def test_a_function_that_takes_more_than_one_request_at_a_time_is_warned_about(
    lint_text: LintText, written: str, expected: str
) -> None:
    text = function(("      containerConcurrency: 1\n", written))
    assert lint_text(text, "cloudrun/function-concurrency") == [expected]


def test_a_concurrency_cloud_run_rejects_is_reported_once_by_the_limit_rule(
    lint_text: LintText,
) -> None:
    text = function(
        ("containerConcurrency: 1", "containerConcurrency: 10"), ('cpu: "1"', 'cpu: "0.5"')
    )
    assert lint_text(text, "cloudrun/function-concurrency", "cloudrun/container-concurrency") == [
        "13:29 error containerConcurrency is 10 but the instance has 0.5 CPU: below 1 CPU "
        "concurrency must be 1"
    ]
    text = function(("containerConcurrency: 1", "containerConcurrency: 2000"))
    assert lint_text(text, "cloudrun/function-concurrency") == []


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (
            'autoscaling.knative.dev/minScale: "1"',
            "12:43 warning autoscaling.knative.dev/minScale 1 keeps 1 instance of function "
            "stock-webhook running, and billed, while no request comes",
        ),
        (
            'autoscaling.knative.dev/minScale: "3"',
            "12:43 warning autoscaling.knative.dev/minScale 3 keeps 3 instances of function "
            "stock-webhook running, and billed, while no request comes",
        ),
        ('autoscaling.knative.dev/minScale: "0"', None),
        ('autoscaling.knative.dev/maxScale: "5"', None),
        ("autoscaling.knative.dev/minScale: some", None),
    ],
)
def test_a_function_kept_warm_is_warned_about(
    lint_text: LintText, annotation: str, expected: str | None
) -> None:
    text = function(
        (
            "        cloudfunctions.googleapis.com/trigger-type: HTTP_TRIGGER\n",
            "        cloudfunctions.googleapis.com/trigger-type: HTTP_TRIGGER\n"
            f"        {annotation}\n",
        )
    )
    assert lint_text(text, "cloudrun/function-min-scale") == ([expected] if expected else [])


def test_a_service_level_minimum_is_warned_about_too(lint_text: LintText) -> None:
    text = function(
        ("  labels:\n", '  annotations:\n    run.googleapis.com/minScale: "2"\n  labels:\n')
    )
    assert lint_text(text, "cloudrun/function-min-scale") == [
        "6:34 warning run.googleapis.com/minScale 2 keeps 2 instances of function "
        "stock-webhook running, and billed, while no request comes"
    ]


@pytest.mark.parametrize("probe", ["startupProbe", "livenessProbe"])
def test_an_http_probe_on_a_function_is_warned_about(lint_text: LintText, probe: str) -> None:
    text = function(
        (
            "        startupProbe:\n          tcpSocket: {port: 8080}\n",
            f"        {probe}:\n          httpGet: {{path: /, port: 8080}}\n",
        )
    )
    assert lint_text(text, *RULES) == [
        f"22:11 warning {probe}.httpGet on function stock-webhook: the Functions Framework has "
        "no health path, so the function itself answers the probe"
    ]


@pytest.mark.parametrize(
    "event",
    [
        (
            "trigger-type: HTTP_TRIGGER",
            "trigger-type: google.cloud.pubsub.topic.v1.messagePublished",
        ),
        (
            "        - containerPort: 8080\n",
            "        - containerPort: 8080\n        env:\n        - name: FUNCTION_SIGNATURE_TYPE\n"
            "          value: cloudevent\n",
        ),
    ],
)
def test_an_http_probe_on_an_event_function_is_an_error(
    lint_text: LintText, event: tuple[str, str]
) -> None:
    text = function(
        event,
        (
            "        startupProbe:\n          tcpSocket: {port: 8080}\n",
            "        startupProbe:\n          httpGet: {path: /, port: 8080}\n",
        ),
    )
    line = text.splitlines().index("          httpGet: {path: /, port: 8080}") + 1
    assert lint_text(text, *RULES) == [
        f"{line}:11 error startupProbe.httpGet on function stock-webhook: the Functions "
        "Framework has no health path: an event function answers a GET with 405, so the probe "
        "always fails and the revision never starts"
    ]


def test_services_that_are_not_functions_are_not_checked(lint_text: LintText) -> None:
    service = function(
        ("  labels:\n    workload-type: cloud-function\n", ""),
        ("containerConcurrency: 1", "containerConcurrency: 80"),
        ("tcpSocket: {port: 8080}", "httpGet: {path: /health, port: 8080}"),
    )
    assert lint_text(service, *RULES) == []
    by_client = service.replace(
        "      annotations:\n",
        "      annotations:\n        run.googleapis.com/client-name: cloudfunctions\n",
    )
    assert [line.split(" ", 2)[1] for line in lint_text(by_client, *RULES)] == [
        "warning",
        "warning",
    ]


FUNCTION_BASE = "infrastructure/cloudrun_function/stock-webhook/base/service.yaml"
SERVICE_BASE = "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
PRODUCTION = "infrastructure/cloudrun_function/stock-webhook/overlays/production/kustomization.yaml"


def findings(root: Path) -> list[str]:
    result = check_workspace(root, select=list(RULES), plan=False)
    return [f"{p.position.relative_to(root)} {p.rule}: {p.message}" for p in result.problems]


def test_in_a_workspace_the_apps_kind_decides_and_overlays_are_pointed_at(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "data-platform")
    assert findings(root) == []
    edit(root, PRODUCTION, 'maxScale\n        value: "100"', 'minScale\n        value: "2"')
    edit(
        root,
        FUNCTION_BASE,
        "tcpSocket:\n            port: 8080",
        "httpGet:\n            port: 8080",
    )
    assert findings(root) == [
        f"{FUNCTION_BASE}:53:11 cloudrun/function-http-probe: startupProbe.httpGet on function "
        "stock-webhook: the Functions Framework has no health path, so the function itself "
        "answers the probe",
        f"{PRODUCTION}:18:16 cloudrun/function-min-scale: autoscaling.knative.dev/minScale 2 "
        "keeps 2 instances of function stock-webhook running, and billed, while no request "
        "comes",
    ]


@pytest.mark.parametrize(
    ("signature", "level"),
    [("cloudevent", "error"), ("typed", "error"), ("event", "warning"), ("http", "warning")],
)
def test_the_probe_level_follows_what_the_framework_answers_a_get_with(
    lint_text: LintText, signature: str, level: str
) -> None:
    # cloudevent and typed functions take POSTs only (405); an event (background) function
    # answers GET / with 200, and an HTTP function answers whatever its code does
    text = function(
        (
            "        - containerPort: 8080\n",
            "        - containerPort: 8080\n        env:\n        - name: FUNCTION_SIGNATURE_TYPE\n"
            f"          value: {signature}\n",
        ),
        (
            "        startupProbe:\n          tcpSocket: {port: 8080}\n",
            "        startupProbe:\n          httpGet: {path: /, port: 8080}\n",
        ),
    )
    assert [line.split(" ", 2)[1] for line in lint_text(text, *RULES)] == [level]
