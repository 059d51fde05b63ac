"""Google Cloud labels: keys, values, and a resource's set of them."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)

#: Google Cloud labels (https://cloud.google.com/resource-manager/docs/labels-overview
#: #requirements): at most 64 per resource; keys 1-63 characters, values at most 63, each at
#: most 128 bytes of lowercase letters (of any script), digits, ``_`` and ``-``; a key starts
#: with a lowercase letter.
MAX_LABELS = 64


_LABEL_LETTERS = ("Ll", "Lo")


def _label_chars(text: str) -> bool:
    return (
        all(unicodedata.category(c) in _LABEL_LETTERS or c in "_-" or c.isdigit() for c in text)
        and len(text.encode("utf-8")) <= 128
    )


def is_label_key(text: str) -> bool:
    """Whether Google Cloud takes ``text`` as a label key: 1-63 lowercase letters (any
    script), digits, ``_`` and ``-``, starting with a letter.

    >>> is_label_key("team"), is_label_key("Team"), is_label_key("1team")
    (True, False, False)
    """
    return (
        1 <= len(text) <= 63
        and unicodedata.category(text[0]) in _LABEL_LETTERS
        and _label_chars(text)
    )


def is_label_value(text: str) -> bool:
    """Whether Google Cloud takes ``text`` as a label value: at most 63 lowercase letters (any
    script), digits, ``_`` and ``-``.

    >>> is_label_value("v1-2-3"), is_label_value("v1.2.3"), is_label_value("")
    (True, False, True)
    """
    return len(text) <= 63 and _label_chars(text)


def label_key(value: Any) -> Any:
    """A label key."""
    text = _text(value, "a label key")
    if not is_label_key(text):
        raise InvalidValue(
            f"invalid label key {shown(text)}: 1-63 lowercase letters, digits, '_' and '-', "
            "starting with a lowercase letter"
        )
    return value


def label_value(value: Any) -> Any:
    """A label value."""
    text = _text(value, "a label value")
    if not is_label_value(text):
        raise InvalidValue(
            f"invalid label value {shown(text)}: at most 63 lowercase letters, digits, '_' and '-'"
        )
    return value


def labels(value: Any) -> Any:
    """A mapping of labels: at most :data:`MAX_LABELS`, each key and value valid."""
    if not isinstance(value, Mapping):
        return value
    if len(value) > MAX_LABELS:
        raise InvalidValue(f"{len(value)} labels; a resource takes at most {MAX_LABELS}")
    for key, item in value.items():
        try:
            label_key(key)
        except InvalidValue as exc:
            raise InvalidValue(exc.message, exc.hint, at=(key,), at_key=True) from None
        if isinstance(item, str):
            try:
                label_value(item)
            except InvalidValue as exc:
                raise InvalidValue(exc.message, exc.hint, at=(key,)) from None
    return value
