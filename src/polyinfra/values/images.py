"""Container image references and registry prefixes (the distribution reference grammar)."""

from __future__ import annotations

import re
from typing import Any

from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)

# The distribution reference grammar (github.com/distribution/reference, reference.go):
#   reference := name [ ":" tag ] [ "@" digest ]
#   name      := [ domain "/" ] path-component [ "/" path-component ]*
#   domain    := host [ ":" port ]
_DOMAIN_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"


_HOST = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9A-Fa-f:]+\])"


_DOMAIN = re.compile(rf"{_HOST}(?::[0-9]+)?", re.ASCII)


_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", re.ASCII)


#: Digests of the algorithms registries use: sha256 (64 hex digits) and sha512 (128).
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}", re.ASCII)


#: Longest name (everything before the tag), as the grammar's NameTotalLengthMax says.
MAX_IMAGE_NAME = 255


IMAGE_FORM = "[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]"


def image_tag(value: Any) -> Any:
    """An image tag: 1-128 letters, digits, ``_``, ``.`` and ``-``, not starting with ``.``
    or ``-``."""
    text = _text(value, "a tag")
    if not _TAG.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)} is not an image tag: up to 128 letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'",
            "e.g. 1.4.2 or 2026.11.26-3f2a9c1",
        )
    return value


def _image_name(name: str, what: str) -> None:
    """InvalidValue unless ``name`` is ``[domain/]path``."""
    if not name:
        raise InvalidValue(f"{what} has no repository path")
    if len(name) > MAX_IMAGE_NAME:
        raise InvalidValue(f"{what} is {len(name)} characters long; at most {MAX_IMAGE_NAME}")
    parts = name.split("/")
    first = parts[0]
    # the first part is a registry host when it has a '.' or ':' or is localhost (the grammar)
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN.fullmatch(first):
            raise InvalidValue(f"{what}: {shown(first)} is not a registry host[:port]")
        parts = parts[1:]
    for part in parts:
        if not _PATH_COMPONENT.fullmatch(part):
            raise InvalidValue(
                f"{what}: path component {shown(part)} must be lowercase letters and digits, "
                "joined by '.', '_', '__' or '-'"
            )


def image_reference(value: Any) -> Any:
    """A container image reference, ``[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]``."""
    text = _text(value, "an image reference")
    what = f"image reference {shown(text)}"
    hint = f"write {IMAGE_FORM}, e.g. europe-docker.pkg.dev/my-project/apps/api:1.4.2"
    try:
        if not text.isprintable() or any(c.isspace() for c in text):
            raise InvalidValue(f"{what} contains a space, a line break or a control character")
        rest, at, digest = text.partition("@")
        if at and not _DIGEST.fullmatch(digest):
            raise InvalidValue(f"{what}: the digest must be sha256: and 64 lowercase hex digits")
        name, colon, tag = rest.rpartition(":")
        if not colon or "/" in tag:  # the ':' was a port, or there is none
            name, tag = rest, ""
        elif not _TAG.fullmatch(tag):
            raise InvalidValue(
                f"{what}: the tag {shown(tag)} must be up to 128 letters, digits, '_', '.' "
                "and '-', not starting with '.' or '-'"
            )
        _image_name(name, what)
    except InvalidValue as exc:
        raise InvalidValue(exc.message, exc.hint or hint) from None
    return value


def registry_prefix(value: Any) -> Any:
    """An image prefix, ``HOST[:PORT]/PATH``, that an app's name and tag are appended to."""
    text = _text(value, "a registry")
    what = f"registry {shown(text)}"
    try:
        if not text.isprintable() or any(c.isspace() for c in text):
            raise InvalidValue(f"{what} contains a space, a line break or a control character")
        name = text.rstrip("/")
        if "@" in name or re.search(r":[^/]*$", name.partition("/")[2] or "\0"):
            raise InvalidValue(
                f"{what} has a tag or digest: it is only the part before the image name"
            )
        _image_name(name, what)
    except InvalidValue as exc:
        raise InvalidValue(
            exc.message, exc.hint or "e.g. --registry europe-docker.pkg.dev/my-project/apps"
        ) from None
    return value
