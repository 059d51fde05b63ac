"""``polyinfra graph``: a picture of both stacks (the apps and what the foundation creates for
them), with the links ``check`` finds broken drawn broken."""

from polyinfra.graph.build import LINK_RULE_IDS, build_graph, graph_of
from polyinfra.graph.model import Edge, Finding, Graph, Node, to_json_text

__all__ = [
    "LINK_RULE_IDS",
    "Edge",
    "Finding",
    "Graph",
    "Node",
    "build_graph",
    "graph_of",
    "to_json_text",
]
