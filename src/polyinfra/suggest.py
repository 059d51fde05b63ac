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
    >>> closest("Production", ["production", "sandbox"])
    'production'
    """
    options = list(candidates)
    for option in options:  # the same letters in another case is the likeliest slip
        if option.lower() == word.lower():
            return option
    best, best_score = None, cutoff
    matcher = difflib.SequenceMatcher(b=word)
    for option in options:  # the first of equally close ones, in the candidates' order
        matcher.set_seq1(option)
        if matcher.real_quick_ratio() > best_score and matcher.quick_ratio() > best_score:
            score = matcher.ratio()
            if score > best_score:
                best, best_score = option, score
    return best


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string.

    >>> did_you_mean("prodution", ["production", "sandbox"])
    " (did you mean 'production'?)"
    """
    match = closest(word, candidates)
    return f" (did you mean {match!r}?)" if match else ""
