"""Public test helpers: the local Cloud Run Admin API v1 emulator (:mod:`polyinfra.emulator`),
to deploy against in your own pipeline's tests (usage in docs/deploy.md)."""

from polyinfra.emulator import Arrival, FakeCloudRun, Fault, Outcome, RecordedRequest

__all__ = ["Arrival", "FakeCloudRun", "Fault", "Outcome", "RecordedRequest"]
