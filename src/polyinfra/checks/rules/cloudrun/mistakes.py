"""The spec's common startup-probe mistakes: settings that fail a deploy that would succeed."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import as_int, ingress_container

#: A startup window (``initialDelaySeconds + failureThreshold * periodSeconds``: how long
#: Cloud Run waits for the first successful probe) this long or longer leaves room for a
#: cold start (image pull, interpreter start, imports) whatever the three settings are.
#: Real manifests that run use windows of 50-300 s; the spec's recommended settings give
#: 35 s (5 + 3 x 10), and each of its three mistakes shortens a window under 50 s.
SHORT_WINDOW = 50
#: The Probe defaults of the Cloud Run Admin API (run.v1 Probe): no delay, every 10 s, three
#: failures allowed.
_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "failureThreshold": 3}


def startup_window(probe: dict[str, object]) -> int | None:
    """How long Cloud Run waits for ``probe`` to succeed, in seconds (None when a value is not
    a number: a placeholder, or the schema rules' finding)."""
    values: dict[str, int] = {}
    for name, default in _DEFAULTS.items():
        raw = probe.get(name)
        value = default if raw is None else as_int(raw)
        if value is None:
            return None
        values[name] = value
    return values["initialDelaySeconds"] + values["failureThreshold"] * values["periodSeconds"]


class _StartupProbeSetting(CloudRunRule):
    """One of the spec's three startup-probe mistakes. Cloud Run accepts the setting; with a
    short window it fails a deploy whose container starts a little slowly, so it is a
    warning. It is reported only where it can do that: a value written on a Service's
    ingress container (a sidecar's probe only orders the containers' start; a default is
    Cloud Run's choice, not the user's) whose startup window is under :data:`SHORT_WINDOW`
    seconds."""

    FIELD = ""
    BAD = 0
    WHY = ""
    HINT = ""
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_service:
            return
        ingress = ingress_container(manifest)
        if ingress is None:
            return
        probe_path = (*ingress.path, "startupProbe")
        probe = manifest.get(probe_path)
        if not isinstance(probe, dict) or probe.get(self.FIELD) is None:
            return
        window = startup_window(probe)
        if as_int(probe[self.FIELD]) != self.BAD or window is None or window >= SHORT_WINDOW:
            return
        yield self.problem(
            manifest,
            (*probe_path, self.FIELD),
            f"startupProbe {self.FIELD}: {self.BAD} in container {ingress.name}: {self.WHY} "
            f"(the container has {window} s to start)",
            hint=self.HINT,
        )


class StartupFailureThreshold(_StartupProbeSetting):
    """A startup probe with ``failureThreshold: 1`` fails the container on the first probe
    that fails, so a slow first start fails the deploy. Allow a few failures. Cloud Run's own
    default TCP probe (one try with a 240 s period) has a long window and is not reported.

    Cloud Run accepts the setting; with a short window it fails the deploy, hence a warning.

    Bad::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    periodSeconds: 10
                    failureThreshold: 1

    Good::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    periodSeconds: 10
                    failureThreshold: 6
    """

    ID = "cloudrun/startup-failure-threshold"
    FIELD = "failureThreshold"
    BAD = 1
    WHY = "the container fails on the first failed probe"
    HINT = "use failureThreshold: 3"


class StartupInitialDelay(_StartupProbeSetting):
    """A startup probe with ``initialDelaySeconds: 0`` written on it probes before the
    application can have started; with a short window the failures it counts meanwhile fail
    the deploy. Give it a few seconds, or a longer window.

    Cloud Run accepts the setting; with a short window it fails the deploy, hence a warning.

    Bad::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    initialDelaySeconds: 0

    Good::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    initialDelaySeconds: 5
                    failureThreshold: 5
    """

    ID = "cloudrun/startup-initial-delay"
    FIELD = "initialDelaySeconds"
    BAD = 0
    WHY = "it probes before the application can start"
    HINT = "use initialDelaySeconds: 5"


class StartupTimeout(_StartupProbeSetting):
    """A startup probe with ``timeoutSeconds: 1`` written on it counts every answer slower
    than a second as a failure, and a first response during initialization often is; with a
    short window that fails the deploy.

    Cloud Run accepts the setting; with a short window it fails the deploy, hence a warning.

    Bad::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    timeoutSeconds: 1

    Good::

              containers:
                - image: gcr.io/acme/api:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    timeoutSeconds: 5
                    periodSeconds: 10
                    failureThreshold: 5
    """

    ID = "cloudrun/startup-timeout"
    FIELD = "timeoutSeconds"
    BAD = 1
    WHY = "too short for a slow first response"
    HINT = "use timeoutSeconds: 5 (and periodSeconds of at least that)"
