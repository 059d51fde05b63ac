"""The graph in Graphviz's DOT language: a ``cluster_`` subgraph per stack (and per
environment inside it), broken edges dashed and red with the findings as their tooltip."""

from __future__ import annotations

from polyinfra.graph.groups import caption, groups
from polyinfra.graph.ids import plain_ids
from polyinfra.graph.model import Edge, Graph, Node

_SHAPES = {
    "project": "folder",
    "app": "box",
    "service-account": "hexagon",
    "gcp-project": "cylinder",
    "scheduler": "cds",
    "trigger": "cds",
}


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string (a backslash is literal, a newline a line break).

    >>> print(quote('say "hi"'))
    "say \\"hi\\""
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    """``digraph polyinfra`` laid out left to right. Ends in one newline."""
    ids = plain_ids((n.id for n in graph.nodes), "n_")
    lines = [
        "digraph polyinfra {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for group in groups(graph):
        cluster = plain_ids([group.stack], "cluster_")[group.stack]
        lines.append(f"  subgraph {cluster} {{")
        lines.append(f"    label={quote(group.stack)};")
        lines.extend(f"    {_node(node, ids)}" for node in group.shared)
        for env, nodes in group.by_env:
            inner = plain_ids([f"{group.stack}/{env}"], "cluster_")[f"{group.stack}/{env}"]
            lines.append(f"    subgraph {inner} {{")
            lines.append(f"      label={quote(env)};")
            lines.extend(f"      {_node(node, ids)}" for node in nodes)
            lines.append("    }")
        lines.append("  }")
    lines.extend(f"  {_edge(edge, ids)}" for edge in graph.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(node: Node, ids: dict[str, str]) -> str:
    attributes = [
        f"label={quote(node.shown + chr(10) + caption(node))}",
        f"shape={_SHAPES.get(node.kind, 'box')}",
        f"tooltip={quote(node.name)}",
    ]
    if not node.declared:
        attributes.append('style="rounded,dashed"')
    return f"{ids[node.id]} [{', '.join(attributes)}];"


def _edge(edge: Edge, ids: dict[str, str]) -> str:
    attributes = [f"label={quote(edge.label)}"]
    if edge.broken:
        findings = "\n".join(str(finding) for finding in edge.findings)
        attributes += ["style=dashed", "color=red", "fontcolor=red", f"tooltip={quote(findings)}"]
    return f"{ids[edge.source]} -> {ids[edge.target]} [{', '.join(attributes)}];"
