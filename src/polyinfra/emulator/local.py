"""``deploy --emulator``: an emulator that lives for one command, and what it held at the end;
which endpoint a deploy talks to, said once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from polyinfra.emulator.server import DEFAULT_REGION, FakeCloudRun


@contextlib.contextmanager
def local_emulator(*, ready_after: int = 2, region: str | None = None) -> Iterator[FakeCloudRun]:
    """Start an in-process emulator on 127.0.0.1 for the duration of the block, answering as
    the regional endpoint of ``region`` (the emulator's default when None)."""
    with FakeCloudRun(ready_after=ready_after, region=region or DEFAULT_REGION) as fake:
        yield fake


def contents_line(fake: FakeCloudRun) -> str:
    """One line saying what the emulator holds."""
    parts = []
    for collection in ("services", "jobs", "executions"):
        names = sorted(obj["metadata"]["name"] for obj in fake.objects(collection))
        if names:
            parts.append(f"{collection} {', '.join(names)}")
    return "Local emulator now holds: " + ("; ".join(parts) or "nothing")


@contextlib.contextmanager
def deploy_endpoint(
    endpoint: str | None,
    *,
    local: bool,
    say: Callable[[str], None],
    region: str | None = None,
) -> Iterator[str | None]:
    """The endpoint a deploy sends its calls to, said on ``say``: a local emulator that lives
    for the block (``local``, answering for ``region``, the region the deploy goes to), an
    emulator named by ``endpoint`` or the environment, or None for Google's regional
    endpoints. A local emulator's contents are said at the end."""
    from polyinfra.deploy.endpoint import emulator_endpoint

    if local:
        with local_emulator(region=region) as fake:
            say(
                f"Local Cloud Run emulator at {fake.endpoint}: a fake Admin API in this process. "
                "Nothing is deployed to Google Cloud."
            )
            yield fake.endpoint
            say(contents_line(fake))
        return
    target = emulator_endpoint(endpoint)
    if target is not None:
        say(f"Cloud Run emulator at {target} (plain HTTP, no credentials).")
    yield endpoint
