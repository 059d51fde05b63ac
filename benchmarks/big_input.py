"""Every command on inputs of growing size: time, time per MB and peak memory stay linear.

Per size, a copy of the example workspace gets either a Cloud Run Service base whose ``env:``
list fills it to N MB (``lint``, ``check``, ``render``, ``deploy --dry-run`` to the emulator) or
stack files whose shared cleanup-policy list fills them to N MB (``plan``, ``add``, ``check``);
then a value nested 10,000 levels deep in the base (flow and block style), which each command
must refuse at the value's file:line:col. Each command runs in a fresh process. Printed:
seconds, seconds per MB of input, the peak RSS of our process and of its children (kustomize,
the Pulumi language host), and the ratio to a baseline run the same way in the same run:
`kubectl kustomize` of the big overlay plus a PyYAML CSafeLoader load of its output, once per
big overlay the command renders, or a CSafeLoader load of each stack file the command reads.

    .venv/bin/python benchmarks/big_input.py [--sizes 1 4 16] [--depth 10000]
        [--block-depth 2000] [--commands lint check render deploy plan add]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data-platform"
APP = "infrastructure/cloudrun_service/inventory-api"
SERVICE = f"{APP}/base/service.yaml"
STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
STACKS = (
    "infrastructure/pulumi/Pulumi.sandbox.yaml",
    "infrastructure/pulumi/Pulumi.production.yaml",
)
MB = 1024 * 1024

#: command -> (arguments, big overlays it renders)
COMMANDS: dict[str, tuple[list[str], int]] = {
    "lint": (["lint", APP], 2),
    "check": (["check"], 2),
    "render": (["render", "--env", "sandbox", "--version", "1.0.0", "-o", "{out}"], 1),
    "deploy": (
        ["deploy", "--all", "--env", "sandbox", "--version", "1.0.0", "--emulator", "--dry-run"],
        1,
    ),
    "plan": (["plan", "--stack", "sandbox"], 0),
    "add": (["add", "service", "orders-api", "--project", "inventory_api"], 0),
}
#: what grows -> the commands measured on it and how many stack files each reads
GROWS: dict[str, dict[str, int]] = {
    "manifest": {"lint": 0, "check": 0, "render": 0, "deploy": 0},
    "stack": {"plan": 1, "add": 2, "check": 2},
}

#: Runs a command in this (fresh) process and reports its own peak RSS and its children's.
RUNNER = """
import json, os, resource, sys, time
from polyinfra.cli.main import main
start = time.perf_counter()
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(os.environ["BIG_INPUT_REPORT"], "w") as report:
    json.dump({"code": code, "seconds": seconds, "own": own, "children": children}, report)
"""

#: A PyYAML CSafeLoader load of a file, in a fresh process: the baseline parse.
PARSE = """
import json, os, resource, sys, time
import yaml
text = open(sys.argv[1], encoding="utf-8").read()
start = time.perf_counter()
documents = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open(os.environ["BIG_INPUT_REPORT"], "w") as report:
    json.dump({"code": 0, "seconds": seconds, "own": own, "children": 0}, report)
"""


@dataclass(frozen=True)
class Run:
    code: int
    seconds: float
    own: int
    children: int
    output: str


def run_python(code: str, args: list[str], cwd: Path) -> Run:
    """``python -c CODE ARGS`` in a fresh process; what it reports of itself."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        env = {**os.environ, "BIG_INPUT_REPORT": report.name}
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        facts = json.loads(Path(report.name).read_text() or "{}")
    if not facts:
        raise SystemExit(f"{args}: no report\n{done.stdout}\n{done.stderr}")
    return Run(
        int(facts["code"] or 0),
        facts["seconds"],
        facts["own"],
        facts["children"],
        done.stdout + done.stderr,
    )


def run_kustomize(overlay: Path, out: Path) -> Run:
    """``kubectl kustomize OVERLAY > OUT``: time and peak RSS of kustomize itself."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl is needed for the baseline")
    start = time.perf_counter()
    with out.open("wb") as sink:
        process = subprocess.Popen([kubectl, "kustomize", str(overlay)], stdout=sink)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    return Run(os.waitstatus_to_exitcode(status), seconds, 0, usage.ru_maxrss * 1024, "")


def grow_service(root: Path, size: int) -> None:
    """The base's ``env:`` list grown until the file holds ``size`` bytes."""
    path = root / SERVICE
    text = path.read_text(encoding="utf-8")
    anchor = "          value: VERSION_PLACEHOLDER\n"
    entry = '        - name: SETTING_{0:07d}\n          value: "value {0} of the service"\n'
    count = max(0, (size - len(text)) // len(entry.format(0)))
    extra = "".join(entry.format(i) for i in range(count))
    path.write_text(text.replace(anchor, anchor + extra, 1), encoding="utf-8")


def grow_stacks(root: Path, size: int) -> None:
    """Each stack file's shared cleanup-policy list grown until the file holds ``size``
    bytes (one list, reached through an alias by every registry)."""
    anchor = "        keep_count: 10\n"
    entry = (
        "    - action: KEEP\n      id: keep-{0:07d}\n      most_recent_versions:\n"
        "        keep_count: 10\n"
    )
    for stack in STACKS:
        path = root / stack
        text = path.read_text(encoding="utf-8")
        count = max(0, (size - len(text)) // len(entry.format(0)))
        extra = "".join(entry.format(i) for i in range(count))
        path.write_text(text.replace(anchor, anchor + extra, 1), encoding="utf-8")


def nest(root: Path, depth: int, flow: bool) -> tuple[int, int]:
    """A value nested ``depth`` levels under the base's container; returns the 1-based line
    and column of the first value deeper than polyinfra's limit of 200 levels."""
    path = root / SERVICE
    text = path.read_text(encoding="utf-8")
    anchor = "      - name: inventory-api\n"
    before = text[: text.index(anchor) + len(anchor)]
    line = before.count("\n") + 1  # of `deep:`
    # spec.template.spec.containers[0] is 5 levels deep: the value of `deep` is at level 6
    if flow:
        nested = "        deep: " + "[" * depth + "]" * depth + "\n"
        where = (line, len("        deep: ") + (201 - 6) + 1)
    else:
        levels = "".join(" " * (10 + i) + "a:\n" for i in range(depth))
        nested = "        deep:\n" + levels + " " * (10 + depth) + "end\n"
        where = (line + 1 + (201 - 6), 10 + (201 - 6) + 1)
    path.write_text(before + nested + text[len(before) :], encoding="utf-8")
    return where


def workspace(folder: Path, name: str) -> Path:
    root = folder / name / "workspace"
    shutil.copytree(EXAMPLE, root, symlinks=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def fmt(run: Run, megabytes: float, baseline: float | None) -> str:
    ratio = f"{run.seconds / baseline:6.1f}x" if baseline else "      -"
    per_mb = f"{run.seconds / megabytes:7.2f}" if megabytes else "      -"
    return (
        f"{run.seconds:8.2f} {per_mb} {run.own / MB:8.0f} {run.children / MB:8.0f} {ratio}"
        f"  exit {run.code}"
    )


def measure(sizes: list[float], commands: list[str]) -> None:
    print(
        f"{'input':>16} {'command':>14} {'seconds':>8} {'s/MB':>7} {'own MB':>8} {'child MB':>8}"
        f" {'vs base':>7}"
    )
    for grows, measured in GROWS.items():
        names = [name for name in measured if name in commands]
        if not names:
            continue
        grow = grow_service if grows == "manifest" else grow_stacks
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="big-input-") as tmp:
                root = workspace(Path(tmp), "baseline")
                grow(root, int(size * MB))
                big = root / (SERVICE if grows == "manifest" else STACK)
                megabytes = big.stat().st_size / MB
                label = f"{grows} {megabytes:.1f} MB"
                if grows == "manifest":
                    rendered = Path(tmp) / "rendered.yaml"
                    kustomize = run_kustomize(root / APP / "overlays" / "sandbox", rendered)
                    parse = run_python(PARSE, [str(rendered)], root)
                    print(f"{label:>16} {'kustomize':>14} {fmt(kustomize, megabytes, None)}")
                    print(f"{label:>16} {'parse output':>14} {fmt(parse, megabytes, None)}")
                    unit = kustomize.seconds + parse.seconds
                else:
                    parse = run_python(PARSE, [str(big)], root)
                    print(f"{label:>16} {'parse stack':>14} {fmt(parse, megabytes, None)}")
                    unit = parse.seconds
                for name in names:
                    args, overlays = COMMANDS[name]
                    times = overlays if grows == "manifest" else measured[name]
                    root = workspace(Path(tmp), name)
                    grow(root, int(size * MB))
                    args = [a.replace("{out}", str(Path(tmp) / "out")) for a in args]
                    run = run_python(RUNNER, args, root)
                    print(f"{label:>16} {name:>14} {fmt(run, megabytes, times * unit)}")
                    if run.code not in (0, 1):
                        print("    " + "\n    ".join(run.output.splitlines()[:5]))


def measure_depth(depth: int, block_depth: int, commands: list[str]) -> None:
    for flow, levels in ((True, depth), (False, block_depth)):
        style = "flow" if flow else "block"
        with tempfile.TemporaryDirectory(prefix="big-input-") as tmp:
            root = workspace(Path(tmp), "deep")
            line, col = nest(root, levels, flow)
            megabytes = (root / SERVICE).stat().st_size / MB
            expected = f"{SERVICE}:{line}:{col}"
            label = f"{levels} {style}"
            for name in commands:
                args, overlays = COMMANDS[name]
                if not overlays:
                    continue
                args = [a.replace("{out}", str(Path(tmp) / "out")) for a in args]
                run = run_python(RUNNER, args, root)
                if expected in run.output:
                    placed = "at " + expected
                elif name == "render" and run.code == 0:
                    placed = "rendered (kustomize reads it; nothing parses the output)"
                else:
                    placed = "NOT at " + expected
                print(f"{label:>16} {name:>14} {fmt(run, megabytes, None)}  {placed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--block-depth", type=int, default=2_000)
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=list(COMMANDS))
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; each command in a fresh process"
    )
    measure(args.sizes, args.commands)
    if args.depth:
        measure_depth(args.depth, args.block_depth, args.commands)


if __name__ == "__main__":
    main()
