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
"""

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
