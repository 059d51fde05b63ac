"""What patch rules share: every kustomization an app's overlays reach, each JSON6902 op with
the objects its target selects and the paths that exist when it is applied."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.checks.context import CheckContext
from polyinfra.errors import UserError
from polyinfra.manifests.kustomization import Kustomization, Patch, PatchOp
from polyinfra.manifests.tree import KustomizeTree, SourceObject, load_tree, target_matches
from polyinfra.realpaths import resolving

Tokens = tuple[str, ...]

#: Fields that make objects the resource files do not show: a target may select those.
_GENERATING = frozenset(
    {
        "configMapGenerator",
        "secretGenerator",
        "generators",
        "helmCharts",
        "helmChartInflationGenerator",
        "transformers",
    }
)


@dataclass(frozen=True)
class OpView:
    """One op of a JSON6902 patch in context: the objects it applies to, and for each, whether
    its path exists when the op runs (in the base, or made by an inner or earlier patch)."""

    kustomization: Kustomization
    patch: Patch
    op: PatchOp
    objects: tuple[SourceObject, ...]
    missing: tuple[SourceObject, ...]


@dataclass(frozen=True)
class PatchView:
    """One patch with the objects it selects (``complete``: the resource files show every
    object the kustomization can see, so "selects nothing" is certain)."""

    kustomization: Kustomization
    patch: Patch
    objects: tuple[SourceObject, ...]
    complete: bool
    scope: tuple[SourceObject, ...]  # every object the kustomization sees


@dataclass(frozen=True)
class PatchAnalysis:
    ops: tuple[OpView, ...]
    patches: tuple[PatchView, ...]


def overlay_trees(ctx: CheckContext) -> list[KustomizeTree]:
    """The tree of every app overlay in the workspace (overlays that do not load are skipped:
    the workspace rules report them)."""
    trees: list[KustomizeTree] = []
    if ctx.workspace is None:
        return trees
    with resolving():  # the overlays share their bases' folders: each is resolved once
        for app in ctx.workspace.apps.values():
            for overlay in app.overlays.values():
                try:
                    trees.append(load_tree(overlay.path, bounds=ctx.workspace.bounds))
                except UserError:
                    continue
    return trees


def analyse(ctx: CheckContext) -> PatchAnalysis:
    """Every kustomization reached from an app overlay, analysed once (bases shared by several
    overlays are reported once)."""
    ops: list[OpView] = []
    patches: list[PatchView] = []
    done: set[Path] = set()
    for tree in ctx.shared(overlay_trees):
        generated = bool(tree.remote) or any(
            name in (k.document.data or {}) for k in tree.kustomizations for name in _GENERATING
        )
        for kustomization in tree.kustomizations:
            if kustomization.path in done:
                continue
            done.add(kustomization.path)
            scope = [o for o in tree.objects if kustomization.directory in o.via]
            created = {id(o): _created_inside(tree, kustomization, o) for o in scope}
            for patch in kustomization.patches:
                selected = tuple(o for o in scope if _selects(patch, o))
                patches.append(
                    PatchView(kustomization, patch, selected, not generated, tuple(scope))
                )
                for op in patch.ops or ():
                    tokens = op.tokens
                    missing = []
                    for obj in selected:
                        made = created[id(obj)]
                        if tokens is not None and not _exists(obj.document.data, tokens, made):
                            missing.append(obj)
                        if tokens is not None and op.op in ("add", "copy", "move"):
                            made.append(tokens)
                    ops.append(OpView(kustomization, patch, op, selected, tuple(missing)))
                for obj in selected:
                    for doc in patch.strategic or ():
                        created[id(obj)].extend(_paths(doc.data))
    return PatchAnalysis(tuple(ops), tuple(patches))


def _selects(patch: Patch, obj: SourceObject) -> bool:
    if patch.target is not None:
        return target_matches(patch.target, obj)
    if patch.strategic:
        for doc in patch.strategic:
            data = doc.data if isinstance(doc.data, dict) else {}
            meta = data.get("metadata") or {}
            if data.get("kind") == obj.kind and meta.get("name") in obj.names:
                return True
    return False


def _created_inside(tree: KustomizeTree, outer: Kustomization, obj: SourceObject) -> list[Tokens]:
    """Paths that kustomizations between the resource file and ``outer`` add to ``obj``."""
    made: list[Tokens] = []
    via = list(obj.via)
    inner = via[via.index(outer.directory) + 1 :] if outer.directory in via else []
    by_dir = {k.directory: k for k in tree.kustomizations}
    for directory in reversed(inner):
        kustomization = by_dir.get(directory)
        if kustomization is None:
            continue
        data = kustomization.document.data if isinstance(kustomization.document.data, dict) else {}
        for field, parent in (("commonLabels", "labels"), ("commonAnnotations", "annotations")):
            if isinstance(data.get(field), dict):
                made.extend(("metadata", parent, str(key)) for key in data[field])
        for entry in data.get("labels") or ():
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict):
                made.extend(("metadata", "labels", str(key)) for key in entry["pairs"])
        if kustomization.namespace:
            made.append(("metadata", "namespace"))
        for patch in kustomization.patches:
            if not _selects(patch, obj):
                continue
            for op in patch.ops or ():
                if op.tokens is not None and op.op in ("add", "copy", "move"):
                    made.append(op.tokens)
            for doc in patch.strategic or ():
                made.extend(_paths(doc.data))
    return made


def _paths(data: Any, prefix: Tokens = ()) -> Iterator[Tokens]:
    """Every path a strategic-merge document writes (list items as ``-``: any index)."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*prefix, str(key))
            yield here
            yield from _paths(value, here)
    elif isinstance(data, list):
        for item in data:
            here = (*prefix, "-")
            yield here
            yield from _paths(item, here)


def _exists(data: Any, tokens: Tokens, made: list[Tokens]) -> bool:
    if _walk(data, tokens):
        return True
    return any(_prefix(m, tokens) for m in made)


def _prefix(made: Tokens, tokens: Tokens) -> bool:
    if len(made) > len(tokens):
        return False
    return all(m == t or (m == "-" and t.isdigit()) for m, t in zip(made, tokens, strict=False))


def _walk(data: Any, tokens: Tokens) -> bool:
    node = data
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                return False
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return False
            node = node[int(token)]
        else:
            return False
    return True


def object_label(obj: SourceObject) -> str:
    return f"{obj.kind}/{obj.name}"
