"""A small base for Cloud Run rules: iterate services/jobs and build problems at key paths."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.yamlio import KeyPath


class CloudRunRule:
    """Subclasses set ``ID``/``LEVEL``/docstring and implement ``check_manifest``."""

    ID = ""
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.cloud_run():
            yield from self.check_manifest(manifest, ctx)

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        raise NotImplementedError

    def problem(
        self,
        manifest: Manifest,
        path: KeyPath,
        message: str,
        hint: str | None = None,
        *,
        value: bool = True,
        sensitive: bool = False,
    ) -> Problem:
        """A problem at ``path``'s value (or its key with ``value=False``)."""
        position = manifest.position(path, value=value)
        return Problem(position, self.ID, message, hint=hint, sensitive=sensitive)
