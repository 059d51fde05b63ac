"""The request pace: per-region token buckets that keep a deploy inside the Admin API's write
and read quotas, shared by every worker; the default concurrency; 429s still backing off."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from polyinfra.deploy.apply import apply_object
from polyinfra.deploy.client import CloudRunClient, ObjectRef, Pacer, RetryPolicy
from polyinfra.deploy.errors import DeadlineExceeded, JsonObject
from polyinfra.deploy.retry import (
    DEFAULT_READS_PER_MINUTE,
    DEFAULT_WRITES_PER_MINUTE,
    Quota,
    TokenBucket,
)
from polyinfra.deploy.rollout import (
    DEFAULT_CONCURRENCY,
    DeployOptions,
    DeployTarget,
    deploy_manifests,
)
from polyinfra.emulator import FakeCloudRun
from polyinfra.workspace.settings import DeploySettings
from tests.conftest import copy_example, edit
from tests.deploy.conftest import Sleeps

API = ObjectRef("Service", "proj", "api")


def most_in_a_minute(times: list[float]) -> int:
    """The most of ``times`` that fall in one closed 60-second window (the busiest window
    starts at one of them)."""
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t <= start + 60.0 + 1e-9) for start in ordered)


@pytest.mark.parametrize("per_minute", [2, 3, 10, 60, 601])
def test_the_pacer_never_lets_more_than_the_quota_into_any_minute(per_minute: int) -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(per_minute, per_minute))
    granted: list[float] = []
    for _ in range(per_minute * 5):
        assert pacer.take("https://europe-west1-run.googleapis.com", write=True)
        granted.append(sleeps.clock())
    assert most_in_a_minute(granted) <= per_minute
    # half the quota goes at once, the rest at an even pace: nothing waits longer than needed
    assert granted[: per_minute // 2] == [0.0] * (per_minute // 2)
    assert granted[per_minute // 2] > 0.0


def test_requests_spread_over_time_keep_to_the_quota_too() -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(60, 600))
    granted: list[float] = []
    for index in range(400):
        sleeps.now += (index % 7) * 0.9  # bursts and lulls
        pacer.take("e", write=True)
        granted.append(sleeps.clock())
    assert most_in_a_minute(granted) <= 60


def test_workers_share_one_bucket_per_region_and_kind() -> None:
    """Threads that reserve at the same instant are put in line, never let through together."""
    bucket = TokenBucket(60, clock=lambda: 0.0)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            wait = bucket.reserve()
            assert wait is not None
            with lock:
                granted.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 200
    assert most_in_a_minute(granted) <= 60


def test_writes_reads_and_regions_have_buckets_of_their_own() -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(writes_per_minute=4))
    for _ in range(2):
        pacer.take("https://europe-west1-run.googleapis.com", write=True)
    for _ in range(50):
        pacer.take("https://europe-west1-run.googleapis.com", write=False)
    for _ in range(2):
        pacer.take("https://us-central1-run.googleapis.com", write=True)
    assert sleeps.delays == []
    pacer.take("https://europe-west1-run.googleapis.com", write=True)
    assert sleeps.delays == [pytest.approx(30.0)]


def test_no_quota_no_pace() -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps)
    for _ in range(1000):
        assert pacer.take("e", write=True)
    assert sleeps.delays == []


def test_a_wait_longer_than_allowed_books_nothing() -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(writes_per_minute=2))
    assert pacer.take("e", write=True)
    assert not pacer.take("e", write=True, limit=10.0)
    assert sleeps.delays == []
    assert pacer.take("e", write=True, limit=60.0)
    assert sleeps.delays == [pytest.approx(60.0)]


def test_a_quota_below_two_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 requests per minute"):
        Quota(writes_per_minute=1)


def test_a_write_whose_turn_comes_after_the_deadline_is_not_sent(
    fake: FakeCloudRun, make_service: Any
) -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(writes_per_minute=2))
    client = CloudRunClient(endpoint=fake.endpoint, credentials=None, pacer=pacer)
    try:
        apply_object(client, API, make_service(image="img:1"))
        bounded = client.bounded(sleeps.clock() + 20.0, 20.0)
        with pytest.raises(DeadlineExceeded, match="pace of writes per minute"):
            apply_object(bounded, API, make_service(image="img:2"))
    finally:
        client.close()
    assert [w.method for w in fake.writes()] == ["POST"]
    assert bounded.unconfirmed_write == ""


def test_a_429_still_backs_off_and_the_retry_keeps_to_the_pace(
    fake: FakeCloudRun, make_service: Any
) -> None:
    sleeps = Sleeps()
    pacer = Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota(writes_per_minute=2))
    client = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=None,
        retry=RetryPolicy(attempts=6, base=0.5, cap=16.0, rand=lambda: 1.0),
        pacer=pacer,
    )
    fake.fail(429, method="POST", message="Quota exceeded for quota metric 'Write requests'")
    try:
        applied = apply_object(client, API, make_service())
    finally:
        client.close()
    assert applied.action == "created"
    assert [w.method for w in fake.writes()] == ["POST", "POST"]
    # the back-off first, then what is left of the pace's minute for its second write
    assert sleeps.delays == [0.5, pytest.approx(59.5)]


def test_a_429_with_retry_after_still_waits_that_long(
    fake: FakeCloudRun, make_service: Any
) -> None:
    sleeps = Sleeps()
    client = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=None,
        retry=RetryPolicy(attempts=6, base=0.5, cap=16.0, rand=lambda: 1.0),
        pacer=Pacer(clock=sleeps.clock, wait=sleeps, quota=Quota()),
    )
    fake.fail(429, method="POST", retry_after=7.0, times=2)
    try:
        assert apply_object(client, API, make_service()).action == "created"
    finally:
        client.close()
    assert sleeps.delays == [7.0, 7.0]


def test_a_deploy_paces_its_calls_with_the_options_quota(make_service: Any) -> None:
    seen: list[Quota | None] = []
    with FakeCloudRun(ready_after=1) as fake:

        def factory(region: str, pacer: Pacer) -> CloudRunClient:
            seen.append(pacer.quota)
            return CloudRunClient(endpoint=fake.endpoint, credentials=None, pacer=pacer)

        report = deploy_manifests(
            [DeployTarget("api", "sandbox", make_service(), "r")],
            DeployOptions(version="v1", first_poll=0.01, quota=Quota(30, 300)),
            client_factory=factory,
        )
    assert report.ok
    assert seen == [Quota(30, 300)]


class Gathering(CloudRunClient):
    """A client whose first read of each object waits until ``barrier`` has them all: it gets
    through only if that many apps are deployed at the same time."""

    barrier: threading.Barrier

    def get(self, ref: ObjectRef) -> JsonObject | None:
        self.barrier.wait()
        return super().get(ref)


def test_by_default_every_app_of_a_deploy_goes_at_once(make_service: Any) -> None:
    apps = 20
    with FakeCloudRun(ready_after=1) as fake:

        def factory(region: str, pacer: Pacer) -> CloudRunClient:
            return Gathering(endpoint=fake.endpoint, credentials=None, pacer=pacer)

        targets = [
            DeployTarget(f"app-{i}", "sandbox", make_service(name=f"app-{i}"), "r")
            for i in range(apps)
        ]
        Gathering.barrier = _once(apps)
        report = deploy_manifests(
            targets, DeployOptions(version="v1", first_poll=0.01), client_factory=factory
        )
    assert report.ok, [r.message for r in report.results]


def _once(parties: int) -> threading.Barrier:
    """A barrier the first ``parties`` callers meet at; later callers pass straight through."""

    class Once(threading.Barrier):
        def __init__(self) -> None:
            super().__init__(parties, timeout=30)
            self.met = threading.Event()

        def wait(self, timeout: float | None = None) -> int:
            if self.met.is_set():
                return 0
            index = super().wait(timeout)
            self.met.set()
            return index

    return Once()


def test_the_default_concurrency_is_every_app_up_to_32() -> None:
    assert DeployOptions(version="v").concurrency == DEFAULT_CONCURRENCY == 32


def test_the_settings_defaults_are_the_deploy_defaults() -> None:
    settings = DeploySettings()
    assert settings.concurrency == DEFAULT_CONCURRENCY
    assert settings.max_writes_per_minute == DEFAULT_WRITES_PER_MINUTE
    assert settings.max_reads_per_minute == DEFAULT_READS_PER_MINUTE
    assert DeployOptions(version="v").quota == Quota(
        DEFAULT_WRITES_PER_MINUTE, DEFAULT_READS_PER_MINUTE
    )


# ---- the command line: flag, then [tool.polyinfra.deploy], then the default --------------


class Captured:
    """Stands in for ``deploy_apps`` and ``prune_after_deploy``: records what the command
    passed them, deploys nothing."""

    def __init__(self) -> None:
        self.options: list[DeployOptions] = []
        self.pacers: list[Pacer | None] = []

    def deploy_apps(self, ws: Any, request: Any, options: DeployOptions, **kw: Any) -> Any:
        from polyinfra.deploy.rollout import DeployReport

        self.options.append(options)
        self.pacers.append(kw.get("pacer"))
        return DeployReport()

    def prune_after_deploy(self, report: Any, **kw: Any) -> Any:
        from polyinfra.deploy.prune import PruneReport

        self.pacers.append(kw.get("pacer"))
        return PruneReport(skipped=True)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    import polyinfra.deploy.apps
    import polyinfra.deploy.prune

    made = Captured()
    monkeypatch.setattr(polyinfra.deploy.apps, "deploy_apps", made.deploy_apps)
    monkeypatch.setattr(polyinfra.deploy.prune, "prune_after_deploy", made.prune_after_deploy)
    return made


def deploy_cli(workspace: Path, *more: str) -> int:
    from polyinfra.cli.main import main

    return main(
        [
            *("deploy", "--all", "--env", "sandbox", "--version", "v1"),
            *("--endpoint", "http://127.0.0.1:9", "-w", str(workspace), *more),
        ]
    )


def test_the_command_paces_with_the_defaults(captured: Captured, example_path: Path) -> None:
    assert deploy_cli(example_path, "--prune") == 0
    (options,) = captured.options
    assert options.concurrency == DEFAULT_CONCURRENCY
    assert options.quota == Quota()
    # the prune after the deploy keeps to the deploy's pace: the same pacer
    deployed, pruned = captured.pacers
    assert deployed is not None
    assert deployed is pruned
    assert deployed.quota == options.quota


def test_settings_then_flags_choose_the_pace(captured: Captured, tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        "[tool.polyinfra]\n\n[tool.polyinfra.deploy]\nconcurrency = 8\n"
        "max_writes_per_minute = 180\nmax_reads_per_minute = 1200\n",
    )
    assert deploy_cli(root) == 0
    assert deploy_cli(root, "--concurrency", "3", "--max-writes-per-minute", "20") == 0
    from_settings, from_flags = captured.options
    assert (from_settings.concurrency, from_settings.quota) == (8, Quota(180, 1200))
    assert (from_flags.concurrency, from_flags.quota) == (3, Quota(20, 1200))


def test_a_pace_below_two_a_minute_is_bad_input(
    captured: Captured, example_path: Path, tmp_path: Path
) -> None:
    assert deploy_cli(example_path, "--max-writes-per-minute", "1") == 2
    root = copy_example(tmp_path / "ws")
    edit(
        root,
        "infrastructure/pyproject.toml",
        "[tool.polyinfra]\n",
        "[tool.polyinfra]\n\n[tool.polyinfra.deploy]\nmax_reads_per_minute = 0\n",
    )
    assert deploy_cli(root) == 2
    assert captured.options == []
