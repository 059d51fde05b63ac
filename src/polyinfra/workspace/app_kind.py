"""An app's kind (service, job or function): from its kind folder, its settings, or the
Cloud Run manifests its base lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.cloudrun.vocabulary import CLIENT_NAME_ANNOTATION, TEMPLATE_META, TOP_META
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace.app_folders import Found
from polyinfra.workspace.model import AppKind, kustomization_file
from polyinfra.workspace.settings import AppSettings

if TYPE_CHECKING:
    from polyinfra.yamlio import Bounds, YamlDocument


def app_kind(
    item: Found, options: AppSettings | None, at: Position, base: Path, bounds: Bounds
) -> AppKind:
    wanted = options.kind if options is not None else None
    if item.kind_dir:
        if wanted is not None and wanted != item.kind:
            raise UserError(
                f"app {item.name!r} is in {item.kind_dir}/, which holds {item.kind}s, but its "
                f"settings say kind = {wanted!r}",
                position=at,
                hint=f"remove `kind`, or move the app to the kind folder of a {wanted}",
            )
        assert item.kind is not None
        return item.kind
    if wanted is not None:
        return wanted
    if item.kind is not None:
        return item.kind
    inferred, problem = _kind_of_base(base, bounds)
    if inferred is not None:
        return inferred
    if problem is not None:
        raise problem
    raise UserError(
        f"app {item.name!r}: cannot tell whether it is a service, a job or a function: its base "
        "has no Cloud Run Service or Job manifest polyinfra can read",
        position=Position(kustomization_file(base) or base, 1, 1),
        hint=f'set kind = "service", "job" or "function" under [tool.polyinfra.apps.{item.name}]',
    )


def _kind_of_base(base: Path, bounds: Bounds) -> tuple[AppKind | None, UserError | None]:
    """The app kind read from the manifests the base's kustomization lists (through the
    folders it includes), and the first manifest that could not be read."""
    problem: UserError | None = None
    for document in _base_documents(base, bounds):
        if isinstance(document, UserError):
            problem = problem or document
            continue
        kind = document.get(("kind",))
        if kind == "Job":
            return "job", None
        if kind == "Service":
            return ("function" if is_function_document(document) else "service"), None
    return None, problem


def is_function_document(document: YamlDocument) -> bool:
    """A Service is a function when it carries the labels and annotations Cloud Run gives its
    functions."""
    for meta in (TOP_META, TEMPLATE_META):
        labels = document.get((*meta, "labels"))
        annotations = document.get((*meta, "annotations"))
        if isinstance(labels, dict) and labels.get("workload-type") == "cloud-function":
            return True
        if (
            isinstance(annotations, dict)
            and annotations.get(CLIENT_NAME_ANNOTATION) == "cloudfunctions"
        ):
            return True
    return False


def _base_documents(base: Path, bounds: Bounds, limit: int = 50) -> list[YamlDocument | UserError]:
    """The documents of the files a base's kustomization lists under ``resources``/``bases``,
    following local folders (at most ``limit`` kustomizations)."""
    from polyinfra.yamlio import load_all_file, load_file

    documents: list[YamlDocument | UserError] = []
    queue: list[tuple[Path, Position | None]] = [(base, None)]
    seen: set[Path] = set()
    while queue and len(seen) < limit:
        folder, reference = queue.pop(0)
        if folder in seen:
            continue
        seen.add(folder)
        kustomization = kustomization_file(folder)
        if kustomization is None:
            continue
        try:
            data = load_file(kustomization, bounds=bounds, reference=reference)
        except UserError as exc:
            documents.append(exc)
            continue
        for key in ("resources", "bases"):
            entries = data.get((key,)) or []
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, str) or "://" in entry or entry.startswith("git@"):
                    continue
                path = Path(os.path.normpath(folder / entry))
                at = data.position((key, index), value=True)
                if path.is_dir():
                    queue.append((path, at))
                elif path.is_file():
                    try:
                        documents.extend(load_all_file(path, bounds=bounds, reference=at))
                    except UserError as exc:
                        documents.append(exc)
    return documents
