"""``policy/project-wide-grant``: a role that can be granted on one resource is granted there,
not on the whole project."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.stacks import StackFile
from polyinfra.foundation.grants import scoped_entry
from polyinfra.foundation.model import ProjectConfig, doc_path

#: Roles with a resource-level form, the kind of resource they are granted on, and what the
#: account may do with every resource of that kind when it holds the role on the project. Each
#: is granted on its resource in Google's access-control guides:
#: https://cloud.google.com/secret-manager/docs/manage-access-to-secrets (a secret),
#: https://cloud.google.com/storage/docs/access-control/using-iam-permissions (a bucket),
#: https://cloud.google.com/bigquery/docs/control-access-to-resources-iam (a dataset),
#: https://cloud.google.com/pubsub/docs/access-control (a topic, a subscription),
#: https://cloud.google.com/run/docs/securing/managing-access (a service or job).
SCOPABLE: dict[str, tuple[str, str]] = {
    "roles/secretmanager.secretAccessor": ("secret", "read every secret of the project"),
    "roles/run.invoker": ("job", "run every Cloud Run job and call every service"),
    "roles/storage.objectViewer": ("bucket", "read the objects of every bucket"),
    "roles/storage.objectCreator": ("bucket", "write objects into every bucket"),
    "roles/storage.objectAdmin": ("bucket", "read, write and delete the objects of every bucket"),
    "roles/pubsub.publisher": ("topic", "publish to every topic"),
    "roles/pubsub.subscriber": ("subscription", "consume every subscription"),
    "roles/bigquery.dataEditor": ("dataset", "change the tables of every dataset"),
    "roles/bigquery.dataViewer": ("dataset", "read the tables of every dataset"),
}


class ProjectWideGrant:
    """A role that can be granted on one resource (a secret, a bucket, a dataset, a topic, a
    subscription, a Cloud Run job or service) is granted there, in the project's ``iam``
    entries, not on the whole project in ``service_account_iam.roles``.

    On the project, ``roles/secretmanager.secretAccessor`` reads every secret the project
    holds, today's and tomorrow's, and ``roles/run.invoker`` runs every job and calls every
    service; on the resource, the account gets what it uses. The hint gives the entry to
    write, naming the resource when the project declares exactly one of its kind.

    Bad::

        service_account_iam:
          account_id: dmd-ingest
          roles:
            - roles/secretmanager.secretAccessor
        secrets:
          - secret_id: DMD_API_TOKEN

    Good::

        service_account_iam:
          account_id: dmd-ingest
        iam:
          - role: roles/secretmanager.secretAccessor
            resource: {secret: DMD_API_TOKEN}
        secrets:
          - secret_id: DMD_API_TOKEN
    """

    ID = "policy/project-wide-grant"
    LEVEL = Level.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        seen: set[str] = set()
        for stack in ctx.stacks:
            if not stack.valid or stack.key in seen:
                continue
            seen.add(stack.key)
            for key in stack.project_keys():
                yield from self._project(stack, key)

    def _project(self, stack: StackFile, key: str) -> Iterator[Problem]:
        section = stack.project(key)
        iam = section.service_account_iam if section is not None else None
        if section is None or iam is None:
            return
        for index, role in enumerate(iam.roles):
            if role not in SCOPABLE:
                continue
            kind, reach = SCOPABLE[role]
            model_path = ("input", "projects", key, "service_account_iam", "roles", index)
            yield Problem(
                stack.position(doc_path(stack.document, model_path), value=True),
                self.ID,
                f"{stack.key}: input:projects.{key} grants {role} on the whole project: its "
                f"service account may {reach}",
                hint=_hint(section, key, role, kind),
            )


def _hint(section: ProjectConfig, key: str, role: str, kind: str) -> str:
    """The ``iam`` entry to write instead, naming the resource when the project declares
    exactly one of its kind."""
    names = _declared(section, kind)
    scoped = {
        grant.target.name
        for grant in section.iam
        if grant.role == role and grant.member is None and grant.target.kind == kind
    }
    if names and set(names) <= scoped:
        return (
            f"remove it from service_account_iam.roles: input:projects.{key}.iam already "
            f"grants it on each {kind} the project declares"
        )
    move = f"remove it from service_account_iam.roles and add to input:projects.{key}.iam: "
    if len(names) == 1:
        return move + scoped_entry(role, kind, names[0])
    if kind == "job" and not names:
        return (
            move
            + scoped_entry(role, "service", "<service name>")
            + f" or {scoped_entry(role, 'job', '<job name>')}, one entry per service or job "
            "it calls"
        )
    what = {"secret": "secret_id", "dataset": "dataset_id"}.get(kind, "name")
    return move + scoped_entry(role, kind, f"<{what}>") + f", one entry per {kind} it uses"


def _declared(section: ProjectConfig, kind: str) -> list[str]:
    """The names of the resources of ``kind`` the project entry declares (for a job: those its
    schedulers start)."""
    if kind == "secret":
        return [secret.secret_id for secret in section.secrets]
    if kind == "bucket":
        return [bucket.name for bucket in section.cloud_storage]
    if kind == "dataset":
        dataset = section.bigquery_dataset
        return [dataset.dataset_id] if dataset is not None else []
    if kind == "topic":
        return [topic.name for topic in section.pubsub_topics]
    if kind == "subscription":
        return [s.name for topic in section.pubsub_topics for s in topic.subscriptions]
    return sorted({job.target_job for job in section.cloud_scheduler})
