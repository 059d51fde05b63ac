"""Identifiers for the formats that need plain ones (mermaid, dot): readable, stable, unique."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def plain_ids(ids: Iterable[str], prefix: str) -> dict[str, str]:
    """``id -> prefix + the id``, every run of other characters than letters and digits
    made one ``_``; ids that would meet get a short hash of the id appended (so an id does not
    change when another one is added).

    >>> plain_ids(["app/stock-webhook"], "n_")
    {'app/stock-webhook': 'n_app_stock_webhook'}
    >>> sorted(plain_ids(["app/inventory-api", "app/inventory_api"], "n_").values())
    ['n_app_inventory_api_c3aaa9', 'n_app_inventory_api_c5f44d']
    """
    ids = sorted(set(ids))
    plain = {i: prefix + _UNSAFE.sub("_", i).strip("_") for i in ids}
    counts: dict[str, int] = {}
    for value in plain.values():
        counts[value] = counts.get(value, 0) + 1
    return {
        i: value if counts[value] == 1 else f"{value}_{hashlib.sha1(i.encode()).hexdigest()[:6]}"
        for i, value in plain.items()
    }
