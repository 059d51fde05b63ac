"""The shape every rule has: ``ID``, ``LEVEL``, a docstring, ``check(ctx)``; optionally
``NEEDS_PLAN`` (it reads the foundation plan) and ``OPT_IN`` (off until selected). The area a
rule belongs to is the part of its ``ID`` before the slash."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.workspace import Workspace

AREAS = ("workspace", "config", "manifest", "cloudrun", "patches", "crossstack", "policy")


class Rule(Protocol):
    """A rule. The docstring is its user documentation: what it checks, why, what Cloud Run
    or Pulumi does with the input, a failing (``Bad::``) and a passing (``Good::``) example.
    Rules yield problems with their own ``ID``; the engine stamps levels, applies disables and
    sorts."""

    @property
    def ID(self) -> str: ...

    @property
    def LEVEL(self) -> Level: ...

    def check(self, ctx: CheckContext) -> Iterator[Problem]: ...


def area(rule: Rule) -> str:
    """The area of ``rule``: ``cloudrun`` for ``cloudrun/probe-limits`` (one of :data:`AREAS`)."""
    return rule.ID.partition("/")[0]


def needs_plan(rule: Rule) -> bool:
    """Whether ``rule`` reads the foundation plan (``NEEDS_PLAN``): the program then runs under
    mocks first."""
    return bool(getattr(rule, "NEEDS_PLAN", False))


def opt_in(rule: Rule) -> bool:
    """Whether ``rule`` is off by default (``OPT_IN``): it runs only when ``--select`` or a
    ``[tool.polyinfra.rules] levels`` entry names it by its id (advice that is right for some
    workspaces only)."""
    return bool(getattr(rule, "OPT_IN", False))


class WorkspaceRule:
    """A base for rules about a workspace: ``check_workspace`` runs only when the command read
    one (``lint`` of plain files has none)."""

    ID = ""
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        if ctx.workspace is not None:
            yield from self.check_workspace(ctx.workspace, ctx)

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        raise NotImplementedError
