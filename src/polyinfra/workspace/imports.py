"""Brick import graph: which bricks each brick imports (AST parse) and the transitive users of a
set of bricks, so a change reaches every brick that depends on it however indirectly."""

from __future__ import annotations

import ast
import os
import re
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


def brick_dependents(
    bricks: Mapping[str, Brick], namespace: str, changed: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """``brick_imports(bricks, namespace).dependents(changed)``, parsing only the files that
    can import a brick the search reaches: a file imports brick ``log`` only if the word
    ``log`` is written in it, so each file is read once and split into words, and a file is
    parsed the first time one of its words names a brick being followed."""
    index = _WordIndex(bricks, namespace)
    start = sorted(set(changed))
    chains: dict[str, tuple[str, ...]] = dict.fromkeys(start, ())
    queue = deque(start)
    while queue:
        brick = queue.popleft()
        for user in sorted(index.users(brick)):
            if user in chains:
                continue
            chains[user] = (brick, *chains[brick])
            queue.append(user)
    return {brick: chain for brick, chain in sorted(chains.items()) if chain}


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _WordIndex:
    """The bricks' Python files by the words written in them, parsed on demand."""

    def __init__(self, bricks: Mapping[str, Brick], namespace: str) -> None:
        self.bricks = bricks
        self.namespace = namespace
        #: word -> (brick, file) pairs whose text holds it; files that are not ASCII (whose
        #: identifiers Python normalizes) are in ``always``, parsed whatever is followed
        self.by_word: dict[str, list[tuple[str, Path]]] = {}
        self.always: list[tuple[str, Path]] = []
        self.texts: dict[Path, str] = {}
        self.parsed: dict[Path, set[str]] = {}
        for rel, brick in bricks.items():
            for source in _python_files(brick.path):
                text = _source_text(source, namespace)
                if text is None:
                    continue
                self.texts[source] = text
                if not text.isascii():
                    self.always.append((rel, source))
                    continue
                for word in set(_WORD.findall(text)):
                    self.by_word.setdefault(word, []).append((rel, source))

    def users(self, brick: str) -> set[str]:
        """The bricks that import ``brick`` directly (never ``brick`` itself)."""
        if brick not in self.bricks:
            return set()  # a deleted brick: nothing can import it any more
        name = self.bricks[brick].name
        found: set[str] = set()
        for rel, source in [*self.by_word.get(name, ()), *self.always]:
            if rel != brick and rel not in found and name in self._names(source):
                found.add(rel)
        return found

    def _names(self, source: Path) -> set[str]:
        names = self.parsed.get(source)
        if names is None:
            names = _names_in(self.texts[source], source, self.namespace)
            self.parsed[source] = names
        return names


def _python_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if _is_dir(entry):
                if name not in _SKIP_DIRS and not name.startswith("."):
                    stack.append(entry.path)
            elif name.endswith(".py") and len(name) > len(".py"):  # Path(name).suffix == ".py"
                found.append(Path(entry.path))
    return sorted(found)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``Path.is_dir``: a folder or a link to one; False when it cannot be told."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _imported_bricks(source: Path, namespace: str) -> set[str]:
    text = _source_text(source, namespace)
    return set() if text is None else _names_in(text, source, namespace)


def _source_text(source: Path, namespace: str) -> str | None:
    """The text of a brick's file when it can import a brick, else None."""
    data = read_quietly(source)  # a regular file within the size limit, else no imports
    try:
        text = data.decode("utf-8") if data is not None else ""
    except UnicodeDecodeError:
        return None
    if namespace not in text:  # cheap pre-filter: no mention of the namespace, no brick import
        return None
    return text


def _names_in(text: str, source: Path, namespace: str) -> set[str]:
    """The brick names the runtime imports of ``text`` name."""
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
