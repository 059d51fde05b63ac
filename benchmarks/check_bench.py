"""`polyinfra check` end to end on a generated workspace of 100 apps (two environments each)
and 50 projects, with the share of time spent in kustomize, the Pulumi mocks and the rules.

Baseline, same run: the naive check renders every overlay with its own `kubectl kustomize`
process (what the spec's per-app `kustomize build` amounts to). Prints both render times, the
naive check's total (our other phases plus the naive render) and the ratios.

Then `polyinfra check` as a user runs it, a fresh process each time: without a cache, with a
cold cache (a fresh folder), again with nothing changed, and again after one overlay changed,
each with its ratio to the run without a cache and its peak RSS.

    .venv/bin/python benchmarks/check_bench.py [--projects 50] [--apps-per-project 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from polyinfra.checks.check import check_workspace, render_targets
from polyinfra.manifests import find_kustomize
from polyinfra.workspace import Workspace

BIN = Path(sys.executable).parent
NS = "bench"
ENVS = {"sandbox": "bench-sandbox", "production": "bench-prod"}
REGION = "asia-southeast1"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def project_name(index: int) -> str:
    return f"svc_{index:03d}"


def generate(root: Path, projects: int, apps_per_project: int) -> None:
    """A clean workspace: every project has bricks, a Dockerfile and ``apps_per_project``
    apps (the first a service named after the project, the others jobs mapped to it)."""
    write(
        root,
        "workspace.toml",
        f'[tool.polylith]\nnamespace = "{NS}"\n\n[tool.polylith.structure]\ntheme = "loose"\n',
    )
    write(
        root,
        "pyproject.toml",
        '[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.uv.workspace]\nmembers = ["projects/*"]\nexclude = ["infrastructure"]\n',
    )
    mappings = []
    stack_projects: dict[str, list[str]] = {env: [] for env in ENVS}
    for p in range(projects):
        name = project_name(p)
        kebab = name.replace("_", "-")
        bricks = [
            f"bases/{NS}/{name}",
            f"components/{NS}/shared_{p % 10}",
            f"components/{NS}/own_{p}",
        ]
        for brick in bricks:
            write(root, f"{brick}/__init__.py", "")
            write(root, f"{brick}/core.py", "VALUE = 1\n")
        includes = "\n".join(f'"../../{b}" = "{NS}/{b.rsplit("/", 1)[-1]}"' for b in bricks)
        write(
            root,
            f"projects/{name}/pyproject.toml",
            f'[project]\nname = "{kebab}"\nversion = "0.1.0"\n\n'
            f"[tool.polylith.bricks]\n{includes}\n",
        )
        copies = "\n".join(f"COPY {b}/ ./{NS}/{b.rsplit('/', 1)[-1]}/" for b in bricks)
        write(
            root,
            f"projects/{name}/Dockerfile",
            "FROM python:3.13-slim\nWORKDIR /app\n"
            f"COPY projects/{name}/pyproject.toml ./pyproject.toml\nCOPY uv.lock ./uv.lock\n"
            f'{copies}\nCMD ["python", "main.py"]\n',
        )
        jobs = []
        for a in range(apps_per_project):
            if a == 0:
                write_service(root, kebab)
            else:
                job = f"{kebab}-job-{a}"
                jobs.append(job)
                write_job(root, job, kebab)
                mappings.append(f'[tool.polyinfra.apps."{job}"]\nproject = "{name}"\n')
        for env, gcp_project in ENVS.items():
            schedulers = "".join(
                f"        - name: {job}-daily\n          target_job: {job}\n"
                f'          region: {REGION}\n          schedule: "0 {3 + i % 20} * * *"\n'
                f"          time_zone: Asia/Kuala_Lumpur\n"
                for i, job in enumerate(jobs)
            )
            stack_projects[env].append(
                f"    {kebab}:\n"
                f"      service_account:\n        account_id: {kebab}\n"
                f"        display_name: Runtime identity of {kebab}\n"
                f"      service_account_iam:\n        account_id: {kebab}\n        roles:\n"
                f"          - roles/logging.logWriter\n"
                f"      iam:\n"
                f"        - role: roles/secretmanager.secretAccessor\n"
                f"          resource: {{secret: {name.upper()}_TOKEN}}\n"
                + "".join(
                    f"        - role: roles/run.invoker\n          resource: {{job: {job}}}\n"
                    for job in jobs
                )
                + f"      artifact_registry:\n        repository_id: {kebab}\n"
                f"        format: DOCKER\n        location: {REGION}\n"
                f"      cloud_storage:\n        name: {gcp_project}-{kebab}-data\n"
                f"        location: ASIA-SOUTHEAST1\n"
                f"      secrets:\n        - secret_id: {name.upper()}_TOKEN\n"
                + (f"      cloud_scheduler:\n{schedulers}" if jobs else "")
            )
    write(
        root,
        "infrastructure/pyproject.toml",
        '[project]\nname = "bench-infrastructure"\nversion = "0.1.0"\n'
        'dependencies = ["pulumi>=3.213.0", "pulumi-gcp>=9.6.0"]\n\n[tool.polyinfra]\n\n'
        + "\n".join(mappings),
    )
    write(root, "infrastructure/pulumi/Pulumi.yaml", "name: bench\nruntime:\n  name: python\n")
    for env, gcp_project in ENVS.items():
        write(
            root,
            f"infrastructure/pulumi/Pulumi.{env}.yaml",
            f"config:\n  gcp:project: {gcp_project}\n  gcp:region: {REGION}\n"
            f"  input:environment: {env}\n  label:component: bench\n  input:projects:\n"
            + "".join(stack_projects[env]),
        )


def write_service(root: Path, name: str) -> None:
    folder = f"infrastructure/cloudrun_service/{name}"
    write(root, f"{folder}/base/kustomization.yaml", "resources:\n  - service.yaml\n")
    write(
        root,
        f"{folder}/base/service.yaml",
        f"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: {name}\n"
        "spec:\n  template:\n    metadata:\n      annotations:\n"
        '        autoscaling.knative.dev/maxScale: "2"\n'
        "    spec:\n      containers:\n      - name: app\n        image: IMAGE_URL\n"
        "        ports:\n        - containerPort: 8080\n          name: http1\n"
        "        env:\n        - name: VERSION\n          value: VERSION_PLACEHOLDER\n"
        "        startupProbe:\n          httpGet:\n            path: /health_check\n"
        "            port: 8080\n          initialDelaySeconds: 5\n          timeoutSeconds: 5\n"
        "          periodSeconds: 10\n          failureThreshold: 3\n",
    )
    for env, gcp_project in ENVS.items():
        write_overlay(root, folder, env, gcp_project, "Service", name, "/spec/template/spec", name)


def write_job(root: Path, name: str, account: str) -> None:
    folder = f"infrastructure/cloudrun_job/{name}"
    write(root, f"{folder}/base/kustomization.yaml", "resources:\n  - job.yaml\n")
    write(
        root,
        f"{folder}/base/job.yaml",
        f"apiVersion: run.googleapis.com/v1\nkind: Job\nmetadata:\n  name: {name}\n"
        "spec:\n  template:\n    spec:\n      taskCount: 1\n      template:\n        spec:\n"
        "          maxRetries: 3\n          containers:\n          - name: worker\n"
        "            image: IMAGE_URL\n            env:\n            - name: VERSION\n"
        "              value: VERSION_PLACEHOLDER\n",
    )
    for env, gcp_project in ENVS.items():
        write_overlay(
            root,
            folder,
            env,
            gcp_project,
            "Job",
            name,
            "/spec/template/spec/template/spec",
            account,
        )


def write_overlay(
    root: Path,
    folder: str,
    env: str,
    gcp_project: str,
    kind: str,
    name: str,
    spec: str,
    account: str,
) -> None:
    write(
        root,
        f"{folder}/overlays/{env}/kustomization.yaml",
        f"namespace: {gcp_project}\nresources:\n  - ../../base\nimages:\n  - name: IMAGE_URL\n"
        "    newName: IMAGE_URL_PLACEHOLDER\npatches:\n  - patch: |-\n      - op: add\n"
        f"        path: {spec}/serviceAccountName\n"
        f"        value: {account}@{gcp_project}.iam.gserviceaccount.com\n"
        "      - op: add\n"
        f"        path: {spec}/containers/0/env/-\n        value:\n          name: ENVIRONMENT\n"
        f"          value: {env}\n    target:\n      kind: {kind}\n      name: {name}\n",
    )


def naive_render(root: Path) -> tuple[float, int]:
    """Every overlay rendered with its own kustomize process, as a per-app script would."""
    ws = Workspace.discover(root)
    kustomize = find_kustomize()
    targets = render_targets(ws, ws.environments)
    start = time.perf_counter()
    for _, overlay in targets:
        kustomize.build(overlay.path)
    return time.perf_counter() - start, len(targets)


def floor(root: Path, folder: Path) -> tuple[dict[str, float], float]:
    """What no check can do without: the Pulumi SDK planning each stack under mocks (in this
    process, imports done: CPU seconds of the SDK, which polyinfra's plan matches, see
    plan_bench.py), and one bare kustomize run over every overlay (its CPU seconds)."""
    from polyinfra.foundation.plan.run import plan_stack

    ws = Workspace.discover(root)
    plans = {}
    for stack in ws.program.stacks:
        start = time.process_time()
        plan_stack(ws.program.path, stack)
        plans[stack] = time.process_time() - start
    folder.mkdir()
    overlays = [overlay.path for _, overlay in render_targets(ws, ws.environments)]
    lines = ["resources:"] + [f"- {os.path.relpath(o, folder)}" for o in overlays]
    (folder / "kustomization.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    find_kustomize().build(folder)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    kustomize = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return plans, kustomize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--apps-per-project", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polyinfra-check-bench-") as tmp:
        root = Path(tmp) / "workspace"
        generate(root, args.projects, args.apps_per_project)
        result = check_workspace(root)
        naive_seconds, overlays = naive_render(root)
        cached = cache_runs(root, Path(tmp) / "cache")
        plans, kustomize_cpu = floor(root, Path(tmp) / "aggregate")
    ws = result.workspace
    t = result.timings
    print(
        f"workspace: {len(ws.apps)} apps, {len(ws.projects)} projects, "
        f"{len(result.environments)} environments, {overlays} overlays rendered, "
        f"{len(result.rules)} rules, {len(result.problems)} problems"
    )
    for problem in result.problems[:5]:
        print(f"  unexpected: {problem.position}: {problem.rule}: {problem.message}")
    print(f"polyinfra check total: {t.total:.2f} s")
    for phase, seconds in t.seconds.items():
        print(f"  {phase:<10} {seconds:7.2f} s  {t.share(phase):6.1%}")
    kustomize = t.seconds["kustomize"]
    naive_total = t.total - kustomize + naive_seconds
    print(f"baseline: one kubectl kustomize per overlay: {naive_seconds:.2f} s for {overlays}")
    print(f"render ratio (naive / batched): {naive_seconds / kustomize:.1f}x")
    print(
        f"check ratio (naive check {naive_total:.2f} s / polyinfra check {t.total:.2f} s): "
        f"{naive_total / t.total:.2f}x"
    )
    print(
        f"in this process: phases {t.total:.2f} s, wall {t.wall:.2f} s (other processes plan "
        "stacks while this one renders)"
    )
    baseline = cached["no cache (--no-cache)"][0]
    print("`polyinfra check` as a process, start-up included:")
    for label, (seconds, rss) in cached.items():
        print(
            f"  {label:<26} {seconds:6.2f} s  {seconds / baseline:5.2f}x of no cache  "
            f"peak RSS {rss:.0f} MiB"
        )
    cpus = len(os.sched_getaffinity(0))
    needed = sum(plans.values()) + kustomize_cpu
    print(
        f"floor: the Pulumi SDK plans the stacks in "
        f"{' + '.join(f'{v:.2f}' for v in plans.values())} CPU s, one bare kustomize run over "
        f"the {overlays} overlays takes {kustomize_cpu:.2f} CPU s: {needed:.2f} CPU s over "
        f"{cpus} CPU(s) is at least {needed / cpus:.2f} s before start-up and rules; "
        f"the cold check takes {cached['cold cache'][0] / (needed / cpus):.2f}x that"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (polyinfra side, in this process): {peak:.0f} MiB")
    return 1 if result.problems else 0


def cache_runs(root: Path, folder: Path) -> dict[str, tuple[float, float]]:
    """``polyinfra check`` as a user runs it (a fresh process each time, start-up included):
    without a cache, with a cold cache, with a warm one and nothing changed, and with a warm
    one after one overlay changed (one byte of its kustomization). Wall seconds and peak RSS
    (MiB) of each process."""
    env = {**os.environ, "POLYINFRA_CACHE_DIR": str(folder)}
    runs = {}
    for label in (
        "no cache (--no-cache)",
        "cold cache",
        "warm, nothing changed",
        "warm, one overlay changed",
    ):
        if label.startswith("warm, one"):
            overlay = next((root / "infrastructure" / "cloudrun_service").iterdir())
            path = overlay / "overlays" / next(iter(ENVS)) / "kustomization.yaml"
            path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        command = [str(BIN / "polyinfra"), "check", str(root)]
        if label.startswith("no cache"):
            command.append("--no-cache")
        start = time.perf_counter()
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"polyinfra check exited {child.returncode} ({label})")
        runs[label] = (seconds, usage.ru_maxrss / 1024)
    return runs


if __name__ == "__main__":
    sys.exit(main())
