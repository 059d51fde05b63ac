"""Each environment's stack file exists, parses and validates, and its foundation program runs
under Pulumi mocks."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position


class StackValid:
    """Each environment's ``Pulumi.<stack>.yaml`` exists, is YAML, and passes the foundation's
    validation: known sections, pulumi-gcp argument names and types, values of the right kind
    (a repository format, a region, a duration, a count in range), files it refers to.

    Every error is reported at its own line; nothing else is checked against a stack file that
    does not validate.

    Bad::

        config:
          gcp:project: data-platform-prod
          input:projects:
            dmd-ingest:
              artifact_registry:
                repository_id: dmd-ingest
                formt: DOCKER

    Good::

        config:
          gcp:project: data-platform-prod
          input:projects:
            dmd-ingest:
              artifact_registry:
                repository_id: dmd-ingest
                format: DOCKER
    """

    ID = "config/stack-valid"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        said: set[tuple[Position, str]] = set()  # one missing program, not one per stack
        for stack in ctx.stacks:
            for error in stack.errors:
                if (error.position, error.message) not in said:
                    said.add((error.position, error.message))
                    yield Problem(error.position, self.ID, error.message, hint=error.hint)


class StackPlans:
    """The foundation program runs for each valid stack file under Pulumi mocks (offline, no
    credentials): the policy rules check what it would declare.

    Bad::

        # infrastructure/pulumi/__main__.py
        from polyinfra.foundation import run

        resources = run()
        resources.buckets["dmd"]["raw"].name  # KeyError: no project 'dmd'

    Good::

        resources = run()
        resources.buckets["dmd-ingest"]["data-platform-prod-dmd-raw"]
    """

    ID = "config/stack-plans"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for failure in ctx.plan_failures:
            yield Problem(failure.position, self.ID, failure.message, hint=failure.hint)
