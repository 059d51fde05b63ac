"""The problems ``check`` found, kept in the cache (:mod:`polyinfra.cache`) and keyed by every
file of the workspace (tools' own folders aside), the rules and environments checked, and the
versions of polyinfra, pulumi, pulumi-gcp and kustomize: a check of an unchanged workspace
runs no rule. Only the problems are stored; nothing the reports redact is."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyinfra.cache import Cache, TooLarge, code_digest, digest, folder_digest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import Rule
from polyinfra.errors import PolyinfraError, UserError
from polyinfra.positions import Position
from polyinfra.workspace import Workspace

if TYPE_CHECKING:
    from polyinfra.checks.context import Manifest
    from polyinfra.manifests import RenderRequest

log = logging.getLogger(__name__)

KIND = "problems"
#: Above this, reading every file of the workspace costs more than the rules it would save.
MAX_WORKSPACE_BYTES = 64 * 1024 * 1024


def problems_key(
    ws: Workspace, envs: Sequence[str], rules: Sequence[Rule], *, plan: bool, cache: Cache
) -> str | None:
    """The key of the problems of this check, or None when it cannot be told (no kustomize:
    the render says why) or is not worth it (a workspace of more than
    :data:`MAX_WORKSPACE_BYTES`)."""
    from polyinfra.foundation.plan.cached import plan_versions
    from polyinfra.manifests.cached import kustomize_version
    from polyinfra.manifests.kustomize import find_kustomize

    try:
        tool = kustomize_version(find_kustomize(), cache)
        files = folder_digest(ws.root, max_bytes=MAX_WORKSPACE_BYTES)
    except PolyinfraError:
        return None
    except TooLarge:
        log.debug(
            "problems not cached: the workspace holds more than %d bytes", MAX_WORKSPACE_BYTES
        )
        return None
    return digest(
        KIND,
        code_digest(),
        plan_versions(),
        tool,
        str(ws.root.resolve()),
        files,
        list(envs),
        [rule.ID for rule in rules],
        plan,
    )


@dataclass(frozen=True)
class CachedCheck:
    """What a check of the same workspace found, and the renders it read (each request with
    its render key)."""

    problems: tuple[Problem, ...]
    #: None when some app had no cached render (remote resources...): render them again
    renders: tuple[tuple[RenderRequest, str], ...] | None


def cached_check(cache: Cache, key: str) -> CachedCheck | None:
    """What is stored under ``key``, or None."""
    from polyinfra.manifests import RenderRequest

    payload = cache.get(KIND, key)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        problems = tuple(_problem(entry) for entry in data["problems"])
        renders: list[tuple[RenderRequest, str]] | None = None
        if data["renders"] is not None:
            renders = []
            for app, env, overlay, image, explicit, render_key in data["renders"]:
                if not all(isinstance(v, str) for v in (app, env, overlay, image, render_key)):
                    raise TypeError("a render's fields must be strings")
                request = RenderRequest(app, env, Path(overlay), image, bool(explicit))
                renders.append((request, render_key))
    except (ValueError, KeyError, TypeError) as exc:
        log.debug("cached problems ignored: %s", exc)
        return None
    return CachedCheck(problems, tuple(renders) if renders is not None else None)


def store_check(
    cache: Cache,
    key: str,
    problems: Sequence[Problem],
    renders: Sequence[tuple[RenderRequest, str]] | None,
) -> None:
    """Keep ``problems`` and the renders read (None: not all are cached) under ``key``."""
    entries = [
        [
            str(p.position.file),
            p.position.line,
            p.position.col,
            p.rule,
            p.message,
            int(p.level),
            p.hint,
            p.sensitive,
        ]
        for p in problems
    ]
    read = None
    if renders is not None:
        read = [[r.app, r.env, str(r.overlay), r.image, r.explicit, k] for r, k in renders]
    payload = {"problems": entries, "renders": read}
    cache.put(KIND, key, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def manifests_by_key(
    cache: Cache, renders: Sequence[tuple[RenderRequest, str]], version: str
) -> tuple[Manifest, ...] | None:
    """The manifests of the renders ``cache`` holds under these keys, as a check reads them
    with ``version`` (an app whose output does not load has none), or None when one is
    missing."""
    from polyinfra.checks.rendering import manifests_of
    from polyinfra.manifests.cached import renders_by_key

    apps = renders_by_key(cache, renders)
    if apps is None:
        return None
    manifests: list[Manifest] = []
    for app in apps:
        try:
            manifests.extend(manifests_of([app], version))
        except UserError:
            continue  # the problems already say so
    return tuple(manifests)


def _problem(entry: Any) -> Problem:
    file, line, col, rule, message, level, hint, sensitive = entry
    if not all(isinstance(v, str) for v in (file, rule, message)) or not (
        hint is None or isinstance(hint, str)
    ):
        raise TypeError("a problem's texts must be strings")
    if not isinstance(line, int) or not isinstance(col, int) or not isinstance(sensitive, bool):
        raise TypeError("a problem's position must be numbers")
    return Problem(Position(Path(file), line, col), rule, message, Level(level), hint, sensitive)
