"""Comparing two plans: the working tree's and a git revision's, resource by resource."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra import proc
from polyinfra.errors import ToolError, UserError
from polyinfra.foundation.config import (
    load_stack_config,
    load_stack_text,
    stack_file,
)
from polyinfra.foundation.model import ConfigWarning
from polyinfra.foundation.plan.model import (
    Plan,
    PlannedResource,
)
from polyinfra.foundation.plan.run import (
    ReferencedPlans,
    plan_stack,
    pulumi_project_name,
)
from polyinfra.positions import Position
from polyinfra.yamlio import load_text
from polyinfra.yamlio.text import decode


@dataclass(frozen=True)
class InputChange:
    """One changed input, by dotted path."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    """A resource present in both plans whose inputs or protection differ."""

    type: str
    name: str
    changes: tuple[InputChange, ...]
    protect: tuple[bool, bool] | None = None
    #: the resource's inputs at the revision compared and now, for reports that read the
    #: whole resource (who an IAM member names), not only what changed
    before: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    after: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


#: The inputs whose change replaces a resource of the types the sections declare, beyond its
#: ``project``: the arguments the Google provider marks ``ForceNew`` (hashicorp/
#: terraform-provider-google, ``google/services/<service>/resource_<type>.go``, which
#: pulumi-gcp bridges), e.g. a bucket's name, location and object retention. A type not listed
#: here is replaced by a change of its ``name`` and of what the provider's documentation of its
#: Args class says "forces a new resource" (:func:`polyinfra.foundation.argspec.replacing_fields`).
NAMING_INPUTS: dict[str, tuple[str, ...]] = {
    "gcp:storage/bucket:Bucket": ("name", "location", "enableObjectRetention"),
    "gcp:bigquery/dataset:Dataset": ("datasetId", "location"),
    "gcp:bigquery/table:Table": ("datasetId", "tableId"),
    "gcp:secretmanager/secret:Secret": ("secretId", "replication"),
    "gcp:artifactregistry/repository:Repository": ("repositoryId", "location", "format", "mode"),
    "gcp:pubsub/topic:Topic": ("name",),
    "gcp:pubsub/subscription:Subscription": ("name", "topic"),
    "gcp:serviceaccount/account:Account": ("accountId",),
    "gcp:cloudscheduler/job:Job": ("name", "region"),
}


def naming_inputs(type_token: str) -> tuple[str, ...]:
    """The inputs (top-level, in the plan's camelCase) whose change replaces a resource of
    ``type_token``.

    >>> naming_inputs("gcp:bigquery/table:Table")
    ('datasetId', 'tableId', 'project')
    >>> naming_inputs("gcp:bigquery/dataset:Dataset")
    ('datasetId', 'location', 'project')
    >>> naming_inputs("gcp:sql/databaseInstance:DatabaseInstance")
    ('name', 'project')
    """
    from polyinfra.foundation.argspec import replacing_fields

    documented = (_camel(name) for name in sorted(replacing_fields(type_token)))
    known = NAMING_INPUTS.get(type_token, ("name",))
    return tuple(dict.fromkeys((*known, *documented, "project")))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _top_input(path: str) -> str:
    """``replication.userManaged.replicas[0]`` -> ``replication``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


@dataclass(frozen=True)
class ProtectedLoss:
    """A resource protected at the revision compared with that the change removes or replaces:
    Pulumi refuses to delete a protected resource, so the update would fail."""

    type: str
    name: str
    #: the resource's URN in the stack (``urn:pulumi:<stack>::<project>::<type>::<name>``)
    urn: str
    #: what replaces it (``name``, ``gcp:project``); empty when the change removes it
    replaced_by: tuple[str, ...] = ()
    #: where to set ``input:protect`` (the stack file, at that key when it is set)
    position: Position | None = None

    @property
    def message(self) -> str:
        what = (
            f"replaces it ({', '.join(self.replaced_by)} changed)"
            if self.replaced_by
            else "removes it"
        )
        return (
            f"{self.name} ({self.type}) is protected and this change {what}: Pulumi refuses to "
            "delete a protected resource, so the update would fail"
        )

    def hint(self, stack: str) -> str:
        return (
            f"set input:protect: false for the {stack} stack and deploy that first, or run "
            f"`pulumi state unprotect --stack {stack} '{self.urn}'`"
        )


@dataclass(frozen=True)
class PlanDiff:
    """What the working tree's stack file changes compared with a git revision."""

    stack: str
    ref: str
    added: tuple[PlannedResource, ...] = ()
    removed: tuple[PlannedResource, ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    unchanged: int = 0
    warnings: tuple[ConfigWarning, ...] = field(default=())
    #: the program's folder name in a workspace of several programs (``platform``), else ""
    program: str = ""
    #: ``gcp:project`` at the revision and now, when it changed (every resource is replaced)
    project: tuple[str, str] | None = None
    #: protected resources the change removes or replaces: the update would fail
    protected: tuple[ProtectedLoss, ...] = ()
    #: the stack's Google Cloud project in the working tree (``gcp:project``)
    gcp_project: str = field(default="", compare=False)

    @property
    def empty(self) -> bool:
        """True when nothing is added, removed or changed."""
        return not (self.added or self.removed or self.changed or self.project)

    def errors(self) -> list[dict[str, str]]:
        """The protected resources the change removes or replaces, as messages with hints."""
        return [
            {
                "position": str(loss.position) if loss.position else "",
                "message": loss.message,
                "hint": loss.hint(self.stack),
                "urn": loss.urn,
            }
            for loss in self.protected
        ]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (``polyinfra plan --diff REF --json``)."""
        return {
            "stack": self.stack,
            **({"program": self.program} if self.program else {}),
            "ref": self.ref,
            **({"project": list(self.project)} if self.project else {}),
            "added": [resource.to_json() for resource in self.added],
            "removed": [resource.to_json() for resource in self.removed],
            "changed": [
                {
                    "type": change.type,
                    "name": change.name,
                    "protect": list(change.protect) if change.protect else None,
                    "inputs": [
                        {"path": item.path, "old": item.old, "new": item.new}
                        for item in change.changes
                    ],
                }
                for change in self.changed
            ],
            "unchanged": self.unchanged,
            "errors": self.errors(),
        }


def diff_plans(
    old: Plan,
    new: Plan,
    ref: str,
    *,
    pulumi_project: str = "<project>",
    protect_at: Position | None = None,
) -> PlanDiff:
    """Resources added, removed and changed from ``old`` to ``new``, and the resources
    protected in ``old`` that the change removes or replaces (``pulumi_project`` is the
    ``name`` of ``Pulumi.yaml``, for their URNs; ``protect_at`` where the stack file says
    whether to protect)."""
    old_by_key = {resource.key: resource for resource in old.resources}
    new_by_key = {resource.key: resource for resource in new.resources}
    added = tuple(r for r in new.resources if r.key not in old_by_key)
    removed = tuple(r for r in old.resources if r.key not in new_by_key)
    moved = old.project != new.project and bool(old.resources)
    changed: list[ResourceChange] = []
    lost: list[ProtectedLoss] = []

    def urn(resource: PlannedResource) -> str:
        return f"urn:pulumi:{new.stack}::{pulumi_project}::{resource.type}::{resource.name}"

    lost.extend(ProtectedLoss(r.type, r.name, urn(r), (), protect_at) for r in removed if r.protect)
    unchanged = 0
    for resource in new.resources:
        before = old_by_key.get(resource.key)
        if before is None:
            continue
        changes = tuple(_input_changes(before.inputs, resource.inputs, ""))
        if moved and "project" not in before.inputs and "project" not in resource.inputs:
            # the resource is in the provider's project: it moves with gcp:project
            changes += (InputChange("gcp:project", old.project, new.project),)
        protect = (before.protect, resource.protect) if before.protect != resource.protect else None
        if changes or protect:
            changed.append(
                ResourceChange(
                    resource.type,
                    resource.name,
                    changes,
                    protect,
                    before=before.inputs,
                    after=resource.inputs,
                )
            )
        else:
            unchanged += 1
        naming = (*naming_inputs(resource.type), "gcp:project")
        replaced_by = tuple(
            dict.fromkeys(_top_input(c.path) for c in changes if _top_input(c.path) in naming)
        )
        if before.protect and replaced_by:
            lost.append(
                ProtectedLoss(resource.type, resource.name, urn(resource), replaced_by, protect_at)
            )
    return PlanDiff(
        new.stack,
        ref,
        added,
        removed,
        tuple(changed),
        unchanged,
        new.warnings,
        project=(old.project, new.project) if moved else None,
        protected=tuple(lost),
        gcp_project=new.project,
    )


def _input_changes(old: Any, new: Any, prefix: str) -> Iterator[InputChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from _input_changes(old.get(key), new.get(key), path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _input_changes(a, b, f"{prefix}[{index}]")
    elif old != new:
        yield InputChange(prefix, old, new)


def _git_show(repo: Path, ref: str, path: str) -> bytes | None:
    """File ``path`` (relative to the repository root) at ``ref``; None if it did not exist."""
    completed = proc.run(["git", "show", f"{ref}:{path}"], cwd=repo, check=False)
    if completed.returncode == 0:
        return completed.stdout
    stderr = completed.stderr.decode("utf-8", "replace")
    if "does not exist in" in stderr or "exists on disk, but not in" in stderr:
        return None
    raise ToolError(
        proc.describe_failure(["git", "show", f"{ref}:{path}"], completed, f"reading {path}")
    )


def plan_diff(program_dir: Path, stack: str, ref: str) -> PlanDiff:
    """Compare the plan of ``Pulumi.<stack>.yaml`` at git ``ref`` with the working tree's.

    Both sides run the foundation program itself (not a custom ``__main__.py``, whose code at
    ``ref`` may import things that no longer exist); files the stack file refers to
    (BigQuery schemas, the dashboard) are read at ``ref`` too. Cross-stack references on
    both sides read the referenced programs as they are in the working tree, so the diff
    shows what this stack file changed.
    """
    program_dir = program_dir.resolve()
    top = proc.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=program_dir, what="finding the git repository"
    )
    repo = Path(top.stdout.decode().strip())
    rel_dir = program_dir.relative_to(repo.resolve())
    outputs_of = ReferencedPlans().outputs_of(program_dir, stack)
    new_config = load_stack_config(
        stack_file(program_dir, stack), program_dir=program_dir, outputs_of=outputs_of
    )
    new_plan = plan_stack(program_dir, stack, config=new_config, use_main=False)
    stack_rel = (rel_dir / f"Pulumi.{stack}.yaml").as_posix()
    old_text = _git_show(repo, ref, stack_rel)
    project = pulumi_project_name(program_dir)
    protect_at = (
        new_config.position(("input", "protect"))
        if new_config.input.protect is not None
        else Position(stack_file(program_dir, stack))
    )
    if old_text is None:
        empty = Plan(stack, new_config.project, (), {})
        return diff_plans(empty, new_plan, ref, pulumi_project=project, protect_at=protect_at)
    with tempfile.TemporaryDirectory(prefix="polyinfra-plan-") as tmp:
        old_dir = Path(tmp)
        display = Path(f"{ref}:{stack_rel}")
        text = decode(old_text, display)  # not UTF-8, or a NUL byte: at the first bad byte
        for relative in referenced_files(load_text(text, display).data):
            content = _git_show(repo, ref, (rel_dir / relative).as_posix())
            if content is not None:
                target = (old_dir / relative).resolve()
                if target.is_relative_to(old_dir.resolve()):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
        (old_dir / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
        try:
            old_config = load_stack_text(
                text, display, stack=stack, program_dir=old_dir, outputs_of=outputs_of
            )
        except UserError as exc:
            raise UserError(
                f"the stack file at {ref} is not valid, so it cannot be compared:\n{exc}"
            ) from exc
        old_plan = plan_stack(old_dir, stack, config=old_config, use_main=False)
    return diff_plans(old_plan, new_plan, ref, pulumi_project=project, protect_at=protect_at)


def referenced_files(data: Any) -> list[str]:
    """Relative paths of ``schema_file`` and ``dashboard_json_file`` values in raw stack data."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("schema_file", "dashboard_json_file") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found
