"""``manifest/invalid-yaml``: an input file that is not readable YAML."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem


class InvalidYaml:
    """A manifest file must be UTF-8 YAML; nothing else in the file can be checked until it is.

    Files that fail to parse because they are templates for another tool (``%VAR%``,
    ``{{ .Values.x }}``) are reported by ``manifest/unrendered-template`` instead.

    Nothing is deployed from it: Cloud Run rejects text that is not a manifest.

    Bad::

        metadata:
          name: api
           labels: {}

    Good::

        metadata:
          name: api
          labels: {}
    """

    ID = "manifest/invalid-yaml"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in ctx.unreadable:
            if item.placeholder is None:
                yield Problem(item.position, self.ID, item.message, hint=item.hint)
