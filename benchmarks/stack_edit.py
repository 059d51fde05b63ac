"""Adding a project to a large Pulumi stack file: polyinfra's line-splicing round-trip edit
(with its re-parse check) against the plain ruamel.yaml round trip (load, insert, dump).

Run: .venv/bin/python benchmarks/stack_edit.py [--projects N] [--repeat R]
Prints the median time of each and the ratio polyinfra / baseline, and whether each kept every
original line of the file.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from polyinfra.yamlio.roundtrip import Alias, add_mapping_entry

HEADER = """\
# Foundation stack "sandbox"
config:
  gcp:project: bench-sandbox
  gcp:region: asia-southeast1
  input:artifact_registry_cleanup_policies: &artifact_registry_cleanup_policies
    - action: DELETE
      id: delete-prerelease
      condition:
        older_than: 2592000s # 30 days
    - action: KEEP
      id: keep-minimum-versions
      most_recent_versions:
        keep_count: 10

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

NEW = {
    "service_account": {"account_id": "new-project"},
    "artifact_registry": {"repository_id": "new-project", "format": "DOCKER"},
}


# Hand-written files mix list styles: indented dashes and dashes level with their key.
ROLES = (
    "\n          - roles/logging.logWriter # every app logs\n          - roles/run.invoker",
    "\n        - roles/logging.logWriter # every app logs\n        - roles/run.invoker",
)


def stack_text(projects: int) -> str:
    return HEADER + "".join(PROJECT.format(i=i, roles=ROLES[i % 2]) for i in range(projects))


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


def median_seconds(fn: object, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text = stack_text(args.projects)
    ours = median_seconds(polyinfra_edit, text, args.repeat)
    base = median_seconds(ruamel_edit, text, args.repeat)
    print(f"stack file: {args.projects} projects, {len(text.splitlines())} lines")
    print(
        f"polyinfra round-trip edit (splice + re-parse check): {ours * 1000:8.1f} ms  "
        f"keeps every original line: {keeps_lines(text, polyinfra_edit(text))}"
    )
    print(
        f"baseline ruamel.yaml load + insert + dump:            {base * 1000:8.1f} ms  "
        f"keeps every original line: {keeps_lines(text, ruamel_edit(text))}"
    )
    print(f"ratio polyinfra / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
