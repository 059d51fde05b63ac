"""Field-level difference between a desired manifest and the live object, ignoring server fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.vocabulary import (
    DEFAULTED_ANNOTATIONS,
    DEFAULTED_LABELS,
    SERVER_ANNOTATIONS,
    SERVER_LABELS,
    SERVER_METADATA,
)
from polyinfra.redact import REDACTED, Redactor, secret_name
from polyinfra.redact import redact as _CREDENTIALS

# Never part of a difference: what the server owns, and the namespace, which names the project
# by number or by id (the URL the object is written to decides it).
IGNORED_METADATA = frozenset({*SERVER_METADATA, "namespace"})
# Lists whose items are matched by this key rather than by position.
_KEYED_LISTS = ("name", "containerPort", "mountPath")


@dataclass(frozen=True)
class Change:
    """One field that differs: ``path`` like ``spec.template.spec.containers[api].image``."""

    path: str
    live: Any
    desired: Any

    @property
    def kind(self) -> str:
        if self.live is _MISSING:
            return "add"
        if self.desired is _MISSING:
            return "remove"
        return "change"

    def render(self, redact: Redactor = _CREDENTIALS) -> str:
        """One line. The value of an env variable whose name reads like a credential is not
        shown; in any other value, whatever ``redact`` finds (credential shapes and the
        values the workspace marks secret) is replaced."""
        if _looks_secret(self.path):
            show: Callable[[Any], str] = _redacted
        else:
            show = lambda value: redact(_show(value))  # noqa: E731
        if self.kind == "add":
            return f"+ {self.path}: {show(self.desired)}"
        if self.kind == "remove":
            return f"- {self.path}: {show(self.live)}"
        return f"~ {self.path}: {show(self.live)} -> {show(self.desired)}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


_ENV_NAME = re.compile(r"\.env\[([^\]]+)\]")


def _looks_secret(path: str) -> bool:
    return any(secret_name(name) for name in _ENV_NAME.findall(path))


def _redacted(value: Any) -> str:
    return REDACTED


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def diff_objects(live: dict[str, Any] | None, desired: dict[str, Any]) -> list[Change]:
    """Changes that applying ``desired`` makes to ``live`` (everything is new when absent).

    Fields the server fills in (status, server metadata, defaults under ``spec`` that the
    manifest does not mention, the labels and annotations it owns or defaults) are not
    differences; labels and annotations the manifest drops are, since a replace removes them.
    """
    if live is None:
        return [Change("(whole object)", _MISSING, "create")]
    changes: list[Change] = []
    for key in ("apiVersion", "kind"):
        _compare(live.get(key, _MISSING), desired.get(key, _MISSING), key, changes, strict=False)
    _compare_metadata(live.get("metadata", {}), desired.get("metadata", {}), "metadata", changes)
    _compare(live.get("spec", _MISSING), desired.get("spec", _MISSING), "spec", changes, False)
    return changes


def _compare_metadata(
    live: dict[str, Any], desired: dict[str, Any], path: str, changes: list[Change]
) -> None:
    for key in sorted(set(live) | set(desired)):
        if key in IGNORED_METADATA:
            continue
        here = f"{path}.{key}"
        if key in ("labels", "annotations"):
            if key == "labels":
                owned, defaulted = SERVER_LABELS - DEFAULTED_LABELS, DEFAULTED_LABELS
            else:
                owned, defaulted = SERVER_ANNOTATIONS, DEFAULTED_ANNOTATIONS
            desired_map = {k: v for k, v in (desired.get(key) or {}).items() if k not in owned}
            live_map = {
                k: v
                for k, v in (live.get(key) or {}).items()
                if k not in owned and (k not in defaulted or k in desired_map)
            }
            for name in sorted(set(live_map) | set(desired_map)):
                _compare(
                    live_map.get(name, _MISSING),
                    desired_map.get(name, _MISSING),
                    f"{here}[{name}]",
                    changes,
                    strict=True,
                )
        elif key in desired:
            _compare(live.get(key, _MISSING), desired[key], here, changes, strict=False)


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in _KEYED_LISTS:
            if key in item:
                return str(item[key])
    return None


def _compare(live: Any, desired: Any, path: str, changes: list[Change], strict: bool) -> None:
    if desired is _MISSING:
        if strict and live is not _MISSING:
            changes.append(Change(path, live, _MISSING))
        return
    if isinstance(desired, dict) and isinstance(live, dict):
        if path.endswith(".metadata"):
            _compare_metadata(live, desired, path, changes)
            return
        for key in sorted(desired):
            _compare(live.get(key, _MISSING), desired[key], f"{path}.{key}", changes, strict)
        return
    if isinstance(desired, list) and isinstance(live, list):
        keys = [_item_key(item) for item in desired]
        live_keys = [_item_key(item) for item in live]
        if all(k is not None for k in keys) and all(k is not None for k in live_keys):
            live_by_key = dict(zip(live_keys, live, strict=True))
            for key, item in zip(keys, desired, strict=True):
                _compare(live_by_key.get(key, _MISSING), item, f"{path}[{key}]", changes, strict)
            for key in live_keys:
                if key not in keys:
                    changes.append(Change(f"{path}[{key}]", live_by_key[key], _MISSING))
            return
        if len(live) == len(desired):
            for index, (a, b) in enumerate(zip(live, desired, strict=True)):
                _compare(a, b, f"{path}[{index}]", changes, strict)
            return
    if _normal(live) != _normal(desired):
        changes.append(Change(path, live, desired))


def _normal(value: Any) -> Any:
    # The API answers numbers in quoted form in places (e.g. resource limits); compare as text.
    if isinstance(value, bool) or value is _MISSING:
        return value
    if isinstance(value, int | float):
        return str(value)
    return value
