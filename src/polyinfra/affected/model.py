"""What a change affects: stacks, projects and apps, each with the changed paths that put it
there. Frozen, sorted, and serialized with every key present."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AppAction = Literal["rebuild", "redeploy"]


@dataclass(frozen=True, order=True)
class Reason:
    """A changed path (empty for a reason that is not a path) and why it counts."""

    path: str
    why: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "why": self.why}


@dataclass(frozen=True)
class AffectedStack:
    """A Pulumi stack of the foundation whose inputs changed. ``program`` is the folder name of
    the Pulumi program it belongs to when the foundation has several (``platform``,
    ``services``); None in a workspace with one program."""

    name: str
    reasons: tuple[Reason, ...]
    program: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_program(
            {"name": self.name, "reasons": [r.to_json() for r in self.reasons]}, self.program
        )


@dataclass(frozen=True)
class AffectedBrick:
    """A changed brick, or one that imports a changed brick directly or transitively."""

    name: str
    changed: bool
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "changed": self.changed,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class AffectedProject:
    """A Polylith project whose image inputs changed."""

    name: str
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "reasons": [r.to_json() for r in self.reasons]}


@dataclass(frozen=True)
class AffectedApp:
    """A Cloud Run app to act on: ``rebuild`` (its image inputs changed: build, push, deploy)
    or ``redeploy`` (only its Kustomize base or overlays changed: deploy the current image)."""

    name: str
    kind: str
    project: str | None
    action: AppAction
    environments: tuple[str, ...]
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "project": self.project,
            "action": self.action,
            "environments": list(self.environments),
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class Removed:
    """Something that existed at the base revision and is gone at head: a signal for
    teardown, never a deploy."""

    name: str
    reasons: tuple[Reason, ...]
    #: the Pulumi program of a removed stack, in a foundation of several programs
    program: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_program(
            {"name": self.name, "reasons": [r.to_json() for r in self.reasons]}, self.program
        )


def _with_program(entry: dict[str, Any], program: str | None) -> dict[str, Any]:
    """``entry`` with its ``program`` after ``name``, when it has one (a workspace with one
    Pulumi program keeps the keys it always had)."""
    if program is None:
        return entry
    return {"name": entry["name"], "program": program, "reasons": entry["reasons"]}


@dataclass(frozen=True)
class Affected:
    """The answer of ``polyinfra affected``."""

    base: str
    head: str
    merge_base: str | None
    head_commit: str | None
    env: str | None
    everything: bool
    everything_reasons: tuple[Reason, ...]
    stacks: tuple[AffectedStack, ...]
    bricks: tuple[AffectedBrick, ...]
    projects: tuple[AffectedProject, ...]
    apps: tuple[AffectedApp, ...]
    removed_projects: tuple[Removed, ...] = ()
    removed_apps: tuple[Removed, ...] = ()
    removed_stacks: tuple[Removed, ...] = ()
    ignored: tuple[Reason, ...] = field(default=())

    @property
    def foundation_changed(self) -> bool:
        return bool(self.stacks or self.removed_stacks)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "merge_base": self.merge_base,
            "head_commit": self.head_commit,
            "env": self.env,
            "everything": self.everything,
            "everything_reasons": [r.to_json() for r in self.everything_reasons],
            "foundation": {
                "changed": self.foundation_changed,
                "stacks": [s.to_json() for s in self.stacks],
            },
            "bricks": [b.to_json() for b in self.bricks],
            "projects": [p.to_json() for p in self.projects],
            "apps": [a.to_json() for a in self.apps],
            "removed": {
                "projects": [p.to_json() for p in self.removed_projects],
                "apps": [a.to_json() for a in self.removed_apps],
                "stacks": [s.to_json() for s in self.removed_stacks],
            },
            "ignored": [r.to_json() for r in self.ignored],
        }
