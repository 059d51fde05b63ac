"""Loading YAML: libyaml (:mod:`polyinfra.yamlio.fast`) reads what it can, in time and memory
linear in the text; anything it does not read the same way goes to the ruamel.yaml reference
loader (:mod:`polyinfra.yamlio.loader`), so documents, positions and errors are the same
either way."""

from __future__ import annotations

from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio.document import YamlDocument
from polyinfra.yamlio.fast import fast_documents
from polyinfra.yamlio.loader import ruamel_documents
from polyinfra.yamlio.text import Bounds, read_text


def load_file(
    path: Path, *, bounds: Bounds | None = None, reference: Position | None = None
) -> YamlDocument:
    """Load a single-document YAML file. Empty files give ``data=None``. ``bounds`` and
    ``reference``: see :func:`~polyinfra.yamlio.text.read_bytes`."""
    return _single(load_all_file(path, bounds=bounds, reference=reference), path)


def load_text(text: str, path: Path) -> YamlDocument:
    """Like :func:`load_file` for text that claims to come from ``path``."""
    return _single(load_all_text(text, path), path)


def load_all_file(
    path: Path, *, bounds: Bounds | None = None, reference: Position | None = None
) -> list[YamlDocument]:
    """Load every document of a YAML file (``---`` separated); empty documents are dropped."""
    return load_all_text(read_text(path, bounds=bounds, reference=reference), path)


def load_all_text(text: str, path: Path) -> list[YamlDocument]:
    """Parse ``text`` as a YAML stream and convert each document.

    libyaml (C) reads it when it can, in time and memory linear in the text (positions are
    found when asked for, see :mod:`polyinfra.yamlio.fast`); anything it does not read the
    same way (errors, duplicate keys, unusual tags) goes to the ruamel.yaml parser, so the
    documents, positions and error messages are the same either way.
    """
    documents = fast_documents(text, path)
    if documents is not None:
        return documents
    return ruamel_documents(text, path)


def _single(docs: list[YamlDocument], path: Path) -> YamlDocument:
    """The one document of a file that must hold one (an empty file: ``data=None``)."""
    if len(docs) > 1:
        raise UserError(
            f"expected one YAML document, found {len(docs)}",
            position=docs[1].start or Position(path),
            hint="split the documents into separate files",
        )
    return docs[0] if docs else YamlDocument(path=path, data=None)
