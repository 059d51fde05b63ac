"""Brick import graph: which bricks each brick imports (AST parse) and the transitive users of a
set of bricks, so a change reaches every brick that depends on it however indirectly."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from polyinfra.workspace.model import Brick
from polyinfra.yamlio.text import read_quietly

# Imports under these guards exist only for type checkers and are not runtime dependencies,
# which is also how polylith's own import parser treats them.
_TYPE_CHECKING_NAMES = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
_SKIP_DIRS = {"__pycache__", ".venv", "node_modules"}


@dataclass(frozen=True)
class ImportGraph:
    """``imports[brick] = bricks it imports`` (root-relative brick paths, never itself)."""

    imports: Mapping[str, frozenset[str]]

    def users(self) -> dict[str, frozenset[str]]:
        """The reverse graph: ``users[brick] = bricks that import it directly``."""
        reverse: dict[str, set[str]] = {}
        for brick, targets in self.imports.items():
            for target in targets:
                reverse.setdefault(target, set()).add(brick)
        return {brick: frozenset(users) for brick, users in reverse.items()}

    def dependents(self, changed: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Every brick that imports one of ``changed``, directly or through other bricks.

        The value is the import chain from the dependent back to a changed brick, shortest
        first found (breadth first, sorted), e.g. ``{"bases/ns/api": ("components/ns/db",
        "components/ns/log")}`` when api imports db and db imports log. Changed bricks
        themselves are not included.
        """
        users = self.users()
        start = sorted(set(changed))
        chains: dict[str, tuple[str, ...]] = dict.fromkeys(start, ())
        queue = deque(start)
        while queue:
            brick = queue.popleft()
            for user in sorted(users.get(brick, ())):
                if user in chains:
                    continue
                chains[user] = (brick, *chains[brick])
                queue.append(user)
        return {brick: chain for brick, chain in sorted(chains.items()) if chain}


def brick_imports(bricks: Mapping[str, Brick], namespace: str) -> ImportGraph:
    """Parse every ``.py`` file of every brick and keep imports of other bricks.

    ``import ns.log``, ``from ns.log import x``, ``from ns import log`` all name brick
    ``log``; a name shared by a base and a component maps to both. Files that do not parse
    are skipped: their brick is still reached through its own path when it changes.
    """
    by_name: dict[str, list[str]] = {}
    for rel, brick in bricks.items():
        by_name.setdefault(brick.name, []).append(rel)
    graph: dict[str, frozenset[str]] = {}
    for rel, brick in bricks.items():
        names: set[str] = set()
        for source in _python_files(brick.path):
            names |= _imported_bricks(source, namespace)
        targets = {target for name in names for target in by_name.get(name, ()) if target != rel}
        graph[rel] = frozenset(targets)
    return ImportGraph(imports=graph)


def _python_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix == ".py":
                found.append(entry)
    return sorted(found)


def _imported_bricks(source: Path, namespace: str) -> set[str]:
    data = read_quietly(source)  # a regular file within the size limit, else no imports
    try:
        text = data.decode("utf-8") if data is not None else ""
    except UnicodeDecodeError:
        return set()
    if namespace not in text:  # cheap pre-filter: no mention of the namespace, no brick import
        return set()
    try:
        tree = ast.parse(text, filename=str(source))
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names |= _brick_of(alias.name, namespace, ())
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= _brick_of(node.module, namespace, [a.name for a in node.names])
    return names


def _brick_of(module: str, namespace: str, imported: Iterable[str]) -> set[str]:
    parts = module.split(".")
    if parts[0] != namespace:
        return set()
    if len(parts) > 1:
        return {parts[1]}
    return {name for name in imported if name != "*"}


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Walk ``tree`` but skip the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and ast.unparse(node.test) in _TYPE_CHECKING_NAMES:
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
