""" "Did you mean" suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``word``, or None when nothing is close enough.

    >>> closest("servce_account", ["service_account", "secrets"])
    'service_account'
    >>> closest("zzz", ["service_account"]) is None
    True
    """
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string.

    >>> did_you_mean("prodution", ["production", "sandbox"])
    " (did you mean 'production'?)"
    """
    match = closest(word, candidates)
    return f" (did you mean {match!r}?)" if match else ""
