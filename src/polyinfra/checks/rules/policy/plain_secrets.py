"""``policy/no-plain-secrets``: a secret is mounted from Secret Manager, never written into an
env ``value``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import containers
from polyinfra.redact import secret_name

_PLACEHOLDER = re.compile(r"^[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*$")


class NoPlainSecrets:
    """An env var named after a secret the environment's stack declares takes it from Secret
    Manager (``valueFrom.secretKeyRef``), never as a plain ``value``.

    A plain value is stored in the manifest, in git and in every revision's configuration,
    readable by anyone who can view the service. Names that read like a credential
    (``*_TOKEN``, ``*PASSWORD*``...) are reported by ``cloudrun/secret-literal`` whatever the
    stack declares; this rule adds the names only the stack knows are secrets.

    The examples assume the stack declares ``secret_id: DMD_SIGNING_SALT``.

    Bad::

        - name: DMD_SIGNING_SALT
          value: 9f8e7d6c

    Good::

        - name: DMD_SIGNING_SALT
          valueFrom:
            secretKeyRef:
              name: DMD_SIGNING_SALT
              key: latest
    """

    ID = "policy/no-plain-secrets"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.cloud_run():
            stack = ctx.stack_for_env(manifest.env) if manifest.env else None
            declared = set(stack.secrets()) if stack is not None else set()
            if not declared:
                continue
            for path, container in containers(manifest):
                env = container.get("env")
                for index, var in enumerate(env if isinstance(env, list) else []):
                    if not isinstance(var, dict) or not isinstance(var.get("name"), str):
                        continue
                    name, value = var["name"], var.get("value")
                    if not isinstance(value, str) or not value or _PLACEHOLDER.match(value):
                        continue
                    if name not in declared or secret_name(name):
                        continue
                    # the message names the variable, never its value
                    yield Problem(
                        manifest.position((*path, "env", index, "value"), value=True),
                        self.ID,
                        f"{manifest.app or manifest.name}"
                        f"{f' ({manifest.env})' if manifest.env else ''}: env {name} is given "
                        "as a plain value, but the stack declares it as a secret",
                        hint="use valueFrom.secretKeyRef with the declared secret",
                    )
