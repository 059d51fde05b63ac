"""Placeholders: ``VERSION_PLACEHOLDER`` and declared extras replaced in kustomize output (what
``sed "s|NAME|value|g"`` does), and placeholders left over after rendering."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from polyinfra.errors import UserError
from polyinfra.values import InvalidValue, image_tag
from polyinfra.yamlio import KeyPath

VERSION_PLACEHOLDER = "VERSION_PLACEHOLDER"

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_PLACEHOLDER$")
#: Characters sed's replacement would not copy literally (``&``, ``\``), the delimiter and a
#: newline: refused so a replacement means exactly what it says.
_SED_SPECIAL = re.compile(r"[&\\|\n\r]")

LEFTOVER = re.compile(r"(?<![A-Za-z0-9_])(IMAGE_URL|[A-Z][A-Z0-9_]*_PLACEHOLDER)(?![A-Za-z0-9_])")


def check_version(version: str) -> None:
    """UserError unless ``version`` can be an image tag (letters, digits, ``_ . -``)."""
    try:
        image_tag(version)
    except InvalidValue:
        raise UserError(
            f"invalid version {version!r}",
            hint="a version is also the image tag: up to 128 letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-' (e.g. 1.4.2 or 2026.11.26-3f2a9c1)",
        ) from None


def check_placeholders(placeholders: Mapping[str, str], where: str) -> None:
    """UserError for a placeholder name or value that a plain replacement cannot carry."""
    errors = []
    for name, value in placeholders.items():
        if not _NAME.match(name):
            errors.append(
                UserError(
                    f"{where}: placeholder name {name!r} must be upper case and end in "
                    "_PLACEHOLDER",
                    hint="e.g. GCP_REGION_ABBREV_PLACEHOLDER",
                )
            )
        elif _SED_SPECIAL.search(value):
            errors.append(
                UserError(
                    f"{where}: value of {name} contains '&', '\\', '|' or a line break",
                    hint="placeholder values are single-line literal text",
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else UserError("\n".join(e.render() for e in errors))


def substitute(text: str, replacements: Mapping[str, str]) -> str:
    """Replace every occurrence of each placeholder, in order (``sed "s|NAME|value|g"``)."""
    for name, value in replacements.items():
        text = text.replace(name, value)
    return text


@dataclass(frozen=True)
class Leftover:
    """A placeholder still present in rendered output: in which object and at which field."""

    placeholder: str
    object_index: int
    path: KeyPath


def has_leftovers(text: str) -> bool:
    return LEFTOVER.search(text) is not None


def find_leftovers(index: int, data: Any, path: KeyPath = ()) -> Iterator[Leftover]:
    """Every placeholder in the keys and string values of one parsed object."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            for match in LEFTOVER.finditer(str(key)):
                yield Leftover(match.group(1), index, here)
            yield from find_leftovers(index, value, here)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from find_leftovers(index, item, (*path, i))
    elif isinstance(data, str):
        for match in LEFTOVER.finditer(data):
            yield Leftover(match.group(1), index, path)
