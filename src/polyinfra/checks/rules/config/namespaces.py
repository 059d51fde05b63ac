"""Stack-file keys whose namespace looks like a typo of one polyinfra reads."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.foundation.keys import misspelt_key


class NamespaceTypo:
    """A stack-file key whose namespace is one letter or so away from ``gcp:``, ``input:`` or
    ``label:`` and whose name is one that namespace reads.

    polyinfra reads the ``gcp:``, ``input:`` and ``label:`` keys; every other namespace (the
    Pulumi project's own, other providers') belongs to the program and is passed to it
    untouched, so a misspelt namespace is not an error: the setting is silently not applied.
    The Pulumi project's own namespace (``name`` in ``Pulumi.yaml``) is never reported.

    Bad::

        config:
          gcp:project: data-platform-prod
          inptu:environment: production
          lable:team: data

    Good::

        config:
          gcp:project: data-platform-prod
          input:environment: production
          label:team: data
          data-platform:db_tier: small   # the program's own setting
    """

    ID = "config/namespace-typo"
    LEVEL = Level.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        seen = set()
        for stack in ctx.stacks:
            if stack.document is None or stack.path in seen:
                continue
            seen.add(stack.path)
            config = stack.document.get(("config",))
            if not isinstance(config, dict):
                continue
            programs = ws.programs if ws is not None else ()
            project = next((p.name for p in programs if p.path == stack.path.parent), None)
            for key in config:
                meant = misspelt_key(str(key), project)
                if meant is not None:
                    yield Problem(
                        stack.position(("config", key)),
                        self.ID,
                        f"config key '{key}' goes to the program untouched: polyinfra reads "
                        "only gcp:, input: and label: keys",
                        hint=f"did you mean '{meant}'?",
                    )
