"""Offline plan of generated stack files of 20 and 200 projects (about 200 and 2,000 resources):
polyinfra's plan (strict validation + the foundation program under recording mocks) against a
bare Pulumi-mocks program declaring the same resources from the same dicts with no validation
(the SDK's own floor), same process, run alternately, best of --repeat. Prints both times, the
ratio, the time of validation alone (parsing and checking the stack file), and the peak RSS of
the process.

    .venv/bin/python benchmarks/plan_bench.py [--projects 20 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from polyinfra.foundation.config import load_stack_config
from polyinfra.foundation.plan import plan_stack

GCP_PROJECT = "bench-project"
REGION = "asia-southeast1"
SCHEMA = [
    {"name": "id", "type": "STRING", "mode": "REQUIRED"},
    {"name": "payload", "type": "JSON", "mode": "NULLABLE"},
    {"name": "loaded_at", "type": "TIMESTAMP", "mode": "REQUIRED"},
]
CLEANUP = [
    {"action": "DELETE", "id": "delete-prerelease", "condition": {"older_than": "2592000s"}},
    {"action": "KEEP", "id": "keep-minimum-versions", "most_recent_versions": {"keep_count": 10}},
]
ROLES = ("roles/bigquery.dataEditor", "roles/logging.logWriter", "roles/run.invoker")


def project_config(index: int) -> dict[str, Any]:
    """One project: 10 resources (SA, 3 roles, registry, dataset, table, bucket, job, topic)."""
    name = f"proj-{index:03d}"
    dataset = f"bronze_{index:03d}"
    return {
        "service_account": {"account_id": f"run-{name}", "display_name": f"Runner {name}"},
        "service_account_iam": {"roles": list(ROLES)},
        "artifact_registry": {
            "repository_id": name,
            "format": "DOCKER",
            "location": REGION,
            "cleanup_policies": CLEANUP,
        },
        "bigquery_dataset": {"dataset_id": dataset, "location": REGION},
        "bigquery_tables": [
            {"table_id": "events", "dataset_id": dataset, "schema_file": "bigquery/events.json"}
        ],
        "cloud_storage": {"name": f"bench-{name}-raw", "location": "ASIA-SOUTHEAST1"},
        "cloud_scheduler": [
            {
                "name": f"{name}-nightly",
                "target_job": f"{name}-job",
                "region": REGION,
                "schedule": "0 4 * * *",
                "time_zone": "Asia/Kuala_Lumpur",
            }
        ],
        "pubsub_topics": [{"name": f"{name}-events"}],
    }


def write_program(folder: Path, count: int) -> dict[str, dict[str, Any]]:
    """A Pulumi program folder with ``Pulumi.bench.yaml`` of ``count`` projects."""
    projects = {f"proj-{i:03d}": project_config(i) for i in range(count)}
    (folder / "bigquery").mkdir(parents=True)
    (folder / "bigquery" / "events.json").write_text(json.dumps(SCHEMA))
    (folder / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    config = {
        "gcp:project": GCP_PROJECT,
        "gcp:region": REGION,
        "input:environment": "production",
        "label:component": "bench",
        "input:projects": projects,
    }
    with (folder / "Pulumi.bench.yaml").open("w", encoding="utf-8") as stream:
        YAML().dump({"config": config}, stream)  # block style, like a hand-written stack file
    return projects


def bare_program(projects: dict[str, dict[str, Any]], schema_text: str) -> Callable[[], None]:
    """The same resources declared straight from the dicts, the way the spec's program does."""

    def program() -> None:
        import pulumi
        import pulumi_gcp as gcp

        # By type, not by project, in the order the foundation program declares them.
        protect = pulumi.ResourceOptions(protect=True)
        labels = {"component": "bench"}
        accounts = {
            name: gcp.serviceaccount.Account(
                f"serviceaccount_{cfg['service_account']['account_id']}",
                **cfg["service_account"],
            )
            for name, cfg in projects.items()
        }
        for name, cfg in projects.items():
            account_id = cfg["service_account"]["account_id"]
            for role in cfg["service_account_iam"]["roles"]:
                gcp.projects.IAMMember(
                    f"iammember_{account_id}_{role}",
                    member=accounts[name].member,
                    project=GCP_PROJECT,
                    role=role,
                )
        for name, cfg in projects.items():
            gcp.artifactregistry.Repository(
                f"registry_{name}",
                opts=protect,
                labels=labels,
                deletion_policy="PREVENT",
                **cfg["artifact_registry"],
            )
        for name, cfg in projects.items():
            gcp.storage.Bucket(
                f"bucket_{name}",
                opts=protect,
                labels=labels,
                deletion_policy="PREVENT",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                **cfg["cloud_storage"],
            )
        datasets = {
            name: gcp.bigquery.Dataset(
                f"dataset_{name}",
                opts=protect,
                labels=labels,
                deletion_policy="PREVENT",
                **cfg["bigquery_dataset"],
            )
            for name, cfg in projects.items()
        }
        for name, cfg in projects.items():
            for table in cfg["bigquery_tables"]:
                args = {k: v for k, v in table.items() if k != "schema_file"}
                gcp.bigquery.Table(
                    f"table_{name}_{table['table_id']}",
                    opts=pulumi.ResourceOptions(protect=True, depends_on=[datasets[name]]),
                    labels=labels,
                    deletion_policy="PREVENT",
                    deletion_protection=True,
                    schema=schema_text,
                    **args,
                )
        for cfg in projects.values():
            for topic in cfg["pubsub_topics"]:
                gcp.pubsub.Topic(f"topic_{topic['name']}", labels=labels, **topic)
        # the Cloud Scheduler agent's token grant on each account jobs run as, its project
        # number looked up once, as the foundation program does
        number = gcp.organizations.get_project_output(project_id=GCP_PROJECT).number
        agent = number.apply(
            lambda n: f"serviceAccount:service-{n}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"
        )
        for name, cfg in projects.items():
            account_id = cfg["service_account"]["account_id"]
            grant = gcp.serviceaccount.IAMMember(
                f"serviceaccountiammember_{account_id}_agent",
                service_account_id=accounts[name].name,
                role="roles/iam.serviceAccountTokenCreator",
                member=agent,
            )
            for job in cfg["cloud_scheduler"]:
                args = {k: v for k, v in job.items() if k != "target_job"}
                gcp.cloudscheduler.Job(
                    f"scheduler_{job['name']}",
                    opts=pulumi.ResourceOptions(depends_on=[grant]),
                    **args,
                    http_target=gcp.cloudscheduler.JobHttpTargetArgs(
                        uri=f"https://{job['region']}-run.googleapis.com/apis/run.googleapis.com"
                        f"/v1/namespaces/{GCP_PROJECT}/jobs/{job['target_job']}:run",
                        http_method="POST",
                        oauth_token=gcp.cloudscheduler.JobHttpTargetOauthTokenArgs(
                            service_account_email=accounts[name].email
                        ),
                    ),
                )

    return program


def run_bare(program: Callable[[], None]) -> int:
    """Run ``program`` under the plainest mocks the SDK allows; number of resources."""
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    count = 0

    class BareMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            nonlocal count
            count += 1
            state = dict(args.inputs)
            if "accountId" in state:
                state["email"] = f"{state['accountId']}@{GCP_PROJECT}.iam.gserviceaccount.com"
                state["member"] = f"serviceAccount:{state['email']}"
            return f"{args.name}_id", state

        def call(self, args: Any) -> tuple[dict[str, Any], list[Any]]:
            return {"number": "000000000000"}, []

    # a loop of its own, as polyinfra's plan makes one (and leaves none behind)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(BareMocks(), project="bench", stack="bench", preview=True)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
        settings.ROOT.set(None)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return count


def best_of(actions: list[Callable[[], Any]], repeat: int) -> list[tuple[float, Any]]:
    """Best wall time of each action over ``repeat`` rounds, run alternately so a busy machine
    slows them alike; and each action's last result."""
    best = [math.inf] * len(actions)
    results: list[Any] = [None] * len(actions)
    for _ in range(repeat):
        for index, action in enumerate(actions):
            start = time.perf_counter()
            results[index] = action()
            best[index] = min(best[index], time.perf_counter() - start)
    return list(zip(best, results, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    # Warm-up: imports and the provider introspection cache are paid once per process.
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_program(folder, 1)
        plan_stack(folder, "bench")
        run_bare(lambda: None)
    print("projects resources  validate  polyinfra  bare SDK  ratio")
    for count in options.projects:
        measure(count, options.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (this process: polyinfra's plan and the bare program): {peak:.0f} MiB")


def measure(count: int, repeat: int) -> None:
    """Time validation, our plan and the bare program for ``count`` projects; print a row."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        projects = write_program(folder, count)
        schema_text = json.dumps(SCHEMA)
        stack = folder / "Pulumi.bench.yaml"
        [(validate, _), (ours, plan), (bare, bare_count)] = best_of(
            [
                lambda: load_stack_config(stack),
                lambda: plan_stack(folder, "bench"),
                lambda: run_bare(bare_program(projects, schema_text)),
            ],
            repeat,
        )
        if bare_count != len(plan.resources):
            raise SystemExit(f"baseline declared {bare_count}, plan {len(plan.resources)}")
        print(
            f"{count:>8} {len(plan.resources):>9} {validate:>8.3f}s {ours:>9.3f}s "
            f"{bare:>8.3f}s {ours / bare:>5.2f}x"
        )


if __name__ == "__main__":
    main()
