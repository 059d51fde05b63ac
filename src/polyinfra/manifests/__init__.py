"""Stack 2 sources: Cloud Run apps rendered with the real kustomize in a temporary copy, each
rendered field traceable to the base or overlay line that wrote it.

Public API::

    render_apps(ws, names, env, version, *, images=None, registry=None, batch=True,
                check_leftovers=True) -> RenderResult
        # every app is rendered; PartialRender(.result, .failed, .errors) when some fail
    render(requests: Sequence[RenderRequest], options: RenderOptions, *, kustomize=None)
        -> RenderResult
    RenderRequest(app, env, overlay: Path, image: str, explicit=False)
    RenderOptions(version, placeholders={}, allow_remote_resources=False, batch=True,
                  check_leftovers=True)
    RenderResult(apps: tuple[RenderedApp, ...], kustomize_runs, batched, single)
    RenderedApp(app, env, overlay, image, text, image_name)  # .objects .primary .kind .tree
        .source(index, path, *, value=False) -> Position
    RenderedObject(index, document, app)          # .data .kind .name .namespace .api_version
        .position(path=(), *, value=False) -> Position
    load_tree(overlay_dir) -> KustomizeTree       # kustomizations, patches, base objects

Provenance: ``RenderedObject.position(path)`` is the op of an overlay patch that set the
field (or the node inside its ``value``), else the ``images:``/``namespace:``/``namePrefix:``/
``commonLabels:`` entry that set it, else the base manifest node with the same path (list
items matched by ``name``), else the overlay's kustomization file. ``objects`` and the
positioned sources are read on first use.

Its names are imported when first used: a command that needs one module of the package
(``affected`` reads the stack files' links) does not load the rendering machinery.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from polyinfra.lazy import lazy_names

if TYPE_CHECKING:
    from polyinfra.manifests.apps import (
        PartialRender,
        app_image_name,
        image_ref,
        overlay_for,
        parse_image_options,
        render_apps,
        render_requests,
        write_rendered,
    )
    from polyinfra.manifests.kustomization import (
        Kustomization,
        Patch,
        PatchOp,
        PatchTarget,
        load_kustomization,
        parse_pointer,
    )
    from polyinfra.manifests.kustomize import Kustomize, find_kustomize
    from polyinfra.manifests.render import render
    from polyinfra.manifests.rendered import (
        RenderedApp,
        RenderedObject,
        RenderOptions,
        RenderRequest,
        RenderResult,
    )
    from polyinfra.manifests.tree import KustomizeTree, SourceObject, load_tree, target_matches

_MODULES = {
    "Kustomization": "polyinfra.manifests.kustomization",
    "Kustomize": "polyinfra.manifests.kustomize",
    "KustomizeTree": "polyinfra.manifests.tree",
    "PartialRender": "polyinfra.manifests.apps",
    "Patch": "polyinfra.manifests.kustomization",
    "PatchOp": "polyinfra.manifests.kustomization",
    "PatchTarget": "polyinfra.manifests.kustomization",
    "RenderOptions": "polyinfra.manifests.rendered",
    "RenderRequest": "polyinfra.manifests.rendered",
    "RenderResult": "polyinfra.manifests.rendered",
    "RenderedApp": "polyinfra.manifests.rendered",
    "RenderedObject": "polyinfra.manifests.rendered",
    "SourceObject": "polyinfra.manifests.tree",
    "app_image_name": "polyinfra.manifests.apps",
    "find_kustomize": "polyinfra.manifests.kustomize",
    "image_ref": "polyinfra.manifests.apps",
    "load_kustomization": "polyinfra.manifests.kustomization",
    "load_tree": "polyinfra.manifests.tree",
    "overlay_for": "polyinfra.manifests.apps",
    "parse_image_options": "polyinfra.manifests.apps",
    "parse_pointer": "polyinfra.manifests.kustomization",
    "render": "polyinfra.manifests.render",
    "render_apps": "polyinfra.manifests.apps",
    "render_requests": "polyinfra.manifests.apps",
    "target_matches": "polyinfra.manifests.tree",
    "write_rendered": "polyinfra.manifests.apps",
}


__getattr__ = lazy_names(__name__, _MODULES)


class _Package(types.ModuleType):
    """The package, whose ``render`` is the function even though a submodule has that name:
    importing a submodule binds it on the package, which would hide the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, types.ModuleType):
            value = value.render
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Kustomization",
    "Kustomize",
    "KustomizeTree",
    "PartialRender",
    "Patch",
    "PatchOp",
    "PatchTarget",
    "RenderOptions",
    "RenderRequest",
    "RenderResult",
    "RenderedApp",
    "RenderedObject",
    "SourceObject",
    "app_image_name",
    "find_kustomize",
    "image_ref",
    "load_kustomization",
    "load_tree",
    "overlay_for",
    "parse_image_options",
    "parse_pointer",
    "render",
    "render_apps",
    "render_requests",
    "target_matches",
    "write_rendered",
]
