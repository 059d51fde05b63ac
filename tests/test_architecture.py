"""The shape of the code (docs/architecture.md): modules import each other without cycles, and
a package imports only from its own layer or the layers below it. The graph is built from the
source, every import counted (function-level and type-checking ones too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "polyinfra"

#: Lowest first. A package may import from its own layer and the ones before it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "polyinfra",
            "errors",
            "positions",
            "suggest",
            "cloudrun",
            "redact",
            "values",
            "proc",
            "cache",
            "realpaths",
            "lazy",
            "markdown",
        }
    ),
    frozenset({"yamlio"}),
    frozenset({"workspace"}),
    frozenset({"foundation"}),
    frozenset({"manifests"}),
    frozenset({"checks"}),
    frozenset({"deploy", "affected", "ci", "graph", "scaffold", "emulator", "local", "review"}),
    frozenset({"cli", "testing", "__main__"}),
)
#: Imports against the layer order, each with its reason (docs/architecture.md): none.
EXCEPTIONS: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the polyinfra modules it imports (``from a.b import c`` names ``a.b.c`` when
    that is a module, else ``a.b``)."""
    known = modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
                targets = subs if len(subs) == len(node.names) else [base, *subs]
            graph[name].update(t for t in targets if t in known and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else "polyinfra"
    for number, members in enumerate(LAYERS):
        if top in members:
            return number
    raise AssertionError(f"{module}: its package is in no layer of LAYERS")


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_package_has_a_layer() -> None:
    for module in modules():
        layer_of(module)


def test_no_import_from_a_higher_layer() -> None:
    upward = sorted(
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module) and (module, target) not in EXCEPTIONS
    )
    assert upward == []


def test_every_exception_is_still_needed() -> None:
    graph = import_graph()
    assert sorted(e for e in EXCEPTIONS if e[1] not in graph[e[0]]) == []
