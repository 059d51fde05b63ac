"""Secrets an app reads: declared by the stack, readable by the app's service account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import (
    Workload,
    containers,
    granted_in_plan,
    workloads,
)
from polyinfra.checks.stacks import SECRET_READER_ROLES
from polyinfra.cloudrun.vocabulary import SECRETS_ANNOTATION, TEMPLATE_META
from polyinfra.foundation.grants import scoped_entry
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean

SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class SecretRef:
    """A secret a workload mounts: its Secret Manager project and id, and where it is named."""

    project: str | None
    secret: str
    position: Position


def secret_refs(item: Workload) -> list[SecretRef]:
    """Secrets named in the ``run.googleapis.com/secrets`` annotation and in ``secretKeyRef``
    (an alias of the annotation, else a secret of the app's own project)."""
    refs: list[SecretRef] = []
    aliases: dict[str, tuple[str | None, str]] = {}
    path = (*TEMPLATE_META, "annotations", SECRETS_ANNOTATION)
    annotation = item.manifest.get(path)
    if isinstance(annotation, str):
        for entry in filter(None, (part.strip() for part in annotation.split(","))):
            alias, _, reference = entry.partition(":")
            parts = reference.split("/")
            if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "secrets":
                aliases[alias] = (parts[1], parts[3])
                refs.append(SecretRef(parts[1], parts[3], item.at(path)))
    for container_path, container in containers(item.manifest):
        env = container.get("env")
        for index, var in enumerate(env if isinstance(env, list) else []):
            ref = var.get("valueFrom", {}).get("secretKeyRef") if isinstance(var, dict) else None
            name = ref.get("name") if isinstance(ref, dict) else None
            if not isinstance(name, str):
                continue
            if name in aliases:
                continue
            where = item.at((*container_path, "env", index, "valueFrom", "secretKeyRef", "name"))
            refs.append(SecretRef(None, name, where))
    return refs


class SecretDeclared:
    """Every secret an app mounts (``run.googleapis.com/secrets`` and ``secretKeyRef``) is
    declared in the environment's stack file, in the stack's project.

    Secret values are added out of band, but the secret itself belongs to the foundation stack;
    a secret the stack does not declare is missing (or unmanaged) in a fresh environment.

    Bad::

        # the stack declares secrets: [{secret_id: DMD_API_TOKEN}]
        value: "API_TOKEN:projects/data-platform-prod/secrets/DMD_TOKEN"

    Good::

        value: "API_TOKEN:projects/data-platform-prod/secrets/DMD_API_TOKEN"
    """

    ID = "crossstack/secret-declared"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in workloads(ctx):
            declared = item.stack.secrets()
            project = item.stack.gcp_project
            for ref in secret_refs(item):
                if ref.project is not None and ref.project != project:
                    yield Problem(
                        ref.position,
                        self.ID,
                        f"{item.app.name} ({item.env}) reads secret {ref.secret} of project "
                        f"{ref.project!r}, but the stack's project is {project!r}",
                        hint=f"use projects/{project}/secrets/{ref.secret}",
                    )
                elif ref.secret not in declared:
                    yield Problem(
                        ref.position,
                        self.ID,
                        f"{item.app.name} ({item.env}) reads secret {ref.secret}, which "
                        f"{item.stack.path.name} does not declare"
                        f"{did_you_mean(ref.secret, list(declared))}",
                        hint="declare it under input:projects.<name>.secrets "
                        "(`- secret_id: NAME`) or fix the name",
                    )


class SecretReadable:
    """The app's service account may read the secrets it mounts: the stack grants it
    ``roles/secretmanager.secretAccessor`` on each secret (an ``iam`` entry), or on the project.

    Without the role the revision fails to start with a permission error on the secret. A grant
    the Pulumi program adds itself (a ``secretmanager.SecretIamMember`` on the secret, or a
    ``projects.IAMMember``) counts too: it is read from the foundation plan.

    Bad::

        service_account:
          account_id: dmd-ingest
        secrets:
          - secret_id: DMD_API_TOKEN

    Good::

        service_account:
          account_id: dmd-ingest
        iam:
          - role: roles/secretmanager.secretAccessor
            resource: {secret: DMD_API_TOKEN}
        secrets:
          - secret_id: DMD_API_TOKEN
    """

    ID = "crossstack/secret-readable"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in workloads(ctx):
            email = item.service_account
            account = item.stack.service_accounts().get(email or "")
            refs = [r for r in secret_refs(item) if r.secret in item.stack.secrets()]
            if account is None or not refs:
                continue
            if SECRET_READER_ROLES & set(item.stack.roles_of(account.project)):
                continue
            refs = [r for r in refs if not _granted(ctx, item, r.secret, email or "")]
            if not refs:
                continue
            names = sorted({r.secret for r in refs})
            yield Problem(
                item.stack.grant_position(account.project),
                self.ID,
                f"{email} cannot read {', '.join(names)}: input:projects.{account.project} "
                f"grants it {SECRET_ACCESSOR} neither on "
                f"{'the secret' if len(names) == 1 else 'these secrets'} nor on the project",
                hint=f"add to input:projects.{account.project}.iam: "
                + ", ".join(scoped_entry(SECRET_ACCESSOR, "secret", name) for name in names),
            )


_SECRET_GRANTS = frozenset(
    {
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "gcp:secretmanager/secretIamBinding:SecretIamBinding",
    }
)


def _granted(ctx: CheckContext, item: Workload, secret: str, email: str) -> bool:
    """A grant on the secret: an ``iam`` entry, else one the program adds (read from the plan,
    which is made only when needed)."""
    if item.stack.granted_on(email, SECRET_READER_ROLES, "secret", secret) is not None:
        return True
    return granted_in_plan(
        ctx, item.stack, email, SECRET_READER_ROLES, _SECRET_GRANTS, ("secretId", secret)
    )
