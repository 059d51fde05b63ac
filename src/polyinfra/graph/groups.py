"""How every picture groups the nodes: one group per stack, inside it one per environment
for what belongs to one environment."""

from __future__ import annotations

from dataclasses import dataclass

from polyinfra.graph.model import Graph, Node

#: What a picture writes under a node's name, by kind.
KIND_NAMES = {
    "project": "Polylith project",
    "app": "app",
    "service-account": "service account",
    "gcp-project": "Google Cloud project",
    "secret": "secret",
    "registry": "Artifact Registry",
    "scheduler": "Cloud Scheduler",
    "trigger": "Eventarc trigger",
    "bucket": "bucket",
    "dataset": "BigQuery dataset",
    "topic": "Pub/Sub topic",
    "subscription": "Pub/Sub subscription",
    "service": "Cloud Run service",
    "job": "Cloud Run job",
    "function": "Cloud Run function",
    "member": "member",
}


def caption(node: Node) -> str:
    """The second line of a node: its kind (an app's own kind), ``not created`` when no
    stack file creates it."""
    what = node.detail if node.kind == "app" and node.detail else KIND_NAMES.get(node.kind, "")
    return what if node.declared else f"{what}, not created"


@dataclass(frozen=True)
class Group:
    """The nodes of one stack: those every environment shares, then one list per
    environment."""

    stack: str
    shared: tuple[Node, ...]
    by_env: tuple[tuple[str, tuple[Node, ...]], ...]


def groups(graph: Graph) -> list[Group]:
    """The graph's stacks in order, each with its nodes (environments in the graph's order)."""
    found = []
    for stack in graph.stacks:
        mine = [n for n in graph.nodes if n.stack == stack]
        if not mine:
            continue
        shared = tuple(n for n in mine if n.env is None)
        by_env = tuple(
            (env, tuple(n for n in mine if n.env == env))
            for env in graph.environments
            if any(n.env == env for n in mine)
        )
        found.append(Group(stack, shared, by_env))
    return found
