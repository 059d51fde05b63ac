"""`polyinfra lint` on generated manifest files: every rule over N Services and Jobs, against
the cost of only parsing them (the floor any linter pays) in the same run. Also prints what
re-parsing the files once per rule would cost, and the one-time discovery-document load.

    .venv/bin/python benchmarks/lint_bench.py [--files 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "checks" / "data"


def generate(folder: Path, count: int) -> list[Path]:
    """Half Services, half Jobs, each with a distinct name and a few findings."""
    service = (DATA / "good-service.yaml").read_text()
    job = (DATA / "good-job.yaml").read_text()
    paths = []
    for index in range(count):
        if index % 2:
            text = job.replace("my-job-api2bq", f"job-{index}").replace(
                "          maxRetries: 3\n", ""
            )
        else:
            text = service.replace("name: my-service\n", f"name: svc-{index}\n", 1)
            text = text.replace("timeoutSeconds: 300", f"timeoutSeconds: {300 + index}")
            text = text.replace("my-service:1.4.2", "my-service:latest")
        path = folder / f"m{index:04d}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def best(times: list[float]) -> float:
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    from polyinfra.cloudrun import discovery

    discovery.load()
    discovery.field_locations("Service")
    discovery.field_locations("Job")
    load_time = time.perf_counter() - started

    from polyinfra.checks.context import CheckContext, manifests_from_file
    from polyinfra.checks.engine import run, select_rules
    from polyinfra.checks.lint import lint_paths
    from polyinfra.checks.registry import LINT_RULES

    rules_on = select_rules(LINT_RULES)  # the rules lint runs: none that is off by default
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.files)
        parse_times, rule_times, lint_times = [], [], []
        problems = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            manifests = tuple(m for p in paths for m in manifests_from_file(p)[0])
            t1 = time.perf_counter()
            found = run(CheckContext(manifests=manifests), rules_on)
            t2 = time.perf_counter()
            result = lint_paths([Path(tmp)])
            t3 = time.perf_counter()
            parse_times.append(t1 - t0)
            rule_times.append(t2 - t1)
            lint_times.append(t3 - t2)
            problems = len(result.problems)
            assert len(found) == problems, (len(found), problems)
    parse, rules, lint = best(parse_times), best(rule_times), best(lint_times)
    naive = len(rules_on) * parse + rules
    print(f"{args.files} manifests, {len(rules_on)} rules, {problems} problems")
    print(f"discovery document + schema index, once per process: {load_time * 1000:.0f} ms")
    print(f"parse only (baseline):        {parse * 1000:8.1f} ms")
    print(f"all rules on parsed files:    {rules * 1000:8.1f} ms  ({rules / parse:.2f}x parse)")
    print(f"polyinfra lint (parse+rules): {lint * 1000:8.1f} ms  ({lint / parse:.2f}x parse)")
    print(f"re-parsing once per rule (est.):{naive * 1000:8.1f} ms  ({naive / lint:.1f}x lint)")
    print(f"median lint: {statistics.median(lint_times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
