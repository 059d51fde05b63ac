"""Values known only when the program runs: another resource's output (``input:resources``
references), checked offline for their kind alone (:mod:`polyinfra.foundation.argspec`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A type expression of :mod:`polyinfra.foundation.argspec`.
TypeExpr = Any


@dataclass(frozen=True)
class Deferred:
    """A value known only when the program runs (another resource's output, or text holding
    one), in place of the text that names it: checked for its kind only. ``kind`` is
    ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"list"``, ``"map"``, ``"obj"`` or
    ``"any"``; ``what`` says what it is, in words."""

    kind: str
    what: str


def holds_deferred(value: Any) -> bool:
    """Whether ``value`` is or holds (in a list or mapping) a deferred value."""
    if isinstance(value, Deferred):
        return True
    if isinstance(value, dict):
        return any(holds_deferred(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_deferred(item) for item in value)
    return False


def deferred_matches(kind: str, expr: TypeExpr) -> bool:
    """Whether a value of ``kind`` may be given where ``expr`` is expected (unknown kinds
    may; a whole number may be a number)."""
    if kind == "any" or expr == "any":
        return True
    if isinstance(expr, str):
        return kind == expr or (expr == "float" and kind == "int")
    if expr[0] == "union":
        return any(deferred_matches(kind, option) for option in expr[1])
    if expr[0] == "list":
        return kind == "list"
    return kind in ("map", "obj")
