"""The spec's common startup-probe mistakes: settings that fail a deploy that would succeed."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import as_int, containers

#: Cloud Run's own default TCP startup probe (what `gcloud run services describe` exports):
#: one try with a 240 s period. It is not the fast-failing mistake these rules are about.
_DEFAULT_TCP_PERIOD = 240


class _StartupProbeSetting(CloudRunRule):
    FIELD = ""
    BAD = 0
    DEFAULT = 0
    WHY = ""
    HINT = ""
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            probe_path = (*container.path, "startupProbe")
            probe = manifest.get(probe_path)
            if not isinstance(probe, dict):
                continue
            if (as_int(probe.get("periodSeconds")) or 0) >= _DEFAULT_TCP_PERIOD:
                continue
            raw = probe.get(self.FIELD)
            value = as_int(raw) if raw is not None else self.DEFAULT
            if value == self.BAD:
                default = " (the default)" if raw is None else ""
                yield self.problem(
                    manifest,
                    (*probe_path, self.FIELD) if raw is not None else probe_path,
                    f"startupProbe {self.FIELD}: {self.BAD}{default} in container "
                    f"{container.name}: {self.WHY}",
                    hint=self.HINT,
                    value=raw is not None,
                )


class StartupFailureThreshold(_StartupProbeSetting):
    """A startup probe with ``failureThreshold: 1`` fails the container on the first probe
    that fails, so a slow first start fails the deploy. Allow a few failures (3 gives a window
    of about 35 s with the spec's settings). Cloud Run's own default TCP probe (one try with a
    240 s period) is not reported.

    Bad::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                failureThreshold: 1

    Good::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                failureThreshold: 3
    """

    ID = "cloudrun/startup-failure-threshold"
    FIELD = "failureThreshold"
    BAD = 1
    DEFAULT = 3
    WHY = "the container fails on the first failed probe"
    HINT = "use failureThreshold: 3"


class StartupInitialDelay(_StartupProbeSetting):
    """A startup probe with ``initialDelaySeconds: 0`` (also the default) probes before the
    application can have started; give it a few seconds.

    Bad::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                initialDelaySeconds: 0

    Good::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                initialDelaySeconds: 5
    """

    ID = "cloudrun/startup-initial-delay"
    FIELD = "initialDelaySeconds"
    BAD = 0
    DEFAULT = 0
    WHY = "it probes before the application can start"
    HINT = "use initialDelaySeconds: 5"


class StartupTimeout(_StartupProbeSetting):
    """A startup probe with ``timeoutSeconds: 1`` (also the default) is too short for a slow
    first response during initialization.

    Bad::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                timeoutSeconds: 1

    Good::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                timeoutSeconds: 5
                periodSeconds: 10
    """

    ID = "cloudrun/startup-timeout"
    FIELD = "timeoutSeconds"
    BAD = 1
    DEFAULT = 1
    WHY = "too short for a slow first response"
    HINT = "use timeoutSeconds: 5 (and periodSeconds of at least that)"
