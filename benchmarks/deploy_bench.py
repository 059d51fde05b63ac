"""Deploy 20 apps to the local Cloud Run emulator (2 s readiness; gzip answers, bearer tokens
required, as Google's front ends do): polyinfra's concurrent rollout vs the spec's
one-app-at-a-time flow, same client, same run; prints both times, the ratio and peak memory."""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

from google.oauth2.credentials import Credentials

from polyinfra.deploy.client import CloudRunClient, Pacer
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests
from polyinfra.emulator import FakeCloudRun


def manifests(count: int, namespace: str) -> list[dict[str, Any]]:
    """Services and jobs (one job in four), shaped like the example workspace's apps."""
    made: list[dict[str, Any]] = []
    for index in range(count):
        container = {"name": "app", "image": f"registry.example/app-{index}:1"}
        if index % 4 == 3:
            made.append(
                {
                    "apiVersion": "run.googleapis.com/v1",
                    "kind": "Job",
                    "metadata": {"name": f"job-{index}", "namespace": namespace},
                    "spec": {
                        "template": {
                            "spec": {
                                "taskCount": 1,
                                "template": {"spec": {"maxRetries": 0, "containers": [container]}},
                            }
                        }
                    },
                }
            )
        else:
            made.append(
                {
                    "apiVersion": "serving.knative.dev/v1",
                    "kind": "Service",
                    "metadata": {"name": f"svc-{index}", "namespace": namespace},
                    "spec": {"template": {"spec": {"containers": [container]}}},
                }
            )
    return made


def timed_deploy(fake: FakeCloudRun, count: int, namespace: str, concurrency: int) -> float:
    targets = [
        DeployTarget(app=m["metadata"]["name"], env="bench", manifest=m, region="bench")
        for m in manifests(count, namespace)
    ]

    credentials = Credentials(token="ya29.benchmark-token")

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient(endpoint=fake.endpoint, credentials=credentials, pacer=pacer)

    started = time.perf_counter()
    report = deploy_manifests(
        targets,
        DeployOptions(version="bench-1", concurrency=concurrency),
        client_factory=factory,
    )
    elapsed = time.perf_counter() - started
    if not report.ok or len(report.results) != count:
        raise SystemExit(f"deploy failed: {[r.message for r in report.results if not r.ok]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds until Ready")
    args = parser.parse_args()
    default_concurrency = DeployOptions(version="x").concurrency
    with FakeCloudRun(ready_after=1, ready_latency=args.latency, require_auth=True) as fake:
        # Separate projects (namespaces), so both runs create the same objects from scratch.
        sequential = timed_deploy(fake, args.apps, "bench-sequential", concurrency=1)
        concurrent = timed_deploy(fake, args.apps, "bench-concurrent", default_concurrency)
    print(
        f"{args.apps} apps, readiness latency {args.latency:g}s "
        "(emulator: gzip, bearer tokens required)"
    )
    rows = [
        ("spec flow, one app at a time (apply, wait, next)", sequential),
        (f"polyinfra deploy, concurrency {default_concurrency}", concurrent),
    ]
    width = max(len(label) for label, _ in rows)
    for label, seconds in rows:
        print(f"  {label.ljust(width)}  {seconds:6.1f}s")
    print(f"  speed-up: {sequential / concurrent:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (both runs and the emulator, one process): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
