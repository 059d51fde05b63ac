""" "Did you mean" suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``word``, or None when nothing is close enough (a similarity
    ratio of at least ``cutoff``). The same letters in another case win; among equally close
    candidates the first in sorted order does, so the answer never depends on the order a set
    happens to iterate in.

    >>> closest("servce_account", ["service_account", "secrets"])
    'service_account'
    >>> closest("zzz", ["service_account"]) is None
    True
    >>> closest("Production", ["production", "sandbox"])
    'production'
    >>> closest("api_c", {"api_d", "api_b", "api_a"})
    'api_a'
    >>> closest("db", ["dbs"], cutoff=0.8)
    'dbs'
    """
    options = sorted(set(candidates))
    for option in options:  # the same letters in another case is the likeliest slip
        if option.lower() == word.lower():
            return option
    best: str | None = None
    best_score = cutoff
    matcher = difflib.SequenceMatcher(b=word)
    for option in options:
        matcher.set_seq1(option)
        # a first match may score exactly the cutoff; a later one must beat the best so far
        if matcher.real_quick_ratio() < best_score or matcher.quick_ratio() < best_score:
            continue
        score = matcher.ratio()
        if score > best_score or (best is None and score >= cutoff):
            best, best_score = option, score
    return best


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string.

    >>> did_you_mean("prodution", ["production", "sandbox"])
    " (did you mean 'production'?)"
    """
    match = closest(word, candidates)
    return f" (did you mean {match!r}?)" if match else ""
