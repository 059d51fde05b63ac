"""What a render is asked for and what it gives: the request and options, and each rendered app
with its objects and where each of their fields was written."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.manifests.images import (
    DEFAULT_IMAGE_NAME,
)
from polyinfra.manifests.provenance import SourceMap
from polyinfra.manifests.tree import KustomizeTree, load_tree
from polyinfra.positions import Position
from polyinfra.yamlio import Bounds, KeyPath, YamlDocument, load_all_text


@dataclass(frozen=True)
class RenderRequest:
    """One app in one environment: its overlay folder and the image reference to set.

    The image replaces ``IMAGE_URL``, as the spec's ``kustomize edit set image
    IMAGE_URL=<image>`` does. An ``explicit`` image (one the user asked for: ``--image``,
    ``--registry``) is never dropped: when no container runs ``IMAGE_URL`` it goes into the
    app's container (the only one, else the only one whose image is named after the app or
    the image), and the render fails when no container clearly is the app's.
    """

    app: str
    env: str
    overlay: Path
    image: str
    explicit: bool = False


@dataclass(frozen=True)
class RenderOptions:
    """What every request of a render shares."""

    version: str
    placeholders: Mapping[str, str] = field(default_factory=dict)
    allow_remote_resources: bool = False
    batch: bool = True
    check_leftovers: bool = True


@dataclass(frozen=True)
class RenderedObject:
    """One object of a rendered app: its parsed document (positions in the rendered text)
    and ``position(path)``, where the field was written in the files the user edits (the
    app's sources are read on the first such question, not before)."""

    index: int
    document: YamlDocument
    app: RenderedApp

    @property
    def sources(self) -> SourceMap:
        return self.app.sources

    @property
    def data(self) -> Any:
        return self.document.data

    @property
    def kind(self) -> str:
        return str(self.document.get(("kind",), ""))

    @property
    def name(self) -> str:
        return str(self.document.get(("metadata", "name"), ""))

    @property
    def namespace(self) -> str:
        return str(self.document.get(("metadata", "namespace")) or "")

    @property
    def api_version(self) -> str:
        return str(self.document.get(("apiVersion",), ""))

    def position(self, path: KeyPath = (), *, value: bool = False) -> Position:
        """Source position of ``path``: the overlay patch op that set it, else the base node
        with the same path, else the overlay kustomization."""
        return self.sources.position(self.data, path, value=value)


@dataclass(frozen=True)
class RenderedApp:
    """An app rendered for one environment.

    ``text`` is the final manifest stream (byte-identical to ``edit set image`` + ``build`` +
    ``sed`` on a copy); ``objects`` are its parsed documents (parsed on first use);
    ``source(index, path)`` maps a field of object ``index`` to the file the user edits.
    """

    app: str
    env: str
    overlay: Path
    image: str
    text: str
    #: the image name ``edit set image`` targeted: ``IMAGE_URL``, or the app container's own
    image_name: str = DEFAULT_IMAGE_NAME
    #: where the overlay's files may be (default: the workspace around the overlay)
    bounds: Bounds | None = None

    @functools.cached_property
    def tree(self) -> KustomizeTree:
        """The overlay's sources with positions (read on first use: a plain render does not
        need them)."""
        return load_tree(self.overlay, bounds=self.bounds)

    @functools.cached_property
    def sources(self) -> SourceMap:
        return SourceMap(self.tree)

    @functools.cached_property
    def objects(self) -> tuple[RenderedObject, ...]:
        path = self.overlay / f"<rendered {self.app} {self.env}>"
        try:
            docs = load_all_text(self.text, path)
        except UserError as exc:
            raise self._unloadable(exc) from exc
        return tuple(RenderedObject(i, doc, self) for i, doc in enumerate(docs))

    def _unloadable(self, exc: UserError) -> UserError:
        """Why kustomize's output does not load (a value nested too deep): the error of the
        source file it comes from, at its line; else the error, at the overlay."""
        try:
            _ = self.tree  # every file of the overlay, read with positions
        except UserError as precise:
            return precise
        return UserError(
            f"{self.app} ({self.env}): the kustomize output does not load: {exc.message}",
            position=self.tree.overlay.start,
            hint=exc.hint,
        )

    @property
    def primary(self) -> RenderedObject | None:
        """The Cloud Run Service or Job of the app (the first object when there is neither)."""
        for obj in self.objects:
            if obj.kind in ("Service", "Job"):
                return obj
        return self.objects[0] if self.objects else None

    @property
    def kind(self) -> str:
        return self.primary.kind if self.primary else ""

    @property
    def name(self) -> str:
        return self.primary.name if self.primary else ""

    def source(self, index: int, path: KeyPath, *, value: bool = False) -> Position:
        """Where field ``path`` of object ``index`` was written (see :class:`SourceMap`)."""
        return self.objects[index].position(path, value=value)


@dataclass(frozen=True)
class RenderResult:
    """Rendered apps in request order, and how they were built (for reports and benchmarks)."""

    apps: tuple[RenderedApp, ...]
    kustomize_runs: int
    batched: tuple[str, ...]
    single: dict[str, str]  # app -> why it was built on its own
