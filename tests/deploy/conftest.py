"""Shared fixtures: a fake Cloud Run server and clients that record instead of sleeping."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import google.auth.exceptions
import pytest
from google.oauth2.credentials import Credentials

from polyinfra.deploy.client import CloudRunClient, Pacer, RetryPolicy
from polyinfra.emulator import FakeCloudRun


class Sleeps:
    """A pacer's wait that records the delays and advances a fake clock."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


def token_credentials(token: str, *, refreshed: list[str] | None = None) -> Credentials:
    """Real google-auth user credentials holding ``token``; each refresh hands out the next
    token of ``refreshed`` (no metadata server, no network)."""
    queue = list(refreshed or [])

    def refresh_handler(request: Any, scopes: Any) -> tuple[str, datetime.datetime]:
        if not queue:
            raise google.auth.exceptions.RefreshError("no further test token")
        return queue.pop(0), datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None
        ) + datetime.timedelta(hours=1)

    return Credentials(
        token=token, refresh_handler=refresh_handler if refreshed is not None else None
    )


@pytest.fixture
def fake() -> Iterator[FakeCloudRun]:
    with FakeCloudRun(ready_after=1) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeCloudRun, sleeps: Sleeps) -> Iterator[CloudRunClient]:
    made = CloudRunClient(
        endpoint=fake.endpoint,
        credentials=None,
        retry=RetryPolicy(attempts=6, base=0.5, cap=16.0, rand=lambda: 1.0),
        pacer=Pacer(clock=sleeps.clock, wait=sleeps),
    )
    yield made
    made.close()


def service(name: str = "api", image: str = "img:1", namespace: str = "proj") -> dict[str, Any]:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "data"}},
        "spec": {
            "template": {
                "metadata": {"annotations": {"autoscaling.knative.dev/maxScale": "2"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            }
        },
    }


def job(name: str = "ingest", tasks: int = 2, namespace: str = "proj") -> dict[str, Any]:
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "spec": {
                    "taskCount": tasks,
                    "template": {
                        "spec": {"maxRetries": 0, "containers": [{"name": "w", "image": "i"}]}
                    },
                }
            }
        },
    }


@pytest.fixture
def make_service() -> Any:
    return service


@pytest.fixture
def make_job() -> Any:
    return job
