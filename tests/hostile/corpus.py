"""A corpus of broken copies of the example workspace, and the invariants every command must
keep on each: an exit code of 0, 1 or 2 (never an internal error or a signal), no traceback,
no secret in any output, nothing written, and time and memory bounded.

Each case is one way a hostile user or a broken editor can damage the example; each command
is run on a fresh copy in a subprocess under an address-space limit and a timeout. Run as a
script it prints the totals (runs, and runs that broke an invariant, by family)::

    .venv/bin/python -m tests.hostile.corpus [--family NAME] [--command NAME]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "data-platform"
SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"  # a Stripe-shaped test key: must never be printed
MEMORY_LIMIT = 3 * 1024**3  # address space of one command, bytes
TIME_LIMIT = 120.0  # seconds for one command

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
OVERLAY = "infrastructure/cloudrun_service/inventory-api/overlays/sandbox/kustomization.yaml"
BASE = "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
SCHEMA = "infrastructure/pulumi/bigquery/bronze_dmd/inventory_movement.json"
INFRA = "infrastructure/pyproject.toml"
PROJECT = "projects/inventory_api/pyproject.toml"

#: The commands run on every case (arguments after `polyinfra`, workspace last).
COMMANDS: dict[str, list[str]] = {
    "check": ["check", "--format", "json"],
    "lint": ["lint", "--format", "json"],
    "plan": ["plan", "--stack", "sandbox"],
    "render": ["render", "--env", "sandbox", "--version", "1.0.0"],
    "affected": ["affected", "--all", "--format", "json"],
    "add": ["add", "job", "corpus-job", "--project", "dmd_ingest", "--dry-run"],
    "ci": ["ci", "generate", "--dry-run"],
}


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _append(root: Path, rel: str, data: bytes) -> None:
    _write(root, rel, (root / rel).read_bytes() + data)


def _replace(root: Path, rel: str, old: bytes, new: bytes) -> None:
    data = (root / rel).read_bytes()
    assert old in data, (rel, old)
    _write(root, rel, data.replace(old, new, 1))


@dataclass(frozen=True)
class Case:
    family: str
    name: str
    damage: Callable[[Path], None]


def _cases() -> list[Case]:
    cases: list[Case] = []
    text_files = [STACK, OVERLAY, BASE, SCHEMA, INFRA, PROJECT, "workspace.toml"]
    for rel in text_files:
        short = rel.rsplit("/", 1)[-1]
        cases += [
            Case("bad-bytes", f"latin-1 {short}", lambda r, f=rel: _append(r, f, b"# caf\xe9\n")),
            Case("bad-bytes", f"NUL {short}", lambda r, f=rel: _append(r, f, b"\x00\n")),
            Case(
                "bad-bytes",
                f"UTF-16 {short}",
                lambda r, f=rel: _write(r, f, (r / f).read_text().encode("utf-16")),
            ),
            Case("truncated", f"empty {short}", lambda r, f=rel: _write(r, f, b"")),
        ]
    cases += [
        Case("shape", "stack file is a list", lambda r: _write(r, STACK, b"- a\n- b\n")),
        Case("shape", "stack config is a scalar", lambda r: _write(r, STACK, b"config: 3\n")),
        Case("shape", "overlay is a list", lambda r: _write(r, OVERLAY, b"- a\n")),
        Case("shape", "base is a scalar", lambda r: _write(r, BASE, b"just text\n")),
        Case("shape", "schema is an object", lambda r: _write(r, SCHEMA, b'{"a": 1}\n')),
        Case(
            "deep",
            "YAML nested 10,000 deep",
            lambda r: _append(r, BASE, b"x: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"),
        ),
        Case(
            "deep",
            "JSON nested 100,000 deep",
            lambda r: _write(r, SCHEMA, b"[" * 100_000 + b"]" * 100_000),
        ),
        Case(
            "aliases",
            "alias bomb in the stack file",
            lambda r: _append(
                r,
                STACK,
                b"  input:bomb:\n"
                + b"".join(
                    f"    l{i}: &l{i} [{', '.join(['*l' + str(i - 1)] * 9)}]\n".encode()
                    if i
                    else b"    l0: &l0 [x, x, x, x, x, x, x, x, x]\n"
                    for i in range(12)
                ),
            ),
        ),
        Case(
            "secrets",
            "secret in a label value",
            lambda r: _replace(r, BASE, b"component: inventory", f"component: {SECRET}".encode()),
        ),
        Case(
            "secrets",
            "secret in an env value after a tab",
            lambda r: _replace(
                r,
                BASE,
                b"value: VERSION_PLACEHOLDER",
                b"value: VERSION_PLACEHOLDER\n        - name: CONFIG_BLOB\n\t  value: "
                + SECRET.encode(),
            ),
        ),
        Case(
            "secrets",
            "secret as a service account id",
            lambda r: _replace(
                r, STACK, b"label:owner: data-engineering", f"label:owner: {SECRET}".encode()
            ),
        ),
        Case(
            "outside",
            "patch path outside the workspace",
            lambda r: _append(r, OVERLAY, b"patchesStrategicMerge:\n- /etc/passwd\n"),
        ),
        Case("outside", "patch symlinked outside the workspace", lambda r: _leak(r)),
        Case("special", "stack file is a folder", lambda r: _folder(r, STACK)),
        Case("special", "stack file is /dev/zero", lambda r: _symlink(r, STACK, "/dev/zero")),
        Case("special", "overlay is a FIFO", lambda r: _fifo(r, OVERLAY)),
    ]
    return cases


def _leak(root: Path) -> None:
    (root / OVERLAY).parent.joinpath("leak.yaml").symlink_to("/etc/passwd")
    _append(root, OVERLAY, b"patchesStrategicMerge:\n- leak.yaml\n")


def _folder(root: Path, rel: str) -> None:
    (root / rel).unlink()
    (root / rel).mkdir()


def _symlink(root: Path, rel: str, target: str) -> None:
    (root / rel).unlink()
    (root / rel).symlink_to(target)


def _fifo(root: Path, rel: str) -> None:
    (root / rel).unlink()
    os.mkfifo(root / rel)


CASES = _cases()


def snapshot(root: Path) -> dict[str, str]:
    """Every regular file's digest and every other entry's kind, by path."""
    seen: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".venv", "__pycache__")]
        for name in files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink() or not path.is_file():
                seen[rel] = "special"
            else:
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


@dataclass(frozen=True)
class Outcome:
    case: Case
    command: str
    code: int
    seconds: float
    broken: tuple[str, ...]  # the invariants the run broke


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(case: Case, command: str, tmp: Path) -> Outcome:
    """Run ``command`` on a fresh copy of the example damaged by ``case``."""
    root = tmp / "ws"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    case.damage(root)
    before = snapshot(root)
    start = time.monotonic()
    broken: list[str] = []
    try:
        done = subprocess.run(
            [sys.executable, "-m", "polyinfra", *COMMANDS[command], "-w", str(root)],
            cwd=root,
            capture_output=True,
            timeout=TIME_LIMIT,
            preexec_fn=_limit,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        code = done.returncode
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        code, output = -1, b""
        broken.append(f"ran over {TIME_LIMIT:.0f} s")
    seconds = time.monotonic() - start
    if code not in (-1, 0, 1, 2):
        broken.append(f"exit code {code}")
    if b"Traceback" in output or b"internal error" in output:
        broken.append("traceback")
    # render's standard output is the manifest the user wrote, theirs to pipe to Cloud Run;
    # everything else polyinfra says must not carry the secret
    said = output if command != "render" or code == -1 else done.stderr
    if SECRET.encode() in said:
        broken.append("secret printed")
    if b"root:x:0:0" in output:
        broken.append("outside file printed")
    if snapshot(root) != before:
        broken.append("tree changed")
    return Outcome(case, command, code, seconds, tuple(broken))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", help="only these families")
    parser.add_argument("--command", action="append", choices=sorted(COMMANDS))
    args = parser.parse_args()
    import tempfile

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="polyinfra-corpus-") as tmp:
        for case in CASES:
            if args.family and case.family not in args.family:
                continue
            for command in args.command or COMMANDS:
                outcome = run_case(case, command, Path(tmp))
                outcomes.append(outcome)
                if outcome.broken:
                    print(f"{case.family}: {case.name}: {command}: {', '.join(outcome.broken)}")
    families = sorted({o.case.family for o in outcomes})
    print(f"{'family':<12} {'runs':>5} {'broken':>7}")
    for family in families:
        runs = [o for o in outcomes if o.case.family == family]
        print(f"{family:<12} {len(runs):>5} {sum(1 for o in runs if o.broken):>7}")
    broken = sum(1 for o in outcomes if o.broken)
    print(f"{'total':<12} {len(outcomes):>5} {broken:>7}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
