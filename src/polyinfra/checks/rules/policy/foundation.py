"""Policy over the foundation plan: IAM, buckets, labels and protection of what the stack
would create, each reported at the stack-file line (or program line) that declares it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.policy.locate import (
    STATEFUL_TYPES,
    in_program,
    plans,
    resource_position,
    section_of,
)
from polyinfra.checks.stacks import StackFile
from polyinfra.positions import Position

PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
#: Cloud Run IAM resource types whose ``service``/``name`` input names the service.
CLOUD_RUN_IAM_TYPES = frozenset(
    {
        "gcp:cloudrun/iamMember:IamMember",
        "gcp:cloudrun/iamBinding:IamBinding",
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
    }
)


def _value_position(ctx: CheckContext, stack: StackFile, value: str, resource: Any) -> Position:
    """The stack-file value equal to ``value`` (e.g. a role), else the program line holding it,
    else the resource's own position."""
    for path, found in stack.walk():
        if found == value:
            return stack.position(path, value=True)
    return in_program(ctx, value, stack) or resource_position(ctx, stack, resource)


class NoPrimitiveRoles:
    """No IAM grant of a primitive role (``roles/owner``, ``roles/editor``, ``roles/viewer``).

    Primitive roles grant thousands of permissions across every service of the project; a
    workload identity needs a few predefined roles.

    Bad::

        service_account_iam:
          account_id: dmd-ingest
          roles:
            - roles/editor

    Good::

        service_account_iam:
          account_id: dmd-ingest
          roles:
            - roles/bigquery.dataEditor
            - roles/bigquery.jobUser
    """

    ID = "policy/no-primitive-roles"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, plan in plans(ctx):
            for resource in plan.resources:
                role = _input(resource, "role")
                if isinstance(role, str) and role in PRIMITIVE_ROLES:
                    yield Problem(
                        _value_position(ctx, stack, role, resource),
                        self.ID,
                        f"{stack.key}: {resource.name} grants the primitive role {role}",
                        hint="grant the predefined roles the workload needs instead",
                    )


class NoPublicMembers:
    """No IAM grant to ``allUsers`` or ``allAuthenticatedUsers``, except the Cloud Run invoker
    role on a service listed in ``[tool.polyinfra] public_services``.

    A public grant exposes the resource to the whole internet; where that is the intent (a
    public website), say so once in the settings so a reviewer sees it.

    Bad::

        gcp.cloudrunv2.ServiceIamMember("public", name="inventory-api",
                                        role="roles/run.invoker", member="allUsers")

    Good::

        # infrastructure/pyproject.toml
        [tool.polyinfra]
        public_services = ["inventory-api"]
    """

    ID = "policy/no-public-members"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        public = set(ctx.workspace.settings.public_services if ctx.workspace else [])
        for stack, plan in plans(ctx):
            for resource in plan.resources:
                members = [_input(resource, "member"), *(_input(resource, "members") or [])]
                exposed = sorted({m for m in members if isinstance(m, str) and m in PUBLIC_MEMBERS})
                if not exposed:
                    continue
                service = _input(resource, "service") or _input(resource, "name")
                invoker = _input(resource, "role") == "roles/run.invoker"
                on_service = resource.type in CLOUD_RUN_IAM_TYPES
                if invoker and on_service and str(service).split("/")[-1] in public:
                    continue
                yield Problem(
                    _value_position(ctx, stack, exposed[0], resource),
                    self.ID,
                    f"{stack.key}: {resource.name} grants {_input(resource, 'role')} to "
                    f"{' and '.join(exposed)}",
                    hint="grant it to specific members, or list the Cloud Run service in "
                    "[tool.polyinfra] public_services if it is public on purpose",
                )


class BucketAccess:
    """Every bucket uses uniform bucket-level access and enforces public-access prevention.

    Fine-grained ACLs bypass IAM review, and without enforced prevention one ACL or IAM grant
    makes objects public.

    Bad::

        cloud_storage:
          name: data-platform-prod-dmd-raw
          location: ASIA-SOUTHEAST1
          uniform_bucket_level_access: false

    Good::

        cloud_storage:
          name: data-platform-prod-dmd-raw
          location: ASIA-SOUTHEAST1
          uniform_bucket_level_access: true
          public_access_prevention: enforced
    """

    ID = "policy/bucket-access"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, plan in plans(ctx):
            for resource in plan.resources:
                if resource.type != "gcp:storage/bucket:Bucket":
                    continue
                section = section_of(stack, resource.inputs)
                for wire, key, wanted in (
                    ("uniformBucketLevelAccess", "uniform_bucket_level_access", True),
                    ("publicAccessPrevention", "public_access_prevention", "enforced"),
                ):
                    if _input(resource, wire) == wanted:
                        continue
                    has_key = (
                        section is not None
                        and stack.document is not None
                        and (stack.document.get((*section, key)) is not None)
                    )
                    position = (
                        stack.position((*section, key), value=True)
                        if has_key and section is not None
                        else resource_position(ctx, stack, resource)
                    )
                    yield Problem(
                        position,
                        self.ID,
                        f"{stack.key}: bucket {_input(resource, 'name')} has {key} "
                        f"{_input(resource, wire)!r}, not {wanted!r}",
                        hint=f"set `{key}: {str(wanted).lower()}` (or remove the key: the "
                        "foundation defaults to it)",
                    )


class Labels:
    """Every resource that takes labels carries each ``label:<key>`` of its stack.

    The foundation adds the stack's labels to every labelable resource it creates (a section's
    own ``labels`` are merged over them); a resource a program adds by hand lacks them, and with
    them cost attribution and ownership.

    Bad::

        # Pulumi.production.yaml: label:owner: data-engineering
        gcp.pubsub.Topic("audit", name="audit")

    Good::

        gcp.pubsub.Topic("audit", name="audit", labels={"owner": "data-engineering"})
    """

    ID = "policy/labels"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        from polyinfra.foundation.anyresource import type_of_token

        for stack, plan in plans(ctx):
            wanted = stack.labels
            if not wanted:
                continue
            for resource in plan.resources:
                kind = type_of_token(resource.type)
                try:
                    argument = kind.labels_argument() if kind else None
                except (KeyError, ValueError, AttributeError, ImportError):
                    continue
                wire = {"labels": "labels", "user_labels": "userLabels"}.get(argument or "")
                if wire is None:
                    continue
                labels = _input(resource, wire)
                present = labels if isinstance(labels, Mapping) else {}
                missing = sorted(k for k in wanted if k not in present)
                if missing:
                    yield Problem(
                        resource_position(ctx, stack, resource),
                        self.ID,
                        f"{stack.key}: {resource.name} lacks the label"
                        f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                        hint="give it the stack's label: values (the foundation's builders "
                        "add them; a resource added by hand must pass them itself)",
                    )


class ProtectStateful:
    """In production, every stateful resource (bucket, dataset, table, registry, secret) is
    protected: Pulumi ``protect``, so a refactor that drops it fails instead of deleting data.

    Bad::

        # Pulumi.production.yaml
        config:
          input:environment: production
          input:protect: false

    Good::

        config:
          input:environment: production
    """

    ID = "policy/protect-stateful"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, plan in plans(ctx):
            environment = stack.environment
            if environment != "production":
                continue
            setting = ("config", "input:protect")
            explicit = stack.model is not None and stack.model.input.protect is False
            exposed = [r for r in plan.resources if r.type in STATEFUL_TYPES and not r.protect]
            if explicit and exposed:
                yield Problem(
                    stack.position(setting, value=True),
                    self.ID,
                    f"{stack.key}: input:protect is false, so {len(exposed)} stateful "
                    "resources are not protected in production",
                    hint="remove `input:protect: false` (production protects by default)",
                )
                continue
            for resource in exposed:
                yield Problem(
                    resource_position(ctx, stack, resource),
                    self.ID,
                    f"{stack.key}: {resource.type.rsplit(':', 1)[-1]} {resource.name} is not "
                    "protected",
                    hint="pass protect=True (the foundation's builders do in production)",
                )


def _input(resource: Any, key: str) -> Any:
    inputs = resource.inputs
    return inputs.get(key) if isinstance(inputs, Mapping) else None
