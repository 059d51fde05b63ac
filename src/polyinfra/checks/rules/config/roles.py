"""Roles a stack file grants that Google lists as deprecated."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.foundation.model import display_path, doc_path
from polyinfra.foundation.validation import granted_roles
from polyinfra.values import deprecated_role


class DeprecatedRole:
    """A role granted in a stack file (``service_account_iam.roles``,
    ``workload_identity.deployer.roles``) is a predefined role whose launch stage Google lists
    as DEPRECATED.

    Granting it still works, but Google may remove the role; the warning gives its title and
    where Google lists the roles to choose a replacement from
    (https://cloud.google.com/iam/docs/roles-permissions). The list of roles and their launch
    stages ships with polyinfra (``data/gcp-predefined-roles.tsv``); custom roles
    (``projects/<project>/roles/<id>``) are never reported. ``plan`` prints the same warning.

    Bad::

        config:
          input:projects:
            dmd-ingest:
              service_account_iam:
                roles:
                  - roles/servicebroker.admin

    Good::

        config:
          input:projects:
            dmd-ingest:
              service_account_iam:
                roles:
                  - roles/run.invoker
    """

    ID = "config/deprecated-role"
    LEVEL = Level.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        seen = set()
        for stack in ctx.stacks:
            if stack.model is None or stack.path in seen:
                continue
            seen.add(stack.path)
            for path, role in granted_roles(stack.model):
                deprecated = deprecated_role(role)
                if deprecated is not None:
                    message, hint = deprecated
                    yield Problem(
                        stack.position(doc_path(stack.document, path), value=True),
                        self.ID,
                        f"{display_path(path)}: {message}",
                        hint=hint,
                    )
