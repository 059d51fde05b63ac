"""Adding a project to a large Pulumi stack file: polyinfra's line-splicing round-trip edit
(outline of the parser's events, splice, re-load check) against the plain ruamel.yaml round trip
(load, insert, dump), over growing file sizes.

    .venv/bin/python benchmarks/stack_edit.py [--sizes 1 4 8 16] [--shape projects comments]
        [--baseline-up-to 4] [--command]

Two shapes of stack file are generated, both written like the example's (comments, blank lines,
an anchored list of cleanup policies every project aliases):

- ``projects``: one project entry after another, as many as the size takes;
- ``comments``: 100 projects, then a long block of commented-out settings under the last one
  (a block of comment lines after a value is what makes ruamel.yaml's round-trip scanner
  quadratic: it joins each comment line onto the ones before it with a new string).

Each measurement runs in a fresh process, so its peak memory (``ru_maxrss``, which includes the
interpreter and the generated text) is its own. For each shape and size it prints the seconds,
the seconds per MB (constant when the work is linear), the peak memory, and, up to
``--baseline-up-to`` MB (the baseline takes minutes beyond that), the baseline's seconds and
the ratio polyinfra / baseline. ``--command`` also times ``polyinfra add job`` end to end
(interpreter start included) on a copy of examples/data-platform whose sandbox stack file is
the generated one.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from polyinfra.yamlio.roundtrip import Alias, add_mapping_entry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data-platform"
MB = 1024 * 1024

HEADER = """\
# Foundation stack "sandbox"
config:
  gcp:project: bench-sandbox
  gcp:region: asia-southeast1
  label:owner: data-engineering

  # Shared values, reused below through YAML aliases
  input:artifact_registry_cleanup_policies: &artifact_registry_cleanup_policies
    - action: DELETE
      id: delete-prerelease
      condition:
        older_than: 2592000s # 30 days
    - action: KEEP
      id: keep-minimum-versions
      most_recent_versions:
        keep_count: 10

  # One entry per Polylith project (kebab-case project name)
  input:projects:
"""

PROJECT = """\
    project-{i}:
      service_account:
        account_id: project-{i}
        description: Runtime identity of project {i}
      service_account_iam:
        account_id: project-{i}
        roles:{roles}
      artifact_registry:
        repository_id: project-{i}
        format: DOCKER
        location: asia-southeast1
        cleanup_policies: *artifact_registry_cleanup_policies
      cloud_scheduler:
        - name: job-{i}
          target_job: job-{i}
          schedule: "0 4 * * *"
          time_zone: Asia/Kuala_Lumpur

"""

# Hand-written files mix list styles: indented dashes and dashes level with their key.
ROLES = (
    "\n          - roles/logging.logWriter # every app logs\n          - roles/run.invoker",
    "\n        - roles/logging.logWriter # every app logs\n        - roles/run.invoker",
)

COMMENTED = "      # retired_setting_{i}: value kept for reference, see the runbook\n"

NEW = {
    "service_account": {"account_id": "new-project"},
    "artifact_registry": {"repository_id": "new-project", "format": "DOCKER"},
}


def stack_text(projects: int) -> str:
    return HEADER + "".join(PROJECT.format(i=i, roles=ROLES[i % 2]) for i in range(projects))


def generated(shape: str, megabytes: float) -> str:
    """A stack file of the given shape and about ``megabytes`` MB."""
    target = int(megabytes * MB)
    if shape == "projects":
        parts, size, index = [HEADER], len(HEADER), 0
        while size < target:
            part = PROJECT.format(i=index, roles=ROLES[index % 2])
            parts.append(part)
            size += len(part)
            index += 1
        return "".join(parts)
    text = stack_text(100).rstrip("\n") + "\n"
    lines, index = [], 0
    size = len(text)
    while size < target:
        line = COMMENTED.format(i=index)
        lines.append(line)
        size += len(line)
        index += 1
    return text + "".join(lines)


def polyinfra_edit(text: str) -> str:
    entry = {**NEW, "cleanup": Alias("artifact_registry_cleanup_policies")}
    return add_mapping_entry(
        text, Path("Pulumi.sandbox.yaml"), ("config", "input:projects"), "new", entry
    )


def ruamel_edit(text: str) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc = yaml.load(text)
    entry = CommentedMap(NEW)
    entry["cleanup"] = doc["config"]["input:artifact_registry_cleanup_policies"]
    doc["config"]["input:projects"]["new"] = entry
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def keeps_lines(before: str, after: str) -> bool:
    remaining = iter(after.splitlines())
    return all(line in remaining for line in before.splitlines())


def command_edit(text: str) -> None:
    """`polyinfra add job` on a copy of the example whose sandbox stack file is ``text``."""
    with tempfile.TemporaryDirectory() as temp:
        workspace = Path(shutil.copytree(EXAMPLE, Path(temp) / "ws"))
        stack = workspace / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
        stack.write_text(text, encoding="utf-8")
        args = ["add", "job", "bench-job", "-p", "inventory_api", "-e", "sandbox"]
        args += ["--schedule", "0 4 * * *", "-w", str(workspace)]
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "polyinfra.cli.main", *args], capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"polyinfra add failed ({done.returncode}): {done.stderr}")
        print(json.dumps({"seconds": seconds, "peak_mb": 0.0, "keeps_lines": True}))


def measure(what: str, shape: str, megabytes: float) -> None:
    """One measurement in this process; prints a JSON line."""
    text = generated(shape, megabytes)
    if what == "command":
        command_edit(text)
        return
    edit = polyinfra_edit if what == "polyinfra" else ruamel_edit
    start = time.perf_counter()
    after = edit(text)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak_mb, "keeps_lines": keeps_lines(text, after)}
        )
    )


def run(what: str, shape: str, megabytes: float) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--shape", shape, "--sizes", str(megabytes)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument(
        "--shape", nargs="+", choices=("projects", "comments"), default=["projects", "comments"]
    )
    parser.add_argument("--baseline-up-to", type=float, default=4)
    parser.add_argument("--command", action="store_true", help="also time `polyinfra add job`")
    parser.add_argument("--measure", choices=("polyinfra", "ruamel", "command"), help="internal")
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.shape[0], args.sizes[0])
        return

    print(
        f"{'shape':<9} {'MB':>5} {'polyinfra s':>11} {'s/MB':>6} {'peak MB':>8} {'kept':>5}"
        f" {'ruamel s':>9} {'peak MB':>8} {'kept':>5} {'ratio':>6}"
        + (f" {'add job s':>10}" if args.command else "")
    )
    for shape in args.shape:
        for size in args.sizes:
            ours = run("polyinfra", shape, size)
            row = (
                f"{shape:<9} {size:>5g} {ours['seconds']:>11.2f} {ours['seconds'] / size:>6.2f}"
                f" {ours['peak_mb']:>8.0f} {bool(ours['keeps_lines'])!s:>5}"
            )
            if size <= args.baseline_up_to:
                base = run("ruamel", shape, size)
                row += (
                    f" {base['seconds']:>9.2f} {base['peak_mb']:>8.0f}"
                    f" {bool(base['keeps_lines'])!s:>5}"
                    f" {ours['seconds'] / base['seconds']:>6.2f}"
                )
            else:
                row += f" {'skipped':>9} {'':>8} {'':>5} {'':>6}"
            if args.command:
                command = run("command", shape, size)
                row += f" {command['seconds']:>10.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
