"""Who an app runs as and where: its service account and its namespace, against the stack."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.checks.rules.crossstack.workload import workloads
from polyinfra.checks.rules.workspace.apps import load_kustomization_document
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import Workspace


def is_external(email: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(email, pattern) for pattern in patterns)


class ServiceAccountExists:
    """The overlay's ``serviceAccountName`` is created by the environment's foundation stack
    (``<account_id>@<gcp:project>.iam.gserviceaccount.com``) or declared external in
    ``[tool.polyinfra] external_service_accounts``.

    The foundation stack is deployed apart from the apps; an app that runs as an account the
    stack never created fails at deploy time. An app that sets no account is reported by
    ``cloudrun/service-account`` (Cloud Run accepts it and runs the app as the project's
    default compute account).

    Bad::

        # Pulumi.production.yaml creates account_id: dmd-ingest in data-platform-prod
        - op: add
          path: /spec/template/spec/template/spec/serviceAccountName
          value: dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com

    Good::

        - op: add
          path: /spec/template/spec/template/spec/serviceAccountName
          value: dmd-ingest@data-platform-prod.iam.gserviceaccount.com
    """

    ID = "crossstack/service-account-exists"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        external = ws.settings.external_service_accounts if ws else []
        for item in workloads(ctx):
            email = item.service_account
            accounts = item.stack.service_accounts()
            stack_file = ws.rel(item.stack.path) if ws else str(item.stack.path)
            if email is None or email in accounts or is_external(email, external):
                continue
            yield Problem(
                item.at(item.service_account_path),
                self.ID,
                f"{item.app.name} ({item.env}) runs as {email}, which {stack_file} does not "
                f"create{did_you_mean(email, list(accounts))}",
                hint="use an account of the stack's input:projects.<name>.service_account, or "
                "list it in [tool.polyinfra] external_service_accounts",
            )


class NamespaceProject(WorkspaceRule):
    """The overlay's ``namespace`` is the environment's Google Cloud project (``gcp:project``
    of the stack file).

    Cloud Run deploys to the namespace's project; an overlay pointing at another project
    deploys next to none of the resources its foundation stack created.

    Bad::

        # Pulumi.production.yaml: gcp:project: data-platform-prod
        namespace: data-platform-sandbox

    Good::

        namespace: data-platform-prod
    """

    ID = "crossstack/namespace-project"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in ctx.workspace_apps():
            for env, overlay in sorted(app.overlays.items()):
                stack = ctx.stack_for_env(env)
                if stack is None or not stack.valid or stack.gcp_project is None:
                    continue
                doc = load_kustomization_document(overlay.kustomization)
                if doc is None:
                    continue
                namespace = doc.get(("namespace",))
                if not isinstance(namespace, str) or namespace == stack.gcp_project:
                    continue
                yield Problem(
                    doc.position(("namespace",), value=True),
                    self.ID,
                    f"overlay {env!r} of {app.name} deploys to namespace {namespace!r}, but "
                    f"{ws.rel(stack.path)} sets gcp:project {stack.gcp_project!r}",
                    hint=f"set `namespace: {stack.gcp_project}`",
                )
