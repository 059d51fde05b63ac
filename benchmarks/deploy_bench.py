"""Deploy 20 apps to the local Cloud Run emulator (2 s readiness; gzip answers, bearer tokens
required, as Google's front ends do; the emulator runs in a process of its own): polyinfra's
rollout with default settings vs one app alone (the goal: about the slowest app's time) and vs
the spec's one-app-at-a-time flow, same client, same run; prints the times, the ratios and the
peak memory (RSS) of the polyinfra process."""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.oauth2.credentials import Credentials

from polyinfra.deploy.client import CloudRunClient, Pacer
from polyinfra.deploy.rollout import DeployOptions, DeployTarget, deploy_manifests


@contextmanager
def emulator(latency: float) -> Iterator[str]:
    """The emulator's endpoint, served by ``python -m polyinfra.emulator`` in a child process
    (its memory and CPU are not polyinfra's)."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "polyinfra.emulator"),
            *("--ready-after", "1", "--ready-latency", f"{latency:g}", "--require-auth"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        host = process.stdout.readline().strip()
        if not host:
            raise SystemExit("the emulator did not start")
        yield f"http://{host}"
    finally:
        process.terminate()
        process.wait(timeout=10)


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


def timed_deploy(endpoint: str, count: int, namespace: str, options: DeployOptions) -> float:
    targets = [
        DeployTarget(app=m["metadata"]["name"], env="bench", manifest=m, region="bench")
        for m in manifests(count, namespace)
    ]

    credentials = Credentials(token="ya29.benchmark-token")

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient(endpoint=endpoint, credentials=credentials, pacer=pacer)

    started = time.perf_counter()
    report = deploy_manifests(targets, options, client_factory=factory)
    elapsed = time.perf_counter() - started
    if not report.ok or len(report.results) != count:
        raise SystemExit(f"deploy failed: {[r.message for r in report.results if not r.ok]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds until Ready")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument(
        "--no-spec-flow",
        action="store_true",
        help="skip the one-app-at-a-time run (it takes apps x one app's time)",
    )
    args = parser.parse_args()
    defaults = DeployOptions(version="bench-1")
    with emulator(args.latency) as endpoint:
        # Separate projects (namespaces), so every run creates the same objects from scratch.
        one = statistics.median(
            timed_deploy(endpoint, 1, f"bench-one-{run}", defaults) for run in range(args.repeat)
        )
        default = statistics.median(
            timed_deploy(endpoint, args.apps, f"bench-default-{run}", defaults)
            for run in range(args.repeat)
        )
        sequential = (
            None
            if args.no_spec_flow
            else timed_deploy(
                endpoint,
                args.apps,
                "bench-sequential",
                DeployOptions(version="bench-1", concurrency=1),
            )
        )
    print(
        f"{args.apps} apps, readiness latency {args.latency:g}s "
        "(emulator in its own process: gzip, bearer tokens required); "
        f"median of {args.repeat} runs"
    )
    quota = defaults.quota
    workers = min(defaults.concurrency, args.apps)
    rows = [
        ("one app alone", one),
        (
            f"polyinfra deploy, default settings (concurrency {workers}, "
            f"{quota.writes_per_minute} writes / {quota.reads_per_minute} reads a minute)",
            default,
        ),
    ]
    if sequential is not None:
        rows.append(("spec flow, one app at a time (apply, wait, next; one run)", sequential))
    width = max(len(label) for label, _ in rows)
    for label, seconds in rows:
        print(f"  {label.ljust(width)}  {seconds:6.2f}s")
    print(f"  ratio to one app's time: {default / one:.2f}x (goal <= 1.5x)")
    if sequential is not None:
        print(f"  speed-up over the spec flow: {sequential / default:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the polyinfra process (every run): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
