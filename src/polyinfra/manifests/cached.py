"""Rendered apps kept in the cache (:mod:`polyinfra.cache`), keyed by every file the overlay's
kustomization reaches (each kustomization folder whole, as the render copies it, and the files
named from it), the render inputs (app, environment, image, version, placeholders) and the
kustomize binary's version. Only successful renders are stored; a tree with remote resources
is rendered every time."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from polyinfra import proc
from polyinfra.cache import Cache, code_digest, digest, file_digest, folder_digest
from polyinfra.errors import PolyinfraError
from polyinfra.manifests.inputs import named_inputs
from polyinfra.manifests.kustomize import Kustomize, find_kustomize
from polyinfra.manifests.rendered import RenderedApp, RenderOptions, RenderRequest
from polyinfra.manifests.tree import load_tree
from polyinfra.realpaths import real, resolving
from polyinfra.yamlio import Bounds

log = logging.getLogger(__name__)

KIND = "render"


def kustomize_version(kustomize: Kustomize, cache: Cache | None = None) -> str:
    """What identifies the kustomize that renders: its version as it reports it, asked once
    per binary (by path, size and modification time; kept in ``cache``)."""
    binary = Path(kustomize.command[0]).resolve()
    try:
        info = binary.stat()
    except OSError:
        return kustomize.name
    identity = digest("kustomize-binary", str(binary), info.st_size, info.st_mtime_ns)
    stored = cache.get("kustomize", identity) if cache is not None else None
    if stored is not None:
        return stored.decode("utf-8", "replace")
    version = _ask_version(kustomize)
    if cache is not None:
        cache.put("kustomize", identity, version.encode("utf-8"))
    return version


@functools.cache
def _ask_version(kustomize: Kustomize) -> str:
    args = (
        [*kustomize.command[:1], "version", "--client", "-o", "json"]
        if kustomize.is_kubectl
        else [*kustomize.command, "version"]
    )
    completed = proc.run(args, check=False)
    return f"{kustomize.name}\n{completed.stdout.decode('utf-8', 'replace')}"


def render_key(
    request: RenderRequest, options: RenderOptions, tool: str, bounds: Bounds
) -> tuple[str, Bounds] | None:
    """The key of ``request``'s render and the bounds of its tree, or None when it must not
    be cached (its tree does not load, or reaches remote resources)."""
    try:
        tree = load_tree(request.overlay, fast=True, objects=False, bounds=bounds)
    except PolyinfraError:
        return None  # the render reports why
    if tree.remote:
        return None
    folders = {str(real(d)): folder_digest(d) for d in tree.directories}
    files = {str(real(f)): file_digest(f) for f, _ in tree.resource_files}
    for kustomization in tree.kustomizations:
        for path, _, _ in named_inputs(kustomization):
            found = real(path)
            files[str(found)] = folder_digest(found) if found.is_dir() else file_digest(found)
    bounds = tree.bounds
    key = digest(
        KIND,
        code_digest(),
        tool,
        [request.app, request.env, str(real(request.overlay)), request.image, request.explicit],
        [
            options.version,
            dict(options.placeholders),
            options.allow_remote_resources,
            options.batch,
            options.check_leftovers,
        ],
        [str(bounds.root) if bounds.root else None, bounds.max_size],
        sorted(folders.items()),
        sorted(files.items()),
    )
    return key, bounds


def cached_render(
    requests: Sequence[RenderRequest],
    options: RenderOptions,
    cache: Cache | None,
    *,
    keys_used: list[tuple[RenderRequest, str]] | None = None,
) -> list[RenderedApp]:
    """``render(requests, options).apps``, each app from ``cache`` when it holds the render of
    exactly these inputs; the others rendered together (and stored). ``keys_used`` receives
    each request that has a key, with it (see :func:`renders_by_key`)."""
    from polyinfra.manifests.render import _bounds, render

    if cache is None or not requests:
        return list(render(requests, options).apps)
    tool = kustomize_version(find_kustomize(), cache)
    with resolving():  # the overlays share their bases' folders: each is resolved once
        keys = [
            render_key(r, options, tool, b)
            for r, b in zip(requests, _bounds(requests), strict=True)
        ]
    found: dict[int, RenderedApp] = {}
    for i, (request, keyed) in enumerate(zip(requests, keys, strict=True)):
        if keyed is None:
            continue
        app = _entry(cache, keyed[0], request, keyed[1])
        if app is not None:
            found[i] = app
    missing = [i for i in range(len(requests)) if i not in found]
    if missing:
        fresh = render([requests[i] for i in missing], options).apps
        for i, app in zip(missing, fresh, strict=True):
            found[i] = app
            keyed = keys[i]
            if keyed is not None:
                entry = {"text": app.text, "image_name": app.image_name}
                cache.put(KIND, keyed[0], json.dumps(entry, ensure_ascii=False).encode("utf-8"))
    if keys_used is not None:
        keys_used.extend((r, k[0]) for r, k in zip(requests, keys, strict=True) if k is not None)
    return [found[i] for i in range(len(requests))]


def renders_by_key(
    cache: Cache, entries: Sequence[tuple[RenderRequest, str]]
) -> list[RenderedApp] | None:
    """The apps ``cache`` holds under these keys (recorded by :func:`cached_render` for a
    workspace that has not changed since), or None when one is missing."""
    from polyinfra.manifests.render import _bounds

    requests = [request for request, _ in entries]
    apps = []
    for (request, key), bounds in zip(entries, _bounds(requests), strict=True):
        app = _entry(cache, key, request, bounds)
        if app is None:
            return None
        apps.append(app)
    return apps


def _entry(cache: Cache, key: str, request: RenderRequest, bounds: Bounds) -> RenderedApp | None:
    """``request``'s app as cached under ``key`` (its tree within ``bounds``), or None when
    there is no entry or it is not one (ignored, with a debug message)."""
    payload = cache.get(KIND, key)
    if payload is None:
        return None
    try:
        entry = json.loads(payload)
        text, image_name = entry["text"], entry["image_name"]
        if not isinstance(text, str) or not isinstance(image_name, str):
            raise TypeError("text and image name must be strings")
    except (ValueError, KeyError, TypeError) as exc:
        log.debug("cached render of %s (%s) ignored: %s", request.app, request.env, exc)
        return None
    return RenderedApp(
        app=request.app,
        env=request.env,
        overlay=request.overlay,
        image=request.image,
        text=text,
        image_name=image_name,
        bounds=bounds,
    )
