"""Schema rules: every field of a Cloud Run Service or Job against the Admin API v1 schema."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.schema_walk import schema_findings


class _SchemaRule:
    ID = ""

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for found in ctx.shared(schema_findings):
            if found.rule == self.ID:
                position = found.manifest.position(found.path, value=found.at_value)
                yield Problem(
                    position, self.ID, found.message, hint=found.hint, sensitive=found.sensitive
                )


class UnknownField(_SchemaRule):
    """Every field of a Service (``serving.knative.dev/v1``) or Job (``run.googleapis.com/v1``)
    must exist in the Cloud Run Admin API v1 schema; an unknown field is a typo or a field from
    another API. Cloud Run rejects the manifest at deploy time.

    Bad::

        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  enviroment:
                    - name: MODE
                      value: prod

    Good::

        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: MODE
                      value: prod
    """

    ID = "cloudrun/unknown-field"
    LEVEL = Level.ERROR


class MisplacedField(_SchemaRule):
    """A field Cloud Run has, but at another nesting level: most often a Job's task fields
    (``timeoutSeconds``, ``maxRetries``, ``containers``) put on the execution template
    ``spec.template.spec`` instead of the task template ``spec.template.spec.template.spec``.

    Cloud Run rejects the manifest (the field is unknown where it stands).

    Bad::

        apiVersion: run.googleapis.com/v1
        kind: Job
        spec:
          template:
            spec:
              timeoutSeconds: 3600
              template:
                spec:
                  containers: [{image: gcr.io/acme/etl:v1}]

    Good::

        apiVersion: run.googleapis.com/v1
        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  timeoutSeconds: 3600
                  containers: [{image: gcr.io/acme/etl:v1}]
    """

    ID = "cloudrun/misplaced-field"
    LEVEL = Level.ERROR


class KubernetesField(_SchemaRule):
    """Kubernetes Pod, Deployment and Job fields that Cloud Run does not have
    (``backoffLimit``, ``restartPolicy``, ``replicas``, ``initContainers``...). The message
    says what Cloud Run uses instead.

    Cloud Run rejects the manifest: the field is not in its API.

    Bad::

        apiVersion: run.googleapis.com/v1
        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{image: gcr.io/acme/etl:v1}]

    Good::

        apiVersion: run.googleapis.com/v1
        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  maxRetries: 0
                  containers: [{image: gcr.io/acme/etl:v1}]
    """

    ID = "cloudrun/kubernetes-field"
    LEVEL = Level.ERROR


class SchemaType(_SchemaRule):
    """A value of the wrong type: a number where the API wants a string (annotation and label
    values, ``resources.limits`` quantities, env values), a quoted ``"true"`` for a boolean, a
    mapping for a list, an integer beyond 32 bits. ``gcloud`` and the API reject these.

    Cloud Run rejects the manifest.

    Bad::

        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/maxScale: 10
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: WORKERS
                      value: 4

    Good::

        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/maxScale: "10"
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: WORKERS
                      value: "4"
    """

    ID = "cloudrun/schema-type"
    LEVEL = Level.ERROR


class StringInteger(_SchemaRule):
    """An integer field written as a quoted string (``containerConcurrency: '80'``). The Admin
    API's JSON mapping accepts it, but Knative tooling, ``kubectl`` schema checks and kustomize
    replacements treat it as a string: write the number. (Fields the API itself types as 64-bit
    strings, such as a Job task's ``timeoutSeconds``, accept both.)

    Cloud Run accepts it, hence a warning.

    Bad::

              containerConcurrency: '80'
              containers:
                - ports:
                    - containerPort: '8080'

    Good::

              containerConcurrency: 80
              containers:
                - ports:
                    - containerPort: 8080
    """

    ID = "cloudrun/string-integer"
    LEVEL = Level.WARNING


class UnsupportedField(_SchemaRule):
    """Kubernetes fields that the Cloud Run Admin API v1 schema carries but documents as "Not
    supported by Cloud Run": ``envFrom``, ``securityContext``, ``imagePullSecrets``,
    ``exec`` probes, ``configMap`` volumes and ``configMapKeyRef``, ``httpGet.host``/``scheme``,
    ``finalizers``, ``ownerReferences``...

    Cloud Run accepts the field and does not act on it: the setting silently does nothing,
    hence a warning.

    Bad::

                - image: gcr.io/acme/api:v1
                  envFrom:
                    - configMapRef: {name: api-config}
                  livenessProbe:
                    exec: {command: [/bin/healthy]}

    Good::

                - image: gcr.io/acme/api:v1
                  env:
                    - {name: MODE, value: prod}
                  livenessProbe:
                    httpGet: {path: /health_check, port: 8080}
    """

    ID = "cloudrun/unsupported-field"
    LEVEL = Level.WARNING
