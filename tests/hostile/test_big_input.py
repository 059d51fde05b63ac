"""Large and deeply nested inputs: every command stays linear in time and memory, and a limit is
reported as what it is, at the file, line and column of the value that crosses it.

Each command runs in a child process bounded in address space and time, which reports the
peak memory of its own process (kustomize's is not ours); a regression fails the test instead
of eating the machine.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.conftest import tree_digest

APP = "infrastructure/cloudrun_service/inventory-api"
SERVICE = f"{APP}/base/service.yaml"
MB = 1024 * 1024
#: The base grows to this size: kustomize renders it in about two seconds.
BIG = 2 * MB
#: Address space of a command's process (and, each on its own, of the kustomize it starts).
ADDRESS_SPACE = 2048 * MB
#: A command on the big input takes a few seconds; the old loader took minutes per 50 MB.
TIME_LIMIT = 20.0
#: Memory a command may hold per MB of the big file, per overlay of it that it renders (the
#: rendered text, its data and the rules' working set), over what it holds on the example.
MEMORY_PER_MB = 20 * MB

RUNNER = """
import json, os, resource, sys
from polyinfra.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open(os.environ["BIG_INPUT_REPORT"], "w") as report:
    json.dump({"code": code, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, report)
"""

DEPLOY = ["deploy", "--all", "--env", "sandbox", "--version", "1.0.0", "--emulator", "--dry-run"]
#: command -> (arguments, overlays of the app it renders)
COMMANDS = {
    "lint": (["lint", APP], 2),
    "check": (["check"], 2),
    "render": (["render", "--env", "sandbox", "--version", "1.0.0"], 1),
    "deploy": (DEPLOY, 1),
}


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    seconds: float
    rss: int  # peak of the command's own process, in bytes


def run_bounded(args: list[str], cwd: Path) -> Outcome:
    """``polyinfra ARGS`` in a child process limited to :data:`ADDRESS_SPACE`, killed with all
    it started after :data:`TIME_LIMIT` seconds (which fails the test)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
        os.setsid()

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            start = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-c", RUNNER, *args],
                cwd=cwd,
                env={**os.environ, "BIG_INPUT_REPORT": str(report)},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                preexec_fn=limit,
            )
            try:
                process.wait(timeout=TIME_LIMIT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                pytest.fail(f"polyinfra {' '.join(args)} ran for more than {TIME_LIMIT} s")
            seconds = time.monotonic() - start
        printed = out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace")
        assert report.exists(), printed  # no report: the process died (out of memory?)
        facts = json.loads(report.read_text())
    return Outcome(int(facts["code"] or 0), *printed, seconds, facts["rss"] * 1024)


def assert_no_traceback(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.out + outcome.err
    assert "internal error" not in outcome.out + outcome.err


def grow(root: Path, size: int) -> tuple[float, int]:
    """The base's ``env:`` list grown until the file holds ``size`` bytes: its size in MB and
    the number of entries added."""
    path = root / SERVICE
    text = path.read_text(encoding="utf-8")
    anchor = "          value: VERSION_PLACEHOLDER\n"
    entry = '        - name: SETTING_{0:07d}\n          value: "value {0} of the service"\n'
    count = (size - len(text)) // len(entry.format(0))
    extra = "".join(entry.format(i) for i in range(count))
    path.write_text(text.replace(anchor, anchor + extra, 1), encoding="utf-8")
    return path.stat().st_size / MB, count


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_large_manifest_takes_time_and_memory_in_proportion(root: Path, command: str) -> None:
    args, overlays = COMMANDS[command]
    small = run_bounded(args, root)
    assert small.code == 0, small
    megabytes, entries = grow(root, BIG)
    before = tree_digest(root)

    big = run_bounded(args, root)

    assert big.code == 0, big
    assert_no_traceback(big)
    assert big.rss - small.rss < MEMORY_PER_MB * megabytes * overlays, (big.rss, small.rss)
    assert tree_digest(root) == before
    if command == "lint":
        assert "No problems in 0 file(s) and 2 rendered overlay(s)." in big.out + big.err
    if command == "render":
        assert big.out.count("- name: SETTING_") == entries


DEEP = "YAML nests more than 200 levels deep"
DEEP_HINT = "flatten the structure; an alias may not refer to a node that contains it"


def nest(root: Path, depth: int, flow: bool) -> str:
    """A value nested ``depth`` levels deep under the base's container (5 levels deep, so the
    value of ``deep`` is at level 6); returns where the first value deeper than 200 starts."""
    path = root / SERVICE
    text = path.read_text(encoding="utf-8")
    anchor = "      - name: inventory-api\n"
    before = text[: text.index(anchor) + len(anchor)]
    line = before.count("\n") + 1
    if flow:
        nested = "        deep: " + "[" * depth + "]" * depth + "\n"
        where = f"{line}:{len('        deep: ') + (201 - 6) + 1}"
    else:
        levels = "".join(" " * (10 + i) + "a:\n" for i in range(depth))
        nested = "        deep:\n" + levels + " " * (10 + depth) + "end\n"
        where = f"{line + 1 + (201 - 6)}:{10 + (201 - 6) + 1}"
    path.write_text(before + nested + text[len(before) :], encoding="utf-8")
    return f"{SERVICE}:{where}"


@pytest.mark.parametrize(
    ("depth", "flow"),
    [(10_000, True), (2_000, False), (300, True)],
    ids=["flow-10000", "block-2000", "flow-300"],
)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_deep_nesting_is_a_depth_error_at_the_first_value_too_deep(
    root: Path, command: str, depth: int, flow: bool
) -> None:
    where = nest(root, depth, flow)
    args, _ = COMMANDS[command]

    outcome = run_bounded(args, root)

    assert_no_traceback(outcome)
    if command == "render" and outcome.code == 0:  # kustomize read it: render shows its output
        assert "deep:" in outcome.out
        return
    if command in ("lint", "check"):  # a finding, at the file
        assert outcome.code == (2 if command == "lint" else 1), outcome
        assert outcome.out.splitlines()[0] == (
            f"{where}: error: {DEEP} [workspace/overlay-renders]"
        )
    else:
        assert outcome.code == 2, outcome
        lines = outcome.err.splitlines()
        at = next(i for i, line in enumerate(lines) if DEEP in line)
        assert lines[at] == f"error: {root.resolve() / where}: {DEEP}"
        assert lines[at + 1] == f"  hint: {DEEP_HINT}"
    assert "<rendered" not in outcome.out + outcome.err
    if flow:  # the whole text is 20 KB: the error comes at once
        assert outcome.seconds < 5
