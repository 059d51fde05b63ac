"""The rule engine shared by ``lint`` and ``check``: problems, rules, the runner, reporters."""

from polyinfra.checks.problem import Level, Problem

__all__ = ["Level", "Problem"]
