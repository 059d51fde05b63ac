"""The rendered stream cut into its objects: documents, and the identity (kind, name) of each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.manifests.provenance import Identity, group_of
from polyinfra.manifests.tree import KustomizeTree
from polyinfra.yamlio import load_all_text


def _split(output: str, trees: Sequence[KustomizeTree]) -> list[str] | None:
    """The aggregate output cut back per app by object identity; None when an object is not
    exactly one app's or an app's objects are not all there."""
    owner: dict[Identity, int] = {}
    for i, tree in enumerate(trees):
        for identity in tree.identities():
            owner[identity] = i
    documents: list[list[str]] = [[] for _ in trees]
    seen: list[set[Identity]] = [set() for _ in trees]
    for text in split_documents(output):
        found = identity_of(text)
        if found is None or found not in owner:
            return None
        documents[owner[found]].append(text)
        seen[owner[found]].add(found)
    for i, tree in enumerate(trees):
        if seen[i] != set(tree.identities()):
            return None
    return ["---\n".join(docs) for docs in documents]


def split_documents(output: str) -> list[str]:
    """Kustomize's output stream cut into its documents (each keeps its trailing newline).

    Kustomize separates documents with a ``---`` line; inside a document every line of a
    block scalar is indented, so a bare ``---`` line is always a separator.
    """
    docs: list[str] = []
    at = 4 if output.startswith("---\n") else 0
    while True:  # slices of the output, each copied once
        cut = output.find("\n---\n", at)
        if cut < 0:
            doc = output[at:]  # the last keeps the stream's own ending
        else:  # ends with the line break before the separator, or with one added
            doc = output[at:cut] if cut > at and output[cut - 1] == "\n" else output[at : cut + 1]
        if doc.strip():
            docs.append(doc)
        if cut < 0:
            return docs
        at = cut + 5


def _plain(value: str) -> str | None:
    """A plain (unquoted, single-line) YAML scalar as text; None when it needs a parser."""
    value = value.strip()
    if not value or value[0] in "'\"&*!|>{[%@`#" or " #" in value:
        return None
    return value


def identity_of(text: str) -> Identity | None:
    """``(group, kind, namespace, name)`` of one kustomize output document, read from its
    top-level ``apiVersion``/``kind`` and ``metadata.name``/``namespace`` lines."""
    api = kind = name = None
    namespace = ""
    in_meta = False
    for line in text.splitlines():
        if not line or line[0] not in " -":
            in_meta = line.startswith("metadata:")
            if line.startswith("apiVersion:"):
                api = _plain(line[len("apiVersion:") :])
            elif line.startswith("kind:"):
                kind = _plain(line[len("kind:") :])
            continue
        if in_meta and line.startswith("  ") and not line.startswith("   "):
            if line.startswith("  name:"):
                name = _plain(line[len("  name:") :])
                if name is None:
                    return _identity_by_parse(text)
            elif line.startswith("  namespace:"):
                parsed = _plain(line[len("  namespace:") :])
                if parsed is None:
                    return _identity_by_parse(text)
                namespace = parsed
    if api is None or kind is None or name is None:
        return _identity_by_parse(text)
    return (group_of(api), kind, namespace, name)


def _identity_by_parse(text: str) -> Identity | None:
    try:
        docs = load_all_text(text, Path("<kustomize output>"))
    except UserError:
        return None
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        return None
    data = docs[0].data
    meta = data.get("metadata") or {}
    if not isinstance(meta, dict) or "name" not in meta or "kind" not in data:
        return None
    return (
        group_of(str(data.get("apiVersion", ""))),
        str(data["kind"]),
        str(meta.get("namespace") or ""),
        str(meta["name"]),
    )
