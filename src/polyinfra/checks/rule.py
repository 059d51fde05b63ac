"""The shape every rule has: ``ID``, ``LEVEL``, ``AREA``, a docstring, ``check(ctx)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem

AREAS = ("workspace", "config", "manifest", "cloudrun", "patches", "crossstack", "policy")


class Rule(Protocol):
    """A rule. The docstring is its user documentation: what it checks, why, a failing
    (``Bad:``) and a passing (``Good:``) example. Rules yield problems with their own ``ID``;
    the engine stamps levels, applies disables and sorts."""

    @property
    def ID(self) -> str: ...

    @property
    def LEVEL(self) -> Level: ...

    @property
    def AREA(self) -> str: ...  # one of AREAS

    def check(self, ctx: CheckContext) -> Iterator[Problem]: ...
