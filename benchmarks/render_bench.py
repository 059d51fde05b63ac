"""Render one environment of 10 and 100 generated apps: polyinfra's batched render (one
kustomize run, split per app) against the spec's per-app pipeline (`edit set image`, then
`kubectl kustomize` and `sed` once per app), same run, same machine. Outputs must be
byte-identical (asserted). Prints both times and the ratio, the time of one bare aggregate
`kubectl kustomize` run over the same (image-edited) overlays, the floor of any batched render,
polyinfra's time over it, and the peak RSS of this process (polyinfra's side; kustomize runs
in child processes).

    .venv/bin/python benchmarks/render_bench.py [--apps 10 100] [--repeat 3]

The baseline is favoured: its tree copy is not timed and its image edit is done in-process
(the real pipeline runs `kustomize edit set image`, one more process per app). polyinfra's time
includes reading the overlays, copying them to a temporary folder, the image edits, the
kustomize run, splitting, placeholder replacement and the leftover-placeholder scan.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from polyinfra.manifests import RenderOptions, RenderRequest, find_kustomize, render

VERSION = "2026.11.26-1"

SERVICE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {name}
  labels:
    component: {name}
  annotations:
    run.googleapis.com/ingress: all
spec:
  template:
    metadata:
      annotations:
        run.googleapis.com/startup-cpu-boost: "true"
        autoscaling.knative.dev/minScale: "0"
        autoscaling.knative.dev/maxScale: "2"
    spec:
      timeoutSeconds: 300
      containers:
      - name: {name}
        image: IMAGE_URL
        ports:
        - containerPort: 8080
          name: http1
        env:
        - name: VERSION
          value: VERSION_PLACEHOLDER
        startupProbe:
          httpGet:
            path: /health_check
            port: 8080
          initialDelaySeconds: 5
          timeoutSeconds: 5
          periodSeconds: 10
          failureThreshold: 3
        resources:
          limits:
            cpu: "1"
            memory: 512Mi
  traffic:
  - latestRevision: true
    percent: 100
"""

JOB = """apiVersion: run.googleapis.com/v1
kind: Job
metadata:
  name: {name}
  annotations:
    run.googleapis.com/launch-stage: BETA
spec:
  template:
    metadata:
      annotations:
        run.googleapis.com/execution-environment: gen2
    spec:
      taskCount: 1
      template:
        spec:
          maxRetries: 3
          timeoutSeconds: 600
          containers:
          - name: worker
            image: IMAGE_URL
            env:
            - name: COMPONENT
              value: {name}
            resources:
              limits:
                cpu: "1"
                memory: 512Mi
"""

OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

namespace: bench-production

resources:
  - ../../base

images:
  - name: IMAGE_URL
    newName: IMAGE_URL_PLACEHOLDER

patches:
  - patch: |-
      - op: add
        path: {spec}/serviceAccountName
        value: {name}@bench-production.iam.gserviceaccount.com
      - op: add
        path: {spec}/containers/0/env/-
        value:
          name: ENVIRONMENT
          value: production
      - op: add
        path: {spec}/containers/0/env/-
        value:
          name: APP_VERSION
          value: VERSION_PLACEHOLDER
    target:
      kind: {kind}
      name: {name}
"""


def generate(root: Path, count: int) -> dict[str, Path]:
    """``count`` apps (one job in four) in the spec's layout; returns app -> overlay folder."""
    overlays = {}
    for index in range(count):
        job = index % 4 == 3
        name = f"{'job' if job else 'svc'}-{index:03d}"
        kind_dir = "cloudrunjob" if job else "cloudrun"
        app = root / "infrastructure" / kind_dir / name
        (app / "base").mkdir(parents=True)
        (app / "overlays/production").mkdir(parents=True)
        base_file = "job.yaml" if job else "service.yaml"
        (app / "base" / base_file).write_text((JOB if job else SERVICE).format(name=name))
        (app / "base/kustomization.yaml").write_text(f"resources:\n  - {base_file}\n")
        spec = "/spec/template/spec/template/spec" if job else "/spec/template/spec"
        (app / "overlays/production/kustomization.yaml").write_text(
            OVERLAY.format(name=name, spec=spec, kind="Job" if job else "Service")
        )
        overlays[name] = app / "overlays/production"
    return overlays


def image(app: str) -> str:
    return f"asia-southeast1-docker.pkg.dev/bench-production/apps/{app}:{VERSION}"


def spec_pipeline(overlays: dict[str, Path], kubectl: str) -> dict[str, str]:
    """Per app, on a copy: the `images:` entry `edit set image` writes, `kubectl kustomize`,
    `sed "s|VERSION_PLACEHOLDER|$VERSION|g"`."""
    outputs = {}
    for app, overlay in overlays.items():
        kustomization = overlay / "kustomization.yaml"
        text = kustomization.read_text()
        name, tag = image(app).rsplit(":", 1)
        kustomization.write_text(
            text.replace(
                "images:\n  - name: IMAGE_URL\n    newName: IMAGE_URL_PLACEHOLDER\n",
                f"images:\n- name: IMAGE_URL\n  newName: {name}\n  newTag: {tag}\n",
            )
        )
        built = subprocess.run(
            [kubectl, "kustomize", str(overlay)], check=True, capture_output=True
        ).stdout
        outputs[app] = subprocess.run(
            ["sed", f"s|VERSION_PLACEHOLDER|{VERSION}|g"],
            input=built,
            check=True,
            capture_output=True,
        ).stdout.decode()
    return outputs


def aggregate_floor(copy_root: Path, overlays: dict[str, Path], kubectl: str) -> float:
    """One bare `kubectl kustomize` over an aggregate of ``overlays`` (already image-edited):
    wall time, output discarded."""
    folder = copy_root / "aggregate"
    folder.mkdir()
    lines = ["resources:"] + [f"- {os.path.relpath(o, folder)}" for o in overlays.values()]
    (folder / "kustomization.yaml").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    subprocess.run([kubectl, "kustomize", str(folder)], check=True, capture_output=True)
    return time.perf_counter() - start


def run(count: int, repeat: int) -> tuple[float, float, float, int]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed for the baseline"
    ours: list[float] = []
    theirs: list[float] = []
    floor: list[float] = []
    runs = 0
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        source = generate(Path(tmp) / "src", count)
        requests = [
            RenderRequest(app, "production", path, image(app)) for app, path in source.items()
        ]
        find_kustomize()  # found once per process, as in a command
        for attempt in range(repeat):
            copy_root = Path(tmp) / f"copy-{attempt}"
            shutil.copytree(Path(tmp) / "src", copy_root)
            copies = {
                app: copy_root / path.relative_to(Path(tmp) / "src") for app, path in source.items()
            }
            start = time.perf_counter()
            expected = spec_pipeline(copies, kubectl)
            theirs.append(time.perf_counter() - start)
            floor.append(aggregate_floor(copy_root, copies, kubectl))

            start = time.perf_counter()
            result = render(requests, RenderOptions(version=VERSION))
            ours.append(time.perf_counter() - start)
            runs = result.kustomize_runs
            got = {app.app: app.text for app in result.apps}
            assert got == expected, "outputs differ from the spec pipeline"
            assert all(f"image: {image(a)}\n" in t for a, t in got.items())
    return statistics.median(ours), statistics.median(theirs), statistics.median(floor), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"kustomize: {find_kustomize().name}; median of {args.repeat} runs")
    print(
        f"{'apps':>5} {'polyinfra':>10} {'spec pipeline':>14} {'speed-up':>9} "
        f"{'1 kustomize':>12} {'vs floor':>9}  kustomize runs"
    )
    for count in args.apps:
        ours, theirs, floor, runs = run(count, args.repeat)
        print(
            f"{count:>5} {ours:>9.3f}s {theirs:>13.3f}s {theirs / ours:>8.1f}x "
            f"{floor:>11.3f}s {ours / floor:>8.2f}x  {runs} (spec: {count}); "
            "outputs byte-identical"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (polyinfra side, this process): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
