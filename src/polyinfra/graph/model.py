"""The graph of a workspace's stacks: nodes (apps, projects, service accounts, the resources
they use) and edges between them, each edge broken when ``check`` reports it broken."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: The stack that owns the Cloud Run apps and the Polylith projects they ship.
APPLICATION = "application"
#: The foundation stack of a workspace with one Pulumi program.
FOUNDATION = "foundation"


@dataclass(frozen=True, order=True)
class Finding:
    """A ``check`` finding that breaks an edge: its rule, level, message and position
    (``path:line:col`` relative to the workspace root)."""

    position: str
    rule: str
    level: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "position": self.position,
        }

    def __str__(self) -> str:
        return f"{self.rule} ({self.level}) at {self.position}: {self.message}"


@dataclass(frozen=True)
class Node:
    """Something in one of the stacks. ``id`` is stable (``<env>/<kind>/<name>``, or
    ``<kind>/<name>`` for what every environment shares: Polylith projects and apps);
    ``name`` is the full name, ``label`` what a picture shows; ``declared`` is False for what
    an app or a stack file names but no stack file of the environment creates."""

    id: str
    kind: str
    name: str
    stack: str
    env: str | None = None
    label: str = ""
    detail: str = ""
    declared: bool = True

    @property
    def shown(self) -> str:
        return self.label or self.name

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "label": self.shown,
            "detail": self.detail,
            "stack": self.stack,
            "env": self.env,
            "declared": self.declared,
        }


@dataclass(frozen=True)
class Edge:
    """A link from ``source`` to ``target`` (node ids). ``kind`` says what it is (``ships``,
    ``runs-as``, ``role``, ``grant``, ``reads``, ``image``, ``deploys-to``, ``starts``,
    ``delivers``, ``source``); ``label`` is what a picture shows on it (a role for grants).
    Broken when it carries findings."""

    source: str
    target: str
    kind: str
    label: str
    env: str | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.source} -> {self.target} [{self.kind}: {self.label}]"

    @property
    def broken(self) -> bool:
        return bool(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "label": self.label,
            "env": self.env,
            "broken": self.broken,
            "findings": [finding.to_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class Graph:
    """Nodes sorted by id, edges by (source, target, kind, label). ``stacks``: the stacks in
    the order a picture shows them (application first, then the foundation programs);
    ``environments``: those drawn. ``undrawn``: link findings of ``check`` no edge carries
    (none, unless a rule reports something the graph does not draw)."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    stacks: tuple[str, ...] = (APPLICATION, FOUNDATION)
    environments: tuple[str, ...] = ()
    undrawn: tuple[Finding, ...] = field(default=())

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [node.to_json() for node in self.nodes],
            "edges": [edge.to_json() for edge in self.edges],
        }


def to_json_text(graph: Graph) -> str:
    """``{"nodes": [...], "edges": [...]}``, indented, keys sorted, one newline at the end."""
    return json.dumps(graph.to_json(), indent=2, sort_keys=True) + "\n"
