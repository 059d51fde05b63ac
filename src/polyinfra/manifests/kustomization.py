"""Kustomization files read with positions: references, patches (with each op's place in the
file), images, and the tree of kustomizations and resource files an overlay builds from."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.errors import RefusedFile, UserError
from polyinfra.positions import Position
from polyinfra.workspace.model import kustomization_file
from polyinfra.yamlio import Bounds, KeyPath, YamlDocument, load_all_text, load_text
from polyinfra.yamlio.loader import MappedPositions
from polyinfra.yamlio.text import examine, read_text

#: Fields whose output kustomize may add or rename objects for in ways we cannot predict from
#: the sources; an overlay using one is rendered on its own rather than in a batch.
UNPREDICTABLE_FIELDS = (
    "configMapGenerator",
    "secretGenerator",
    "generators",
    "transformers",
    "validators",
    "helmCharts",
    "helmChartInflationGenerator",
    "helmGlobals",
    "replacements",
    "vars",
    "crds",
    "sortOptions",
    "buildMetadata",
    "openapi",
    "configurations",
)


#: JSON-pointer prefixes that change an object's identity (kind, name, namespace).
_IDENTITY_POINTERS = ("/kind", "/apiVersion", "/metadata/name", "/metadata/namespace")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


#: What a kustomization's files must be in outside a workspace (kustomize's own rule).
_KUSTOMIZATION_FOLDER = "the kustomization's folder"


#: Why a file a kustomization names must be inside the workspace.
OUTSIDE_HINT = (
    "polyinfra reads no file outside the workspace, and kustomize itself reads only files in "
    "or below the kustomization's folder: move the file there and name it by a relative path"
)


def is_remote(ref: str, base: Path) -> bool:
    """True when kustomize would fetch ``ref`` (a URL or a git repository) instead of reading a
    local file: ``https://…``, ``git@host:…``, ``github.com/org/repo//path?ref=v1``."""
    text = ref.strip()
    if _SCHEME.match(text) or text.startswith(("git@", "git::", "gh:")):
        return True
    if "?ref=" in text or "?version=" in text or "?submodules=" in text:
        return True
    first = text.split("/", 1)[0]
    return "." in first.strip(".") and "/" in text and not (base / text).exists()


def parse_pointer(pointer: str) -> tuple[str, ...] | None:
    """A JSON pointer split into unescaped tokens; None when it does not start with ``/``.

    >>> parse_pointer("/metadata/annotations/run.googleapis.com~1secrets")
    ('metadata', 'annotations', 'run.googleapis.com/secrets')
    """
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


@dataclass(frozen=True)
class Reference:
    """An entry of ``resources``/``components``/``bases``: a local path or a remote address."""

    field: str
    value: str
    position: Position
    remote: bool


@dataclass(frozen=True)
class PatchTarget:
    """A patch ``target`` selector (kustomize treats each string as an anchored regex)."""

    position: Position
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    group: str | None = None
    version: str | None = None
    label_selector: str | None = None
    annotation_selector: str | None = None


@dataclass(frozen=True)
class PatchOp:
    """One JSON6902 operation, positioned in the file the user edits.

    ``position`` is the op item (``- op: …``), ``path_position`` the value of its ``path``.
    ``index`` is the op's place in its patch; ``document`` the parsed patch it belongs to.
    """

    op: str
    path: str
    position: Position
    path_position: Position
    index: int
    document: YamlDocument
    has_value: bool

    @property
    def tokens(self) -> tuple[str, ...] | None:
        return parse_pointer(self.path)

    def value_position(self, rest: KeyPath, *, value: bool = False) -> Position | None:
        """Where, inside this op's ``value``, the sub-path ``rest`` is written: its key, or
        with ``value=True`` the value itself (None if not there). An empty ``rest`` with
        ``value=True`` is the op's whole ``value``."""
        key = (self.index, "value", *rest)
        keys, values = self.document.key_positions, self.document.value_positions
        if value:
            return values.get(key) or (keys.get(key) if rest else None)
        return keys.get(key) or values.get(key)


@dataclass(frozen=True)
class Patch:
    """An entry of ``patches``/``patchesJson6902``/``patchesStrategicMerge``.

    Exactly one of ``ops`` (a JSON6902 patch) and ``strategic`` (strategic-merge documents) is
    set. Positions map into the kustomization file for inline patches (block scalars) and
    into the patch file for ``path:`` patches.
    """

    field: str
    index: int
    position: Position
    target: PatchTarget | None
    ops: tuple[PatchOp, ...] | None = None
    strategic: tuple[YamlDocument, ...] | None = None
    file: Path | None = None
    remote: bool = False
    reference: str | None = None  # the ``path:`` as written


@dataclass(frozen=True)
class ImageEntry:
    """An ``images:`` entry."""

    name: str
    position: Position
    new_name: str | None = None
    new_tag: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class Kustomization:
    """One kustomization file (an overlay, a base or a component)."""

    directory: Path
    path: Path
    document: YamlDocument
    references: tuple[Reference, ...]
    patches: tuple[Patch, ...]
    images: tuple[ImageEntry, ...]
    namespace: str | None
    name_prefix: str
    name_suffix: str
    unpredictable: tuple[str, ...] = field(default=())

    @property
    def start(self) -> Position:
        return self.document.start or Position(self.path, 1, 1)

    def position(self, path: KeyPath, *, value: bool = False) -> Position:
        return self.document.position(path, value=value)


def read_documents(text: str, path: Path, *, fast: bool = False) -> list[YamlDocument]:
    """The documents of ``text``, read as everywhere else (libyaml builds the data, nesting
    and alias expansion bounded the same way). ``fast``: without positions, so the many a
    kustomization's fields are given cost nothing (finding them means reading the text
    again); every position is the document's start. A fast reader that raises a UserError
    reads again with positions first (see :func:`load_kustomization`)."""
    docs = load_all_text(text, path)
    if fast:
        return [dataclasses.replace(d, key_positions={}, value_positions={}) for d in docs]
    return docs


def load_kustomization(
    directory: Path,
    *,
    fast: bool = False,
    bounds: Bounds | None = None,
    reference: Position | None = None,
) -> Kustomization:
    """Read the kustomization in ``directory``; UserError when there is none or it is malformed.

    ``fast``: without positions (see :func:`read_documents`). ``bounds`` (default: those of the
    workspace around ``directory``): where the kustomization and the patch files it names may
    be; outside a workspace, patch files must be in or below ``directory``, as kustomize has
    it. ``reference``: where the folder is named (a ``resources`` entry), for a refusal."""
    bounds = bounds or _bounds_of(directory)
    try:
        return _load_kustomization(directory, fast, bounds, reference)
    except (UserError, RefusedFile):
        if fast:  # say where the error is: read again, with positions
            _load_kustomization(directory, False, bounds, reference)
        raise


def _load_kustomization(
    directory: Path, fast: bool, bounds: Bounds, reference: Position | None
) -> Kustomization:
    path = kustomization_file(directory)
    if path is None:
        raise UserError(
            f"{directory}: no kustomization.yaml",
            position=Position(directory),
            hint="every base and overlay folder needs a kustomization.yaml",
        )
    examine(path, bounds=Bounds(max_size=bounds.max_size))  # a device: at the file
    if bounds.root is not None:
        bounds.inside(path, reference=reference, hint=OUTSIDE_HINT)
    text = read_text(path, bounds=bounds)  # not UTF-8, or a NUL byte: at the first bad byte
    docs = read_documents(text, path, fast=fast)
    if len(docs) > 1:
        load_text(text, path)  # raises the positioned "more than one document" error
    doc = docs[0] if docs else YamlDocument(path=path, data=None)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise UserError(
            "a kustomization must be a mapping",
            position=doc.start or Position(path, 1, 1),
            hint="start the file with `apiVersion: kustomize.config.k8s.io/v1beta1`",
        )
    references = tuple(_references(doc, data, directory))
    local = bounds.within(directory, _KUSTOMIZATION_FOLDER)
    patches = tuple(_patches(doc, data, directory, text, fast, local))
    images = tuple(_images(doc, data))
    unpredictable = [name for name in UNPREDICTABLE_FIELDS if data.get(name)]
    for patch in patches:
        for op in patch.ops or ():
            if op.path == "" or any(
                op.path == p or op.path.startswith(p + "/") for p in _IDENTITY_POINTERS
            ):
                unpredictable.append(f"patch op on {op.path or '/'}")
        for smp in patch.strategic or ():
            if "$patch" in str(smp.data):
                unpredictable.append("$patch directive")
        if patch.remote:
            unpredictable.append("remote patch")
    for entry in data.get("patches") or ():
        options = entry.get("options") if isinstance(entry, dict) else None
        if isinstance(options, dict) and (
            options.get("allowNameChange") or options.get("allowKindChange")
        ):
            unpredictable.append("patch options allowNameChange/allowKindChange")
    return Kustomization(
        directory=directory,
        path=path,
        document=doc,
        references=references,
        patches=patches,
        images=images,
        namespace=_str_or_none(data.get("namespace")),
        name_prefix=str(data.get("namePrefix") or ""),
        name_suffix=str(data.get("nameSuffix") or ""),
        unpredictable=tuple(unpredictable),
    )


def _bounds_of(folder: Path) -> Bounds:
    from polyinfra.workspace.bounds import bounds_of

    return bounds_of(folder)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _references(doc: YamlDocument, data: dict[str, Any], directory: Path) -> Iterator[Reference]:
    for name in ("resources", "bases", "components"):
        entries = data.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise UserError(
                f"`{name}` must be a list of paths",
                position=doc.position((name,)),
                hint=f"write `{name}:` followed by `- ../../base` items",
            )
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                raise UserError(
                    f"`{name}[{index}]` must be a path, not {type(entry).__name__}",
                    position=doc.position((name, index), value=True),
                )
            yield Reference(
                field=name,
                value=entry,
                position=doc.position((name, index), value=True),
                remote=is_remote(entry, directory),
            )


class _Shift:
    """Maps positions inside an inline patch (a block scalar) to the kustomization file."""

    def __init__(self, file: Path, text_lines: list[str], anchor: Position) -> None:
        self.file = file
        self.line = anchor.line
        self.indent = 0
        self.exact = False
        line_text = text_lines[anchor.line - 1] if 0 < anchor.line <= len(text_lines) else ""
        indicator = line_text[anchor.col - 1 :] if anchor.col else ""
        if indicator.startswith("|"):
            for following in text_lines[anchor.line :]:
                if following.strip():
                    self.indent = len(following) - len(following.lstrip(" "))
                    self.exact = True
                    break
        self.anchor = anchor

    def __call__(self, position: Position) -> Position:
        if not self.exact or not position.line:
            return self.anchor
        return Position(self.file, self.line + position.line, self.indent + position.col)

    def document(self, doc: YamlDocument) -> YamlDocument:
        return YamlDocument(
            path=self.file,
            data=doc.data,
            index=doc.index,
            key_positions=MappedPositions(doc.key_positions, self),
            value_positions=MappedPositions(doc.value_positions, self),
            start=self(doc.start) if doc.start else self.anchor,
        )


def _target(doc: YamlDocument, where: KeyPath, raw: Any) -> PatchTarget | None:
    if not isinstance(raw, dict):
        return None

    def text(key: str) -> str | None:
        value = raw.get(key)
        return None if value is None else str(value)

    return PatchTarget(
        position=doc.position(where),
        kind=text("kind"),
        name=text("name"),
        namespace=text("namespace"),
        group=text("group"),
        version=text("version"),
        label_selector=text("labelSelector"),
        annotation_selector=text("annotationSelector"),
    )


def _patch_documents(
    content: str, source: Path, shift: _Shift | None, position: Position, fast: bool
) -> list[YamlDocument]:
    try:
        docs = read_documents(content, source, fast=fast)
    except UserError as exc:
        where = exc.position
        if shift is not None and where is not None:
            where = shift(where)
        raise UserError(f"patch: {exc.message}", position=where or position, hint=exc.hint) from exc
    return [shift.document(d) for d in docs] if shift is not None else docs


def _build_patch(
    field_name: str,
    index: int,
    position: Position,
    target: PatchTarget | None,
    docs: list[YamlDocument],
    file: Path | None,
) -> Patch:
    if len(docs) == 1 and isinstance(docs[0].data, list):
        doc = docs[0]
        ops = []
        for i, item in enumerate(doc.data):
            if not isinstance(item, dict):
                continue
            path = item.get("path")
            ops.append(
                PatchOp(
                    op=str(item.get("op", "")),
                    path=str(path) if path is not None else "",
                    position=doc.position((i,), value=True),
                    path_position=doc.position((i, "path"), value=True),
                    index=i,
                    document=doc,
                    has_value="value" in item,
                )
            )
        return Patch(field_name, index, position, target, ops=tuple(ops), file=file)
    return Patch(field_name, index, position, target, strategic=tuple(docs), file=file)


def _patches(
    doc: YamlDocument, data: dict[str, Any], directory: Path, text: str, fast: bool, bounds: Bounds
) -> Iterator[Patch]:
    lines = text.splitlines()
    for field_name in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        entries = data.get(field_name)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            where: KeyPath = (field_name, index)
            position = doc.position(where, value=True)
            if isinstance(entry, str):  # patchesStrategicMerge: a file path or inline YAML
                entry = {"patch": entry} if "\n" in entry or ":" in entry else {"path": entry}
                inline_key: KeyPath = where
                path_key: KeyPath = where
            else:
                inline_key = (*where, "patch")
                path_key = (*where, "path")
            if not isinstance(entry, dict):
                continue
            target = _target(doc, (*where, "target"), entry.get("target"))
            if isinstance(entry.get("patch"), str):
                anchor = doc.position(inline_key, value=True)
                shift = _Shift(doc.path, lines, anchor)
                docs = _patch_documents(entry["patch"], doc.path, shift, anchor, fast)
                yield _build_patch(field_name, index, position, target, docs, None)
            elif isinstance(entry.get("path"), str):
                ref = entry["path"]
                if is_remote(ref, directory):
                    yield Patch(field_name, index, position, target, remote=True, reference=ref)
                    continue
                file = directory / ref
                named_at = doc.position(path_key, value=True)
                _check_named(file, bounds, named_at, ref)
                if not file.is_file():
                    # kustomize reports the missing file with its own message when it builds
                    yield Patch(field_name, index, position, target, file=file)
                    continue
                content = read_text(file, bounds=bounds, reference=named_at)
                docs = _patch_documents(content, file, None, Position(file, 1, 1), fast)
                yield _build_patch(field_name, index, position, target, docs, file)


def _images(doc: YamlDocument, data: dict[str, Any]) -> Iterator[ImageEntry]:
    entries = data.get("images")
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "name" not in entry:
            continue

        def text(key: str, entry: dict[str, Any] = entry) -> str | None:
            value = entry.get(key)
            return None if value is None else str(value)

        yield ImageEntry(
            name=str(entry["name"]),
            position=doc.position(("images", index), value=True),
            new_name=text("newName"),
            new_tag=text("newTag"),
            digest=text("digest"),
        )


def _check_named(path: Path, bounds: Bounds, named_at: Position, written: str) -> None:
    """:class:`RefusedFile` for a file a kustomization names at ``named_at`` (as ``written``)
    that is not a regular file (at the file), is too large, or is outside ``bounds`` (at the
    line naming it)."""
    examine(path, bounds=Bounds(max_size=bounds.max_size))
    bounds.inside(path, reference=named_at, name=written, hint=OUTSIDE_HINT)
