"""``input:projects.<name>.iam[]``: a role granted on one resource (a secret, a bucket, a Cloud
Run job...) rather than on the whole project, by default to the project's own service account.

A grant names its resource by kind, ``resource: {secret: DMD_API_TOKEN}``: a resource this stack
creates by the name it declares, or an existing one by its full name
(``projects/<project>/secrets/<id>``). Cloud Run services and jobs are never the stack's own
(the apps deploy them): a short name is one in the stack's project and the grant's
``location`` (default ``gcp:region``).

The key is ``resource``, not ``on``: Pulumi reads stack files as YAML 1.1, where a bare ``on``
is the boolean true.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from polyinfra.foundation.naming import make_resource_name
from polyinfra.values import InvalidValue
from polyinfra.values.cloudrun import cloud_run_name
from polyinfra.values.types import IamMember, Region, Role

_PROJECT = r"(?P<project>[a-z][a-z0-9.:-]{4,61}[a-z0-9])"
_LOCATION = r"(?P<location>[a-z]+-[a-z]+[0-9]+)"


@dataclass(frozen=True)
class Kind:
    """A kind of resource a grant can be on, and the pulumi-gcp resource that grants on it."""

    key: str
    #: how the stack declares one (empty: the stack never creates this kind)
    declared: str
    #: the full name of an existing one
    full: str
    pattern: re.Pattern[str]
    #: the API the grant waits for, when the stack enables it
    api: str
    #: the prefix of the grant's logical name, and its type token
    prefix: str
    type: str


def _kind(key: str, declared: str, full: str, name: str, api: str, prefix: str, type_: str) -> Kind:
    pattern = re.compile(
        full.replace("<project>", _PROJECT)
        .replace("<location>", _LOCATION)
        .replace(full[full.rindex("<") :], f"(?P<name>{name})"),
        re.ASCII,
    )
    return Kind(key, declared, full, pattern, api, prefix, type_)


#: Every kind, with the full-name forms pulumi-gcp's IAM member resources resolve (their
#: "Used to find the parent resource to bind the IAM policy to" arguments) and, for a bucket,
#: the resource name IAM gives one (https://cloud.google.com/iam/docs/
#: conditions-resource-attributes#resource-name: ``projects/_/buckets/BUCKET_NAME``).
KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        _kind(
            "secret",
            "secrets[].secret_id",
            "projects/<project>/secrets/<secret_id>",
            r"[A-Za-z0-9_-]{1,255}",
            "secretmanager.googleapis.com",
            "secretiammember",
            "gcp:secretmanager/secretIamMember:SecretIamMember",
        ),
        _kind(
            "bucket",
            "cloud_storage[].name",
            "projects/_/buckets/<name>",
            r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]",
            "storage.googleapis.com",
            "bucketiammember",
            "gcp:storage/bucketIAMMember:BucketIAMMember",
        ),
        _kind(
            "dataset",
            "bigquery_dataset.dataset_id",
            "projects/<project>/datasets/<dataset_id>",
            r"[A-Za-z0-9_]{1,1024}",
            "bigquery.googleapis.com",
            "datasetiammember",
            "gcp:bigquery/datasetIamMember:DatasetIamMember",
        ),
        _kind(
            "topic",
            "pubsub_topics[].name",
            "projects/<project>/topics/<name>",
            r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}",
            "pubsub.googleapis.com",
            "topiciammember",
            "gcp:pubsub/topicIAMMember:TopicIAMMember",
        ),
        _kind(
            "subscription",
            "pubsub_topics[].subscriptions[].name",
            "projects/<project>/subscriptions/<name>",
            r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}",
            "pubsub.googleapis.com",
            "subscriptioniammember",
            "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        ),
        _kind(
            "service",
            "",
            "projects/<project>/locations/<location>/services/<name>",
            r"[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?",
            "run.googleapis.com",
            "serviceiammember",
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        ),
        _kind(
            "job",
            "",
            "projects/<project>/locations/<location>/jobs/<name>",
            r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
            "run.googleapis.com",
            "jobiammember",
            "gcp:cloudrunv2/jobIamMember:JobIamMember",
        ),
        _kind(
            "service_account",
            "service_account.account_id",
            "projects/<project>/serviceAccounts/<email>",
            r"[^/@\s]+@[^/@\s]+",
            "iam.googleapis.com",
            "serviceaccountiammember",
            "gcp:serviceaccount/iAMMember:IAMMember",
        ),
    )
}
#: The kinds named by a Cloud Run name (deployed by the apps, never by the stack).
CLOUD_RUN_KINDS = ("service", "job")


@dataclass(frozen=True)
class Target:
    """The resource a grant is on: its kind and own name (a secret id, a bucket name, a
    service account's email in a full name), and the project and location a full name gives."""

    kind: str
    name: str
    project: str | None = None
    location: str | None = None
    #: named by its full name (an existing resource), not by the name the stack declares
    full: bool = False

    def in_project(self, gcp_project: str | None) -> bool:
        """Whether the resource is in ``gcp_project`` (a short name always is)."""
        return self.project is None or self.project == gcp_project


def parse_target(kind: str, value: str) -> Target:
    """The target ``value`` names: a full name of ``kind`` or a short one.

    >>> parse_target("secret", "projects/acme-prod/secrets/API_KEY")
    Target(kind='secret', name='API_KEY', project='acme-prod', location=None, full=True)
    >>> parse_target("job", "dmd-inv-mov-api2bq")
    Target(kind='job', name='dmd-inv-mov-api2bq', project=None, location=None, full=False)
    """
    found = KINDS[kind].pattern.fullmatch(value) if "/" in value else None
    if found is None:
        return Target(kind, value)
    groups = found.groupdict()
    return Target(kind, groups["name"], groups.get("project"), groups.get("location"), True)


class GrantTarget(BaseModel):
    """``iam[].resource``: the one resource a grant is on, ``{<kind>: <name>}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: str | None = Field(
        default=None,
        description="A secret_id of this stack's secrets, or projects/<project>/secrets/<id>.",
    )
    bucket: str | None = Field(
        default=None,
        description="A bucket of this stack's cloud_storage, or projects/_/buckets/<name>.",
    )
    dataset: str | None = Field(
        default=None,
        description="This stack's bigquery_dataset.dataset_id, or "
        "projects/<project>/datasets/<dataset_id>.",
    )
    topic: str | None = Field(
        default=None,
        description="A topic of this stack's pubsub_topics, or projects/<project>/topics/<name>.",
    )
    subscription: str | None = Field(
        default=None,
        description="A subscription of this stack's pubsub_topics, or "
        "projects/<project>/subscriptions/<name>.",
    )
    service: str | None = Field(
        default=None,
        description="A Cloud Run service of the stack's project in the grant's location, or "
        "projects/<project>/locations/<location>/services/<name>.",
    )
    job: str | None = Field(
        default=None,
        description="A Cloud Run job of the stack's project in the grant's location, or "
        "projects/<project>/locations/<location>/jobs/<name>.",
    )
    service_account: str | None = Field(
        default=None,
        description="A service_account.account_id of this stack, or "
        "projects/<project>/serviceAccounts/<email>.",
    )

    @model_validator(mode="after")
    def _one_resource(self) -> GrantTarget:
        named = [key for key in KINDS if getattr(self, key) is not None]
        if len(named) != 1:
            raise InvalidValue(
                "a grant is on one resource: `resource: {<kind>: <name>}`"
                + (f", not {len(named)} ({', '.join(named)})" if named else ""),
                "kinds: " + ", ".join(KINDS) + "; write one grant per resource",
            )
        kind = named[0]
        value = str(getattr(self, kind))
        if "/" in value and not KINDS[kind].pattern.fullmatch(value):
            raise InvalidValue(
                f"{value!r} is not the full name of a {kind.replace('_', ' ')}: {KINDS[kind].full}",
                _name_hint(kind),
                at=(kind,),
            )
        if "/" not in value and kind in CLOUD_RUN_KINDS:
            try:
                cloud_run_name(value, kind)
            except InvalidValue as exc:
                raise InvalidValue(exc.message, exc.hint, at=(kind,)) from None
        return self

    @property
    def target(self) -> Target:
        kind = next(key for key in KINDS if getattr(self, key) is not None)
        return parse_target(kind, str(getattr(self, kind)))


def _name_hint(kind: str) -> str:
    declared = KINDS[kind].declared
    if not declared:
        return f"name a Cloud Run {kind} of the stack's project, or give its full name"
    return f"name one this stack declares ({declared}), or give the full name of an existing one"


class Grant(BaseModel):
    """``iam[]``: a role on one resource, for the project's service account or ``member``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role = Field(description="The role granted on the resource.")
    resource: GrantTarget = Field(description="The resource: {<kind>: <name>}.")
    member: IamMember | None = Field(
        default=None,
        description="Who is granted the role (serviceAccount:<email>, group:<email>...); "
        "default: the project's service account.",
    )
    location: Region | None = Field(
        default=None,
        description="Cloud Run services and jobs named by their short name: their region; "
        "default gcp:region.",
    )

    @model_validator(mode="before")
    @classmethod
    def _not_on(cls, value: Any) -> Any:
        if isinstance(value, dict) and "on" in value and "resource" not in value:
            raise InvalidValue(
                "unknown key 'on': the resource is `resource: {<kind>: <name>}`",
                "Pulumi reads stack files as YAML 1.1, where a bare `on` is the boolean true: "
                "rename the key to `resource`",
                at=("on",),
                at_key=True,
            )
        return value

    @model_validator(mode="after")
    def _location_of_cloud_run(self) -> Grant:
        target = self.resource.target
        if self.location is not None and (target.kind not in CLOUD_RUN_KINDS or target.full):
            reason = (
                "its full name holds its location"
                if target.full
                else f"only a Cloud Run service or job has one, not a {target.kind}"
            )
            raise InvalidValue(
                f"a grant on this {target.kind} takes no `location`: {reason}",
                "remove `location`",
                at=("location",),
                at_key=True,
            )
        return self

    @property
    def target(self) -> Target:
        """The resource the grant is on."""
        return self.resource.target

    def resource_name(self, account_id: str | None) -> str:
        """The grant's Pulumi logical name: ``<kind>iammember_<resource>_<member>_<role>``,
        where the member is the project's account id (``account_id``) unless ``member`` is
        given.

        >>> grant = Grant(role="roles/run.invoker", resource={"job": "nightly"})
        >>> grant.resource_name("etl-runner")
        'jobiammember_nightly_etl_runner_roles_run_invoker'
        """
        target = self.target
        parts = [target.project or "", self.location or target.location or "", target.name]
        who = account_id if self.member is None else member_identifier(self.member)
        ids = [part for part in parts if part]
        return make_resource_name(KINDS[target.kind].prefix, *ids, who or "", self.role)


def grant_identity(grant: Grant, account_id: str | None, region: str | None) -> tuple[str, ...]:
    """What makes two grants the same grant: role, member and the resource (kind, project,
    location, name), as Google reads them."""
    target = grant.target
    location = (grant.location or target.location or region or "").lower()
    member = grant.member if grant.member is not None else f"account:{account_id}"
    return (grant.role, member, target.kind, target.project or "", location, target.name)


def grant_names(
    projects: Mapping[str, Any], region: str | None
) -> dict[tuple[str, int], tuple[str, tuple[str, ...]]]:
    """Each ``iam`` entry's Pulumi logical name and identity, by (project key, index).

    Logical names read ``-``, ``.`` and ``/`` as ``_``, so two different grants may make the
    same name (members ``group:a.b@x`` and ``group:a-b@x``): the later one then takes a short
    hash of its identity as a suffix, so every distinct grant has a name of its own. The
    same grant twice keeps one name (and is an error of the stack file).
    """
    names: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = {}
    owner: dict[str, tuple[str, ...]] = {}
    for key, project in projects.items():
        account = project.service_account
        account_id = account.account_id if account is not None else None
        for index, grant in enumerate(project.iam):
            identity = grant_identity(grant, account_id, region)
            name = grant.resource_name(account_id)
            if owner.setdefault(name, identity) != identity:
                digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:8]
                name = f"{name}_{digest}"
                owner.setdefault(name, identity)
            names[(key, index)] = (name, identity)
    return names


def member_identifier(member: str) -> str:
    """A member as part of a logical name: ``:`` and ``@`` read as ``_`` too.

    >>> member_identifier("group:data-team@acme.example")
    'group_data-team_acme.example'
    """
    return member.replace(":", "_").replace("@", "_")


def scoped_entry(role: str, kind: str, name: str) -> str:
    """The ``iam`` entry granting ``role`` on one resource, as a stack file writes it (for
    hints).

    >>> scoped_entry("roles/run.invoker", "job", "nightly")
    '`{role: roles/run.invoker, resource: {job: nightly}}`'
    """
    return f"`{{role: {role}, resource: {{{kind}: {name}}}}}`"
