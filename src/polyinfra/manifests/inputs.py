"""The files a kustomization reads besides its resources and patches: generator and
transformer inputs, replacements, Helm values, the OpenAPI schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from polyinfra.manifests.kustomization import Kustomization, is_remote
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath

#: Fields of a kustomization whose entries (or the ``path`` of each) are files it reads.
_FILE_LISTS = ("configurations", "crds", "generators", "transformers", "validators")


def named_inputs(kustomization: Kustomization) -> Iterator[tuple[Path, Position, str]]:
    """Every local file or folder ``kustomization`` reads besides its resources and patches
    (generator and transformer inputs, replacements, Helm values, the OpenAPI schema): its
    normalized path, where it is named and how."""
    directory = kustomization.directory
    doc = kustomization.document
    data = doc.data if isinstance(doc.data, dict) else {}
    found: list[tuple[Any, KeyPath]] = []
    for name in _FILE_LISTS:
        for index, entry in enumerate(_items(data.get(name))):
            if isinstance(entry, dict):
                found.append((entry.get("path"), (name, index, "path")))
            else:
                found.append((entry, (name, index)))
    for index, entry in enumerate(_items(data.get("replacements"))):
        if isinstance(entry, dict):
            found.append((entry.get("path"), ("replacements", index, "path")))
    for name in ("configMapGenerator", "secretGenerator"):
        for index, entry in enumerate(_items(data.get(name))):
            if not isinstance(entry, dict):
                continue
            # `files` entries may be `key=path`
            for at, item in enumerate(_items(entry.get("files"))):
                found.append((str(item).split("=", 1)[-1], (name, index, "files", at)))
            for at, item in enumerate(_items(entry.get("envs"))):
                found.append((item, (name, index, "envs", at)))
            found.append((entry.get("env"), (name, index, "env")))
    for index, entry in enumerate(_items(data.get("helmCharts"))):
        if isinstance(entry, dict):
            found.append((entry.get("valuesFile"), ("helmCharts", index, "valuesFile")))
            for at, item in enumerate(_items(entry.get("additionalValuesFiles"))):
                found.append((item, ("helmCharts", index, "additionalValuesFiles", at)))
    openapi = data.get("openapi")
    if isinstance(openapi, dict):
        found.append((openapi.get("path"), ("openapi", "path")))
    for ref, where in found:
        if not isinstance(ref, str) or not ref or "\n" in ref or is_remote(ref, directory):
            continue
        yield Path(os.path.normpath(directory / ref)), doc.position(where, value=True), ref


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
