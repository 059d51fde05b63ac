"""``policy/no-plain-secrets``: a secret is mounted from Secret Manager, never written into an
env ``value``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import containers

#: Env var names that hold credentials.
SECRET_NAME = re.compile(
    r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_KEY|CREDENTIALS?)($|_)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*$")


class NoPlainSecrets:
    """Env vars that carry a secret (named like a token, password or key, or named after a
    secret the stack declares) take it from Secret Manager (``valueFrom.secretKeyRef``), never
    as a plain ``value``.

    A plain value is stored in the manifest, in git and in every revision's configuration,
    readable by anyone who can view the service.

    Bad::

        - name: API_TOKEN
          value: s3cr3t-t0ken

    Good::

        - name: API_TOKEN
          valueFrom:
            secretKeyRef:
              name: API_TOKEN
              key: latest
    """

    ID = "policy/no-plain-secrets"
    LEVEL = Level.ERROR
    AREA = "policy"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.cloud_run():
            stack = ctx.stack_for_env(manifest.env) if manifest.env else None
            declared = set(stack.secrets()) if stack and stack.document else set()
            for path, container in containers(manifest):
                env = container.get("env")
                for index, var in enumerate(env if isinstance(env, list) else []):
                    if not isinstance(var, dict) or not isinstance(var.get("name"), str):
                        continue
                    name, value = var["name"], var.get("value")
                    if not isinstance(value, str) or not value or _PLACEHOLDER.match(value):
                        continue
                    if not (SECRET_NAME.search(name) or name in declared):
                        continue
                    # the message names the variable, never its value
                    yield Problem(
                        manifest.position((*path, "env", index, "value"), value=True),
                        self.ID,
                        f"{manifest.app or manifest.name}"
                        f"{f' ({manifest.env})' if manifest.env else ''}: env {name} is given "
                        "as a plain value; it looks like a secret",
                        hint="store it in Secret Manager, declare it in the stack's secrets, "
                        "and use valueFrom.secretKeyRef",
                    )
