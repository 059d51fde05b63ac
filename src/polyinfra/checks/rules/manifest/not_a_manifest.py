"""``manifest/not-a-manifest``: a named file whose document is no Kubernetes-style object."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem


class NotAManifest:
    """A file named on the command line whose YAML document has no ``apiVersion`` and ``kind``
    is not a manifest, so no rule can check it. (Files found by walking a folder are skipped
    silently instead.)

    Nothing is deployed from it, so nothing breaks: a warning that the file was not checked.

    Bad::

        name: api
        image: gcr.io/acme/api:v1

    Good::

        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata:
          name: api
    """

    ID = "manifest/not-a-manifest"
    LEVEL = Level.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.manifests:
            if not (manifest.api_version and manifest.kind):
                yield Problem(
                    manifest.position(),
                    self.ID,
                    "not a Kubernetes-style object (no apiVersion and kind): nothing to check",
                )
