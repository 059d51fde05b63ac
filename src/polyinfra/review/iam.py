"""Who holds which role on what, read from planned resources: the pulumi-gcp IAM member and
binding resources, recognised by their type token and read from their inputs (never from
their logical names)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: IAM resource type -> (what the grant is on, in the reviewer's words; the input naming it).
#: Members grant one ``member``; bindings grant a ``members`` list. Policies
#: (``IAMPolicy``) replace a whole policy and are shown with the other resources.
IAM_TYPES: dict[str, tuple[str, str]] = {
    "gcp:organizations/iAMMember:IAMMember": ("organization", "orgId"),
    "gcp:organizations/iAMBinding:IAMBinding": ("organization", "orgId"),
    "gcp:folder/iAMMember:IAMMember": ("folder", "folder"),
    "gcp:folder/iAMBinding:IAMBinding": ("folder", "folder"),
    "gcp:projects/iAMMember:IAMMember": ("project", "project"),
    "gcp:projects/iAMBinding:IAMBinding": ("project", "project"),
    "gcp:secretmanager/secretIamMember:SecretIamMember": ("secret", "secretId"),
    "gcp:secretmanager/secretIamBinding:SecretIamBinding": ("secret", "secretId"),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("bucket", "bucket"),
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": ("bucket", "bucket"),
    "gcp:bigquery/datasetIamMember:DatasetIamMember": ("dataset", "datasetId"),
    "gcp:bigquery/datasetIamBinding:DatasetIamBinding": ("dataset", "datasetId"),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": ("topic", "topic"),
    "gcp:pubsub/topicIAMBinding:TopicIAMBinding": ("topic", "topic"),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ("subscription", "subscription"),
    "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding": ("subscription", "subscription"),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": ("service", "name"),
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding": ("service", "name"),
    "gcp:cloudrunv2/jobIamMember:JobIamMember": ("job", "name"),
    "gcp:cloudrunv2/jobIamBinding:JobIamBinding": ("job", "name"),
    "gcp:cloudrun/iamMember:IamMember": ("service", "service"),
    "gcp:cloudrun/iamBinding:IamBinding": ("service", "service"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("service account", "serviceAccountId"),
    "gcp:serviceaccount/iAMBinding:IAMBinding": ("service account", "serviceAccountId"),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ("repository", "repository"),
    "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding": (
        "repository",
        "repository",
    ),
}
#: The kinds a grant on is project-wide or wider.
WIDE = ("organization", "folder", "project")


@dataclass(frozen=True, order=True)
class Grant:
    """``member`` holds ``role`` on the ``kind`` resource ``target`` (for a project-wide
    grant, ``kind`` is ``project`` and ``target`` the project id)."""

    member: str
    role: str
    kind: str
    target: str

    @property
    def wide(self) -> bool:
        """Project-wide (or organization- or folder-wide)."""
        return self.kind in WIDE


def is_iam(type_token: str) -> bool:
    """Whether resources of ``type_token`` grant roles (members and bindings)."""
    return type_token in IAM_TYPES


def grants(type_token: str, inputs: Mapping[str, Any], project: str = "") -> list[Grant]:
    """The grants an IAM resource of ``type_token`` with ``inputs`` makes (``project``: the
    stack's, for a resource that names none); empty for any other type."""
    if type_token not in IAM_TYPES:
        return []
    kind, key = IAM_TYPES[type_token]
    role = _text(inputs.get("role"))
    target = _text(inputs.get(key)) or (project if kind == "project" else "")
    if kind == "service account":
        target = target.rsplit("/serviceAccounts/", 1)[-1]
    listed = inputs.get("members")
    members: Iterable[Any] = listed if isinstance(listed, list) else (inputs.get("member"),)
    return sorted({Grant(_text(m), role, kind, target) for m in members if m is not None})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))
