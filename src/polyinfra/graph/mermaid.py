"""The graph as a mermaid ``flowchart`` (GitHub renders it inside a ```` ```mermaid ```` fence):
one subgraph per stack, broken edges dotted and red."""

from __future__ import annotations

from polyinfra.graph.groups import caption, groups
from polyinfra.graph.ids import plain_ids
from polyinfra.graph.model import Graph, Node

#: Mermaid's entity codes (``#60;``) for what would end a quoted label or be read as markup.
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "|": "#124;",
    "\n": " ",
    "\r": " ",
}

#: Node shapes by kind: opening and closing brackets.
_SHAPES = {
    "project": ("[[", "]]"),
    "app": ("([", "])"),
    "service-account": ("{{", "}}"),
    "gcp-project": ("[(", ")]"),
    "scheduler": (">", "]"),
    "trigger": (">", "]"),
}
BROKEN_STYLE = "stroke:#d62728,stroke-width:2px,stroke-dasharray:6 4"


def escape(text: str) -> str:
    """``text`` safe inside a quoted mermaid label.

    >>> escape('a "b" <c> #1')
    'a #quot;b#quot; #lt;c#gt; #35;1'
    """
    return "".join(_ENTITIES.get(char, char) for char in text)


def to_mermaid(graph: Graph) -> str:
    """``flowchart LR`` with a subgraph per stack (one per environment inside it), each node
    labelled with its name and kind; broken edges ``-. "label" .->`` and styled red and
    dashed by a ``linkStyle``. Ends in one newline."""
    ids = plain_ids((n.id for n in graph.nodes), "n_")
    lines = ["flowchart LR"]
    for group in groups(graph):
        stack_id = plain_ids([group.stack], "s_")[group.stack]
        lines.append(f'  subgraph {stack_id}["{escape(group.stack)}"]')
        lines.extend(f"    {_node(node, ids)}" for node in group.shared)
        for env, nodes in group.by_env:
            env_id = plain_ids([f"{group.stack}/{env}"], "s_")[f"{group.stack}/{env}"]
            lines.append(f'    subgraph {env_id}["{escape(env)}"]')
            lines.extend(f"      {_node(node, ids)}" for node in nodes)
            lines.append("    end")
        lines.append("  end")
    broken: list[str] = []
    for index, edge in enumerate(graph.edges):
        arrow = (
            f'-. "{escape(edge.label)}" .->' if edge.broken else f'-- "{escape(edge.label)}" -->'
        )
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
        if edge.broken:
            broken.append(str(index))
    if broken:
        lines.append(f"  linkStyle {','.join(broken)} {BROKEN_STYLE}")
    missing = [ids[n.id] for n in graph.nodes if not n.declared]
    if missing:
        lines.append("  classDef missing stroke-dasharray:4 4")
        lines.append(f"  class {','.join(missing)} missing")
    return "\n".join(lines) + "\n"


def _node(node: Node, ids: dict[str, str]) -> str:
    start, end = _SHAPES.get(node.kind, ("[", "]"))
    return f'{ids[node.id]}{start}"{escape(node.shown)}<br/>{escape(caption(node))}"{end}'
