"""``deploy --emulator``: an emulator that lives for one command, and what it held at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from polyinfra.emulator.server import FakeCloudRun


@contextlib.contextmanager
def local_emulator(*, ready_after: int = 2) -> Iterator[FakeCloudRun]:
    """Start an in-process emulator on 127.0.0.1 for the duration of the block."""
    with FakeCloudRun(ready_after=ready_after) as fake:
        yield fake


def contents_line(fake: FakeCloudRun) -> str:
    """One line saying what the emulator holds."""
    parts = []
    for collection in ("services", "jobs", "executions"):
        names = sorted(obj["metadata"]["name"] for obj in fake.objects(collection))
        if names:
            parts.append(f"{collection} {', '.join(names)}")
    return "Local emulator now holds: " + ("; ".join(parts) or "nothing")
