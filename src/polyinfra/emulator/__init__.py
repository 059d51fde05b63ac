"""The local Cloud Run Admin API v1 emulator: what ``deploy --emulator`` deploys to, what
``python -m polyinfra.emulator`` serves, and the server the tests deploy against. It answers the
way Google's front ends do (compressed bodies, Google's error format, bearer-token auth,
server-owned fields, revisions)."""

from polyinfra.emulator.script import Arrival, Fault, Outcome, RecordedRequest
from polyinfra.emulator.server import FakeCloudRun

__all__ = ["Arrival", "FakeCloudRun", "Fault", "Outcome", "RecordedRequest"]
