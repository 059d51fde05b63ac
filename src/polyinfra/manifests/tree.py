"""The tree of kustomizations an overlay builds from, read as written (not rendered): every
kustomization and source object, with where each field was written; what a patch targets."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.errors import RefusedFile, UserError
from polyinfra.manifests.inputs import named_inputs
from polyinfra.manifests.kustomization import (
    _KUSTOMIZATION_FOLDER,
    OUTSIDE_HINT,
    Kustomization,
    PatchTarget,
    Reference,
    _bounds_of,
    _check_named,
    _str_or_none,
    load_kustomization,
    read_documents,
)
from polyinfra.positions import Position
from polyinfra.realpaths import real, resolving
from polyinfra.yamlio import Bounds, YamlDocument
from polyinfra.yamlio.text import read_text


@dataclass(frozen=True)
class SourceObject:
    """An object as written in a resource file, before any kustomization transforms it.

    ``names`` holds every name it may be targeted by on the way up (plain, then with each
    enclosing kustomization's prefix/suffix); ``namespace`` is the one it ends up in.
    """

    api_version: str
    kind: str
    name: str
    namespace: str | None
    document: YamlDocument
    names: tuple[str, ...]
    via: tuple[Path, ...] = ()

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class KustomizeTree:
    """An overlay and everything it builds from, in the order kustomize reads them.

    ``kustomizations`` starts with the overlay; ``objects`` are the objects of every resource
    file reached, with the identity kustomize will give them (prefix, suffix, namespace);
    ``remote`` lists remote references anywhere in the tree; ``directories`` every local
    kustomization folder (what a render copies).
    """

    overlay: Kustomization
    kustomizations: tuple[Kustomization, ...]
    objects: tuple[SourceObject, ...]
    remote: tuple[Reference, ...]
    directories: tuple[Path, ...]
    #: resource files and the kustomizations above each, for :meth:`with_objects`
    resource_files: tuple[tuple[Path, tuple[Kustomization, ...]], ...] = ()
    fast: bool = False
    #: where the files of the tree may be and how large (checked as the tree is walked)
    bounds: Bounds = field(default_factory=Bounds)

    def with_objects(self) -> KustomizeTree:
        """This tree with ``objects`` read (for a tree loaded with ``objects=False``)."""
        if self.objects or not self.resource_files:
            return self
        found = [
            o
            for file, chain in self.resource_files
            for o in _objects_of(file, chain, self.fast, self.bounds)
        ]
        return dataclasses.replace(self, objects=tuple(found))

    @property
    def unpredictable(self) -> tuple[str, ...]:
        """Why kustomize's output identities cannot be told in advance (empty when they can)."""
        reasons = [r for k in self.kustomizations for r in k.unpredictable]
        if self.remote:
            reasons.append("remote resources")
        return tuple(reasons)

    def identities(self) -> tuple[tuple[str, str, str, str], ...]:
        """``(group, kind, namespace, name)`` of every object the build is expected to emit."""
        return tuple(
            (o.group, o.kind, o.namespace or "", o.names[-1] if o.names else o.name)
            for o in self.objects
        )


def load_tree(
    overlay_dir: Path, *, fast: bool = False, objects: bool = True, bounds: Bounds | None = None
) -> KustomizeTree:
    """Walk ``overlay_dir`` and what it references; a kustomization is read once.

    ``fast``: without positions (see :func:`read_documents`). ``objects=False``: resource
    files are listed but not read (see :meth:`KustomizeTree.with_objects`). ``bounds``
    (default: those of the workspace around ``overlay_dir``): every file and folder the tree
    names must be inside the workspace (outside one, a file must be in or below the folder of
    the kustomization naming it, as kustomize has it), and every file kustomize will read a
    regular file within the size limit: :class:`~polyinfra.errors.RefusedFile` at the line
    that names it otherwise, before anything reads it."""
    bounds = bounds or _bounds_of(overlay_dir)
    with resolving():  # the tree's files share their folders: each is resolved once
        try:
            return _load_tree(overlay_dir, fast, objects, bounds)
        except (UserError, RefusedFile):
            if fast:  # say where the error is: read again, with positions
                _load_tree(overlay_dir, False, objects, bounds)
            raise


def _load_tree(overlay_dir: Path, fast: bool, objects: bool, bounds: Bounds) -> KustomizeTree:
    seen: dict[Path, Kustomization] = {}
    order: list[Kustomization] = []
    remote: list[Reference] = []
    files: list[tuple[Path, tuple[Kustomization, ...]]] = []

    def visit(directory: Path, chain: tuple[Kustomization, ...], named_at: Position | None) -> None:
        key = real(directory)
        if key in seen:
            if seen[key] in chain:
                raise UserError(
                    f"kustomization cycle: {directory} includes itself",
                    position=seen[key].start,
                )
            return
        kustomization = load_kustomization(directory, fast=fast, bounds=bounds, reference=named_at)
        seen[key] = kustomization
        order.append(kustomization)
        here = (*chain, kustomization)
        local = bounds.within(directory, _KUSTOMIZATION_FOLDER)
        for ref in kustomization.references:
            if ref.remote:
                remote.append(ref)
                continue
            target = Path(os.path.normpath(directory / ref.value))
            if target.is_dir():
                if bounds.root is not None:
                    bounds.inside(target, reference=ref.position, name=ref.value, hint=OUTSIDE_HINT)
                visit(target, here, ref.position)
            elif target.exists() and ref.field != "components":
                _check_named(target, local, ref.position, ref.value)
                files.append((target, here))
        for target, named_at_input, written in named_inputs(kustomization):
            _check_named(target, local, named_at_input, written)

    visit(overlay_dir, (), None)
    for k in order:
        remote.extend(
            Reference(p.field, p.reference or "", p.position, True) for p in k.patches if p.remote
        )
    tree = KustomizeTree(
        overlay=order[0],
        kustomizations=tuple(order),
        objects=(),
        remote=tuple(remote),
        directories=tuple(k.directory for k in order),
        resource_files=tuple(files),
        fast=fast,
        bounds=bounds,
    )
    return tree.with_objects() if objects else tree


def _objects_of(
    file: Path, chain: tuple[Kustomization, ...], fast: bool, bounds: Bounds
) -> Iterator[SourceObject]:
    # the file was checked against the bounds when the tree was walked (outside a workspace,
    # against the folder of the kustomization naming it): here only its size counts
    text = read_text(file, bounds=Bounds(max_size=bounds.max_size))
    for doc in read_documents(text, file, fast=fast):
        data = doc.data
        if not isinstance(data, dict):
            continue
        meta = data.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name")
        kind = data.get("kind")
        if not isinstance(name, str) or not isinstance(kind, str):
            continue
        namespace = _str_or_none(meta.get("namespace"))
        names = [name]
        current = name
        # innermost kustomization first: prefixes stack outward, the outermost namespace wins
        for k in reversed(chain):
            current = f"{k.name_prefix}{current}{k.name_suffix}"
            if current != names[-1]:
                names.append(current)
            if k.namespace:
                namespace = k.namespace
        yield SourceObject(
            api_version=str(data.get("apiVersion", "")),
            kind=kind,
            name=name,
            namespace=namespace,
            document=doc,
            names=tuple(names),
            via=tuple(k.directory for k in chain),
        )


def target_matches(target: PatchTarget, obj: SourceObject) -> bool:
    """Whether kustomize's selector ``target`` selects ``obj`` (by kind, name, namespace,
    group, version and simple ``k=v`` label/annotation selectors)."""

    def regex(pattern: str | None, value: str) -> bool:
        if pattern is None:
            return True
        try:
            return re.fullmatch(pattern, value) is not None
        except re.error:
            return pattern == value

    if not regex(target.kind, obj.kind) or not regex(target.group, obj.group):
        return False
    if not regex(target.version, obj.version):
        return False
    if target.namespace is not None and not regex(target.namespace, obj.namespace or ""):
        return False
    if target.name is not None and not any(regex(target.name, n) for n in obj.names):
        return False
    meta = obj.document.get(("metadata",)) or {}
    for selector, key in (
        (target.label_selector, "labels"),
        (target.annotation_selector, "annotations"),
    ):
        if selector and not _selector_matches(selector, meta.get(key) or {}):
            return False
    return True


def _selector_matches(selector: str, values: dict[str, Any]) -> bool:
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        if "!=" in term:
            key, expected = (s.strip() for s in term.split("!=", 1))
            if str(values.get(key)) == expected:
                return False
        elif "=" in term:
            key, expected = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if str(values.get(key)) != expected:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in values:
                return False
        elif re.fullmatch(r"[\w./-]+", term):
            if term not in values:
                return False
        else:
            return True  # set-based selectors: assume a match rather than guess wrong
    return True
