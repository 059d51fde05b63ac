"""``manifest/invalid-yaml``: an input file that is not readable YAML."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem


class InvalidYaml:
    """A manifest file must be UTF-8 YAML; nothing else in the file can be checked until it is.

    Templates for other tools (Terraform ``%{ if }``, Helm ``{{- if }}``) often are not YAML
    before they are rendered: check the rendered output instead.

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
    AREA = "manifest"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in ctx.unreadable:
            yield Problem(item.position, self.ID, item.message, hint=item.hint)
