"""Each Cloud Run rule on a variant of the known-good Service or Job: exact positions and
messages of the failing example (the good manifests pass: test_good_manifests)."""

from __future__ import annotations

import pytest

from tests.checks.conftest import LintText, variant

CASES = [
    # --- schema
    (
        "cloudrun/unknown-field",
        variant("service", ("        env:\n", "        enviroment:\n")),
        [
            "28:9 error unknown field 'enviroment' in Container (spec.template.spec.containers[0])"
            " (did you mean 'envFrom'?)"
        ],
    ),
    (
        "cloudrun/misplaced-field",
        variant("job", ("      taskCount: 1\n", "      timeoutSeconds: 600\n")),
        [
            "18:7 error 'timeoutSeconds' is not a field of ExecutionSpec (spec.template.spec); it "
            "belongs at spec.template.spec.template.spec.timeoutSeconds"
        ],
    ),
    (
        "cloudrun/misplaced-field",
        variant("service", ("      timeoutSeconds: 300\n", "      image: gcr.io/acme/api:v1\n")),
        [
            "21:7 error 'image' is not a field of RevisionSpec (spec.template.spec); it belongs at "
            "spec.template.spec.containers[].image"
        ],
    ),
    (
        "cloudrun/kubernetes-field",
        variant("job", ("          maxRetries: 3\n", "          backoffLimit: 3\n")),
        [
            "22:11 error 'backoffLimit' is a Kubernetes field Cloud Run does not have (in "
            "spec.template.spec.template.spec)"
        ],
    ),
    (
        "cloudrun/kubernetes-field",
        variant("job", ("          maxRetries: 3\n", "          restartPolicy: Never\n")),
        [
            "22:11 error 'restartPolicy' is a Kubernetes field Cloud Run does not have (in "
            "spec.template.spec.template.spec)"
        ],
    ),
    (
        "cloudrun/schema-type",
        variant(
            "service",
            ('startup-cpu-boost: "true"', "startup-cpu-boost: true"),
            ('cpu: "1"', "cpu: 1"),
            ("- latestRevision: true", '- latestRevision: "true"'),
            ("value: production", "value: 42"),
        ),
        [
            "16:47 error 'spec.template.metadata.annotations.run.googleapis.com/startup-cpu-boost'"
            " must be a string, not the boolean true",
            "30:18 error 'spec.template.spec.containers[0].env[0].value' must be a string, not "
            "a number",
            "51:18 error 'spec.template.spec.containers[0].resources.limits.cpu' must be a string,"
            " not the number 1",
            "54:21 error 'spec.traffic[0].latestRevision' must be a boolean (true or false), not "
            "the string 'true'",
        ],
    ),
    (
        "cloudrun/string-integer",
        variant("service", ("timeoutSeconds: 300", 'timeoutSeconds: "300"')),
        [
            "21:23 warning 'spec.template.spec.timeoutSeconds' is an integer field written as the "
            "string '300'"
        ],
    ),
    # a Job task's timeoutSeconds is an int64, which the API itself writes as a string
    (
        "cloudrun/string-integer",
        variant("job", ("timeoutSeconds: 600", 'timeoutSeconds: "600"')),
        [],
    ),
    (
        "cloudrun/unsupported-field",
        variant(
            "service",
            (
                "        livenessProbe:\n          httpGet:\n            path: /health_check\n"
                "            port: 8080\n",
                "        livenessProbe:\n          exec:\n            command: [/bin/ok]\n"
                "          periodSeconds: 10\n",
            ),
        ),
        ["46:11 warning 'exec' (Probe) is in the API but not supported by Cloud Run"],
    ),
    # --- limits
    (
        "cloudrun/timeout-limits",
        variant("service", ("timeoutSeconds: 300", "timeoutSeconds: 7200")),
        [
            "21:23 error timeoutSeconds 7200 is out of range: a Service's request timeout is 1 to "
            "3600 seconds"
        ],
    ),
    (
        "cloudrun/timeout-limits",
        variant("job", ("timeoutSeconds: 600", "timeoutSeconds: 700000")),
        [
            "23:27 error timeoutSeconds 700000 is out of range: a Job task's timeout is 1 to"
            " 604800 "
            "seconds"
        ],
    ),
    (
        "cloudrun/probe-limits",
        variant(
            "service",
            ("initialDelaySeconds: 5", "initialDelaySeconds: 300"),
            ("timeoutSeconds: 5", "timeoutSeconds: 20"),
            ("successThreshold: 1", "successThreshold: 2"),
        ),
        [
            "40:32 error startupProbe.initialDelaySeconds 300 is out of range: 0 to 240 seconds",
            "41:27 error startupProbe.timeoutSeconds (20) is longer than its periodSeconds (10)",
            "43:29 error startupProbe.successThreshold must be 1 on Cloud Run, not 2",
        ],
    ),
    (
        "cloudrun/container-concurrency",
        variant("service", ('cpu: "1"', "cpu: 500m")),
        [
            "19:5 error containerConcurrency is 80 (default) but the instance has 0.5 CPU: below 1 "
            "CPU concurrency must be 1"
        ],
    ),
    (
        "cloudrun/container-concurrency",
        variant("service", ("      timeoutSeconds: 300\n", "      containerConcurrency: 1001\n")),
        ["21:29 error containerConcurrency 1001 is out of range: 0 to 1000"],
    ),
    (
        "cloudrun/resources",
        variant("service", ('cpu: "1"', 'cpu: "3"')),
        ["51:18 error cpu limit 3 is not one Cloud Run offers: 0.08 to 1, or 1, 2, 4, 6 or 8"],
    ),
    (
        "cloudrun/resources",
        variant("service", ("memory: 2Gi", "memory: 8Gi")),
        ["50:11 error the container has 8Gi and 1 CPU: more than 4Gi needs at least 2 CPU"],
    ),
    (
        "cloudrun/resources",
        variant("service", ('cpu: "1"', 'cpu: "4"'), ("memory: 2Gi", "memory: 1Gi")),
        ["50:11 error the container has 4 CPU and 1Gi: 4 CPU or more needs at least 2Gi"],
    ),
    (
        "cloudrun/scaling",
        variant("service", ('minScale: "0"', 'minScale: "5"')),
        [
            "17:43 error autoscaling.knative.dev/minScale 5 is above"
            " autoscaling.knative.dev/maxScale"
            " 2"
        ],
    ),
    (
        "cloudrun/scaling",
        variant("service", ('maxScale: "2"', "maxScale: two")),
        ["18:43 error autoscaling.knative.dev/maxScale must be a whole number, not 'two'"],
    ),
    # --- contract
    (
        "cloudrun/annotation-placement",
        variant(
            "service", ("run.googleapis.com/ingress: all", 'autoscaling.knative.dev/maxScale: "3"')
        ),
        [
            "8:5 error autoscaling.knative.dev/maxScale is not accepted on the Service's "
            "metadata.annotations; Cloud Run accepts it on Revision"
        ],
    ),
    (
        "cloudrun/job-annotations",
        variant(
            "job",
            (
                "run.googleapis.com/execution-environment: gen2",
                'run.googleapis.com/cpu-throttling: "false"',
            ),
        ),
        [
            "15:9 warning run.googleapis.com/cpu-throttling is a Service setting; it has no effect"
            " on a Job"
        ],
    ),
    (
        "cloudrun/annotation-values",
        variant(
            "service",
            ('cpu-throttling: "false"', 'cpu-throttling: "no"'),
            ("ingress: all", "ingress: everyone"),
        ),
        [
            "8:33 error run.googleapis.com/ingress must be one of all, internal, "
            "internal-and-cloud-load-balancing; not 'everyone'",
            '15:44 error run.googleapis.com/cpu-throttling must be "true" or "false", not \'no\'',
        ],
    ),
    (
        "cloudrun/containers",
        variant(
            "job",
            (
                "            image: asia-southeast1-docker.pkg.dev/my-project/apps/my-job:1.4.2\n",
                "",
            ),
        ),
        ["25:13 error container worker has no image"],
    ),
    (
        "cloudrun/containers",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {}\nspec:\n  template:\n"
        "    spec:\n      containers: []\n",
        [
            "3:1 error metadata.name is missing",
            "7:7 error no containers: Cloud Run needs at least one",
        ],
    ),
    (
        "cloudrun/name",
        variant("service", ("  name: my-service\n  labels", "  name: my-s\u00e9rvice\n  labels")),
        [
            "4:9 error 'my-s\u00e9rvice' is not a valid Cloud Run service name: use lowercase "
            "letters, digits and hyphens, start with a letter and do not end with a hyphen"
        ],
    ),
    (
        "cloudrun/name",
        variant("service", ("  name: my-service\n  labels", f"  name: {'s' * 50}\n  labels")),
        [f"4:9 error '{'s' * 50}' is 50 characters long; Cloud Run service names have at most 49"],
    ),
    # a job name may be longer: 63 characters
    ("cloudrun/name", variant("job", ("  name: my-job-api2bq\n", f"  name: {'j' * 63}\n")), []),
    (
        "cloudrun/name",
        variant("job", ("  name: my-job-api2bq\n", f"  name: {'j' * 64}\n")),
        [f"4:9 error '{'j' * 64}' is 64 characters long; Cloud Run job names have at most 63"],
    ),
    (
        "cloudrun/ports",
        variant(
            "service",
            (
                "            port: 8080\n          initialDelaySeconds",
                "            port: 8000\n          initialDelaySeconds",
            ),
            ("name: http1", "name: http"),
        ),
        [
            "27:17 error port name 'http' must be http1 or h2c (HTTP/2)",
            "39:19 error startupProbe checks port 8000 but container my-service serves 8080",
        ],
    ),
    (
        "cloudrun/job-shape",
        variant(
            "job",
            (
                "            env:\n",
                "            ports: [{containerPort: 8080}]\n            env:\n",
            ),
        ),
        ["27:13 error container worker of a Job declares ports; jobs serve no requests"],
    ),
    (
        "cloudrun/reserved-env",
        variant("service", ("name: ENVIRONMENT", "name: PORT")),
        ["29:17 error env PORT is reserved: Cloud Run sets it in container my-service"],
    ),
    (
        "cloudrun/startup-probe",
        variant("service", ("        startupProbe:\n", "        readinessProbe:\n")),
        ["23:9 info container my-service has no startupProbe"],
    ),
    (
        "cloudrun/secret-key-ref",
        variant("service", ("key: latest", "key: API_TOKEN")),
        ["35:20 error secret key 'API_TOKEN' is not a Secret Manager version"],
    ),
    (
        "cloudrun/secrets-annotation",
        variant(
            "job",
            ('"API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"', '"API_TOKEN:MY_API_TOKEN"'),
        ),
        [
            "16:37 error run.googleapis.com/secrets entry 'API_TOKEN:MY_API_TOKEN' is not "
            "ALIAS:projects/PROJECT/secrets/NAME"
        ],
    ),
    (
        "cloudrun/secrets-annotation",
        variant(
            "job", ("                  name: API_TOKEN\n", "                  name: other-secret\n")
        ),
        [
            "16:37 error run.googleapis.com/secrets declares alias API_TOKEN but no secretKeyRef"
            " or "
            "secret volume uses it"
        ],
    ),
    (
        "cloudrun/variable-reference",
        variant("job", ('value: "true"', 'value: "$(CLOUD_RUN_TASK_INDEX)"')),
        ["29:22 warning $(CLOUD_RUN_TASK_INDEX) is not expanded on Cloud Run (container worker)"],
    ),
    (
        "cloudrun/resources",
        variant(
            "job",
            (
                "                memory: 512Mi\n",
                "                memory: 512Mi\n                ephemeral-storage: 1Gi\n",
            ),
        ),
        [
            "39:17 error resources.limits.ephemeral-storage is not a Cloud Run resource; "
            "limits takes cpu, memory, nvidia.com/gpu"
        ],
    ),
    # --- the spec's common mistakes
    (
        "cloudrun/startup-failure-threshold",
        variant("service", ("failureThreshold: 3", "failureThreshold: 1")),
        [
            "44:29 warning startupProbe failureThreshold: 1 in container my-service: the container "
            "fails on the first failed probe (the container has 15 s to start)"
        ],
    ),
    (
        "cloudrun/startup-initial-delay",
        variant("service", ("initialDelaySeconds: 5", "initialDelaySeconds: 0")),
        [
            "40:32 warning startupProbe initialDelaySeconds: 0 in container my-service: it probes "
            "before the application can start (the container has 30 s to start)"
        ],
    ),
    (
        "cloudrun/startup-initial-delay",
        # the default, not written: Cloud Run's choice, not the user's mistake
        variant("service", ("          initialDelaySeconds: 5\n", "")),
        [],
    ),
    (
        "cloudrun/startup-timeout",
        variant("service", ("timeoutSeconds: 5", "timeoutSeconds: 1")),
        [
            "41:27 warning startupProbe timeoutSeconds: 1 in container my-service: too short for a "
            "slow first response (the container has 35 s to start)"
        ],
    ),
    # Cloud Run's exported default TCP probe is not the fast-failing mistake
    (
        "cloudrun/startup-failure-threshold",
        variant(
            "service",
            ("failureThreshold: 3", "failureThreshold: 1"),
            ("periodSeconds: 10", "periodSeconds: 240"),
            ("timeoutSeconds: 5", "timeoutSeconds: 240"),
        ),
        [],
    ),
    # --- hygiene
    (
        "cloudrun/image-tag",
        variant("service", ("my-service:1.4.2", "my-service:latest")),
        [
            "24:16 warning image europe-docker.pkg.dev/acme-prod/apps/my-service:latest of"
            " container"
            " my-service is tagged :latest"
        ],
    ),
    (
        "cloudrun/image-tag",
        variant("job", ("asia-southeast1-docker.pkg.dev/my-project/apps/my-job:1.4.2", "redis")),
        ["26:20 warning image redis of container worker is untagged (that is :latest)"],
    ),
    ("cloudrun/image-tag", variant("job", (":1.4.2", "@sha256:" + "ab" * 32)), []),
    (
        "cloudrun/secret-literal",
        variant(
            "service",
            ("name: ENVIRONMENT", "name: DB_PASSWORD"),
            ("value: production", "value: hunter2-s3cret"),
        ),
        ["30:18 warning env DB_PASSWORD looks like a secret but has a literal value"],
    ),
    # flags, paths and placeholders are not secrets
    (
        "cloudrun/secret-literal",
        variant("job", ("name: LOG_EXECUTION_ID", "name: USE_SECRET_MANAGER")),
        [],
    ),
    (
        "cloudrun/service-account",
        variant(
            "service",
            ("      serviceAccountName: my-service@acme-prod.iam.gserviceaccount.com\n", ""),
        ),
        [
            "19:5 warning no serviceAccountName in spec.template.spec: it runs as the Compute "
            "Engine default service account"
        ],
    ),
    (
        "cloudrun/service-account",
        variant(
            "job",
            (
                "my-job@my-project.iam.gserviceaccount.com",
                "123456789-compute@developer.gserviceaccount.com",
            ),
        ),
        [
            "21:31 warning 123456789-compute@developer.gserviceaccount.com is the Compute Engine "
            "default service account"
        ],
    ),
    (
        "cloudrun/label-values",
        variant(
            "service",
            ("  labels:\n    component: my-component\n", "  labels:\n    version: v1.2.3\n"),
        ),
        [
            "6:14 error label version value 'v1.2.3' (a version?) is not valid: only lowercase "
            "letters, digits, _ and - (at most 63)"
        ],
    ),
    (
        "cloudrun/job-max-retries",
        variant("job", ("          maxRetries: 3\n", "")),
        ["20:9 info no maxRetries: Cloud Run retries each failed task 3 times"],
    ),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(rule: str, text: str, expected: list[str], lint_text: LintText) -> None:
    assert lint_text(text, rule) == expected
