"""The graph as one self-contained HTML page: the data inline as JSON, the vendored dagre
layout library (MIT, ``assets/dagre/``) and polyinfra's drawing script inline, nothing
fetched when it is viewed."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

from polyinfra.graph.groups import caption
from polyinfra.graph.model import Graph

#: Nothing but the page's own inline script and style may run or load.
_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def asset(name: str) -> str:
    """The text of ``assets/<name>`` (package data)."""
    return resources.files("polyinfra.graph").joinpath("assets", name).read_text("utf-8")


def page_data(graph: Graph) -> dict[str, Any]:
    """What the page draws: the JSON format's nodes (each with the caption a picture shows)
    and edges, the stacks in order and the environments."""
    data = graph.to_json()
    for node, item in zip(graph.nodes, data["nodes"], strict=True):
        item["caption"] = caption(node)
    data["stacks"] = [s for s in graph.stacks if any(n.stack == s for n in graph.nodes)]
    data["environments"] = list(graph.environments)
    return data


def script_json(data: Any) -> str:
    """``data`` as JSON that cannot end the ``<script>`` element holding it, nor open a
    comment or markup there (``<``, ``>`` and ``&`` as ``\\u`` escapes; so are the line
    separators JavaScript once refused in strings).

    >>> script_json({"name": "</script><b>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def inline_script(source: str, name: str) -> str:
    """``source`` ready to sit in a ``<script>`` element: without a source map reference (it
    would point at nothing), refused if it could end the element early."""
    lines = [line for line in source.splitlines() if not line.startswith("//# sourceMappingURL=")]
    text = "\n".join(lines)
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError(f"{name} cannot be inlined: it holds </script or <!--")
    return text


def to_html(graph: Graph, title: str = "polyinfra graph") -> str:
    """The page. Ends in one newline."""
    licence = asset("dagre/LICENSE").replace("*/", "* /")
    dagre = inline_script(asset("dagre/dagre.min.js"), "dagre.min.js")
    drawing = inline_script(asset("graph.js"), "graph.js")
    envs = ", ".join(graph.environments) or "no environment"
    heading = html.escape(f"{title}: {envs}")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{heading}</title>\n"
        f"<style>\n{asset('graph.css')}</style>\n"
        "</head>\n<body>\n"
        f"<header><h1>{heading}</h1>"
        '<input id="search" type="search" placeholder="Find by name" aria-label="Find by name">'
        '<span id="matches"></span><span id="summary"></span><div id="legend"></div></header>\n'
        '<svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="the stacks as a graph"></svg>\n'
        f'<script id="graph-data" type="application/json">{script_json(page_data(graph))}'
        "</script>\n"
        "<script>\n/* @dagrejs/dagre 3.1.3 (with @dagrejs/graphlib 4.0.6), MIT licence:\n"
        f"{licence}*/\n{dagre}\n</script>\n"
        f"<script>\n{drawing}\n</script>\n"
        "</body>\n</html>\n"
    )
