"""Where a field of a rendered object was written: the overlay patch op that set it, else the
base manifest node with the same path, else the overlay's kustomization file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.manifests.images import image_name
from polyinfra.manifests.kustomization import Kustomization, Patch, PatchOp
from polyinfra.manifests.tree import KustomizeTree, SourceObject, target_matches
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath, YamlDocument

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name)


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@dataclass(frozen=True)
class _AppliedOp:
    """A JSON6902 op with ``-`` and indices resolved against the object it was applied to."""

    op: PatchOp
    path: KeyPath


@dataclass(frozen=True)
class _AppliedMerge:
    patch: Patch
    document: YamlDocument


class SourceMap:
    """Field path of a rendered object -> the position in the file the user edits.

    Built once per rendered app from the overlay's :class:`KustomizeTree`.
    """

    def __init__(self, tree: KustomizeTree) -> None:
        self.tree = tree
        self._by_identity: dict[Identity, SourceObject] = {}
        for obj in tree.objects:
            identity = (obj.group, obj.kind, obj.namespace or "", obj.names[-1])
            self._by_identity.setdefault(identity, obj)
        self._applied: dict[int, list[_AppliedOp | _AppliedMerge]] = {}

    def source_object(
        self, api_version: str, kind: str, namespace: str, name: str
    ) -> SourceObject | None:
        """The resource-file object a rendered object came from (None when generated)."""
        found = self._by_identity.get((group_of(api_version), kind, namespace, name))
        if found is not None:
            return found
        for obj in self.tree.objects:
            if obj.kind == kind and name in obj.names:
                return obj
        return None

    def position(
        self,
        rendered: Any,
        path: KeyPath,
        *,
        value: bool = False,
        source: SourceObject | None = None,
    ) -> Position:
        """Where ``path`` of the rendered object ``rendered`` (its parsed data) was written."""
        if source is None and isinstance(rendered, dict):
            meta = rendered.get("metadata") or {}
            source = self.source_object(
                str(rendered.get("apiVersion", "")),
                str(rendered.get("kind", "")),
                str(meta.get("namespace") or ""),
                str(meta.get("name", "")),
            )
        if source is None:
            return self.tree.overlay.start
        path = tuple(path)
        found = self._from_patches(source, rendered, path, value=value)
        if found is not None:
            return found
        found = self._from_transformers(source, path)
        if found is not None:
            return found
        base_path = translate(rendered, source.document.data, path)
        if base_path is not None:
            doc = source.document
            table = doc.value_positions if value else doc.key_positions
            hit = table.get(base_path) or doc.value_positions.get(base_path)
            if hit is not None:
                return hit
        return self.tree.overlay.start

    def _chain(self, source: SourceObject) -> Iterator[Kustomization]:
        """Kustomizations that transform ``source``, outermost (the overlay) first, each
        followed by its components, last listed first (a kustomization's components apply
        after what it includes and before its own patches, in the order listed)."""
        wanted = set(source.via)
        by_dir = {k.directory: k for k in self.tree.kustomizations}

        def with_components(k: Kustomization, seen: frozenset[Path]) -> Iterator[Kustomization]:
            yield k
            for ref in reversed(k.references):
                if ref.field != "components" or ref.remote:
                    continue
                component = by_dir.get(Path(os.path.normpath(k.directory / ref.value)))
                if component is not None and component.directory not in seen:
                    yield from with_components(component, seen | {component.directory})

        for k in self.tree.kustomizations:
            if k.directory in wanted:
                yield from with_components(k, frozenset({k.directory}))

    def _applied_to(self, source: SourceObject) -> list[_AppliedOp | _AppliedMerge]:
        key = id(source)
        if key not in self._applied:
            self._applied[key] = list(self._resolve(source))
        return self._applied[key]

    def _resolve(self, source: SourceObject) -> Iterator[_AppliedOp | _AppliedMerge]:
        lengths: dict[KeyPath, int] = {}
        base = source.document.data
        order = {"patchesStrategicMerge": 0, "patches": 1, "patchesJson6902": 2}
        for k in reversed(list(self._chain(source))):  # innermost kustomization applies first
            for patch in sorted(k.patches, key=lambda p: (order.get(p.field, 1), p.index)):
                if patch.strategic is not None:
                    for doc in patch.strategic:
                        if _merge_targets(patch, doc, source):
                            yield _AppliedMerge(patch, doc)
                    continue
                if patch.ops is None or patch.target is None:
                    continue
                if not target_matches(patch.target, source):
                    continue
                for op in patch.ops:
                    tokens = op.tokens
                    if tokens is None:
                        continue
                    resolved = _resolve_pointer(tokens, op.op, lengths, base)
                    if resolved is not None:
                        yield _AppliedOp(op, resolved)

    def _from_patches(
        self, source: SourceObject, rendered: Any, path: KeyPath, *, value: bool = False
    ) -> Position | None:
        for applied in reversed(self._applied_to(source)):
            if isinstance(applied, _AppliedOp):
                op_path = applied.path
                if applied.op.op in ("add", "replace", "copy", "move") and (
                    path[: len(op_path)] == op_path
                ):
                    rest = path[len(op_path) :]
                    if (rest or value) and applied.op.has_value:
                        inner = applied.op.value_position(rest, value=value)
                        if inner is not None:
                            return inner
                    return applied.op.position
            else:
                merge_path = translate(rendered, applied.document.data, path)
                if merge_path is not None and merge_path:
                    doc = applied.document
                    first, second = (
                        (doc.value_positions, doc.key_positions)
                        if value
                        else (doc.key_positions, doc.value_positions)
                    )
                    hit = first.get(merge_path) or second.get(merge_path)
                    if hit is not None and merge_path not in (
                        ("apiVersion",),
                        ("kind",),
                        ("metadata",),
                        ("metadata", "name"),
                    ):
                        return hit
        return None

    def _from_transformers(self, source: SourceObject, path: KeyPath) -> Position | None:
        chain = list(self._chain(source))
        if path == ("metadata", "namespace"):
            for k in chain:
                if k.namespace:
                    return k.position(("namespace",), value=True)
        if path == ("metadata", "name"):
            for k in chain:
                if k.name_prefix or k.name_suffix:
                    key = "namePrefix" if k.name_prefix else "nameSuffix"
                    return k.position((key,), value=True)
        if len(path) >= 2 and path[-2] in ("labels", "annotations"):
            for k in chain:
                found = _common_metadata(k, str(path[-2]), str(path[-1]))
                if found is not None:
                    return found
        if path and path[-1] == "image":
            written = source.document.get(path)
            if isinstance(written, str):
                name = image_name(written)
                for k in chain:
                    for entry in k.images:
                        if entry.name == name:
                            return entry.position
        return None


def _common_metadata(k: Kustomization, kind: str, key: str) -> Position | None:
    """Where ``commonLabels``/``labels[].pairs``/``commonAnnotations`` of ``k`` set ``key``."""
    data = k.document.data if isinstance(k.document.data, dict) else {}
    field = "commonLabels" if kind == "labels" else "commonAnnotations"
    common = data.get(field)
    if isinstance(common, dict) and key in common:
        return k.position((field, key))
    if kind == "labels":
        for index, entry in enumerate(data.get("labels") or ()):
            pairs = entry.get("pairs") if isinstance(entry, dict) else None
            if isinstance(pairs, dict) and key in pairs:
                return k.position(("labels", index, "pairs", key))
    return None


def _merge_targets(patch: Patch, doc: YamlDocument, source: SourceObject) -> bool:
    if patch.target is not None:
        return target_matches(patch.target, source)
    data = doc.data if isinstance(doc.data, dict) else {}
    meta = data.get("metadata") or {}
    return data.get("kind") == source.kind and meta.get("name") in source.names


def _resolve_pointer(
    tokens: tuple[str, ...], op: str, lengths: dict[KeyPath, int], base: Any
) -> KeyPath | None:
    """Tokens -> key path; list indices become ints, ``-`` the next index of that list."""
    resolved: list[str | int] = []
    node: Any = base
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        parent = tuple(resolved)
        if isinstance(node, list) or (node is None and (token.isdigit() or token == "-")):
            length = lengths.get(parent, len(node) if isinstance(node, list) else 0)
            if token == "-":
                index = length
            elif token.isdigit():
                index = int(token)
            else:
                return None
            if last and op == "add":
                lengths[parent] = length + 1
            elif last and op == "remove":
                lengths[parent] = max(length - 1, 0)
            resolved.append(index)
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            resolved.append(token)
            node = node.get(token) if isinstance(node, dict) else None
    return tuple(resolved)


def translate(rendered: Any, other: Any, path: KeyPath) -> KeyPath | None:
    """``path`` of ``rendered`` as a path of ``other``: list items that carry a ``name`` are
    matched by name (a patch may have inserted items before them), others by index."""
    result: list[str | int] = []
    here, there = rendered, other
    for step in path:
        if isinstance(step, int):
            if not isinstance(there, list):
                return None
            item = here[step] if isinstance(here, list) and step < len(here) else None
            index = step
            if isinstance(item, dict) and "name" in item:
                matches = [
                    i
                    for i, o in enumerate(there)
                    if isinstance(o, dict) and o.get("name") == item["name"]
                ]
                if not matches:
                    return None
                index = matches[0]
            if index >= len(there):
                return None
            result.append(index)
            here, there = item, there[index]
        else:
            if not isinstance(there, dict) or step not in there:
                return None
            result.append(step)
            here = here.get(step) if isinstance(here, dict) else None
            there = there[step]
    return tuple(result)
