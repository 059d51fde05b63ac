"""`polyinfra affected` against `poly diff --short` on one generated repository: 300 projects,
1,000 bricks (300 bases, 700 components importing each other), an app per project, and a
history of commits over about 5,000 files. Both commands run as subprocesses (start-up
included) on the same change; prints both times and the ratio, plus the uv.lock case that
poly diff does not cover.

    .venv/bin/python benchmarks/affected_bench.py [--projects 300] [--bricks 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NS = "bench"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def lock_package(name: str, version: str, deps: list[str], source: str) -> str:
    lines = ["[[package]]", f'name = "{name}"', f'version = "{version}"', f"source = {source}"]
    if deps:
        lines.append("dependencies = [")
        lines.extend(f'    {{ name = "{dep}" }},' for dep in deps)
        lines.append("]")
    return "\n".join(lines) + "\n"


def generate(root: Path, projects: int, bricks: int, seed: int) -> dict[str, list[str]]:
    """Write the workspace; return, per project, the components it includes."""
    rng = random.Random(seed)
    components = bricks - projects
    write(
        root,
        "workspace.toml",
        f'[tool.polylith]\nnamespace = "{NS}"\n\n[tool.polylith.structure]\ntheme = "loose"\n',
    )
    write(
        root,
        "pyproject.toml",
        '[project]\nname = "bench"\nversion = "0"\n\n'
        '[tool.uv.workspace]\nmembers = ["projects/*"]\nexclude = ["infrastructure"]\n',
    )
    write(root, "README.md", "# bench\n")
    for page in range(200):
        write(root, f"docs/page_{page:03d}.md", f"# Page {page}\n")
    # Components import up to three lower-numbered components: a deep, wide DAG.
    imports: dict[int, list[int]] = {}
    for index in range(components):
        targets = rng.sample(range(index), k=min(index, rng.randint(0, 3)))
        imports[index] = sorted(targets)
        body = "".join(f"from {NS}.comp_{t:04d} import value as v{t}\n" for t in targets)
        body += f"\n\ndef value() -> int:\n    return {index}\n"
        write(
            root,
            f"components/{NS}/comp_{index:04d}/__init__.py",
            f"from {NS}.comp_{index:04d}.core import value\n",
        )
        write(root, f"components/{NS}/comp_{index:04d}/core.py", body)
        write(
            root,
            f"test/components/{NS}/comp_{index:04d}/test_core.py",
            f"from {NS}.comp_{index:04d} import value\n\n\ndef test_value() -> None:\n"
            f"    assert value() == {index}\n",
        )
    libraries = [f"lib-{i:03d}" for i in range(60)]
    lock = ['version = 1\nrevision = 3\nrequires-python = ">=3.13"\n\n[manifest]\nmembers = [\n']
    lock.extend(f'    "svc-{p:03d}",\n' for p in range(projects))
    lock.append("]\n\n")
    for i, lib in enumerate(libraries):
        deps = [libraries[j] for j in range(i) if rng.random() < 0.03]
        source = '{ registry = "https://pypi.org/simple" }'
        lock.append(lock_package(lib, "1.0.0", deps, source) + "\n")
    uses: dict[str, list[str]] = {}
    for p in range(projects):
        name = f"svc_{p:03d}"
        direct = rng.sample(range(components), k=8)
        closure: set[int] = set()
        stack = list(direct)
        while stack:
            c = stack.pop()
            if c not in closure:
                closure.add(c)
                stack.extend(imports[c])
        base_imports = "".join(f"from {NS}.comp_{c:04d} import value as v{c}\n" for c in direct)
        write(root, f"bases/{NS}/{name}/__init__.py", f"from {NS}.{name}.core import main\n")
        write(root, f"bases/{NS}/{name}/core.py", base_imports + "\n\ndef main() -> None: ...\n")
        write(root, f"test/bases/{NS}/{name}/test_core.py", "def test_main() -> None: ...\n")
        includes = [f"bases/{NS}/{name}"] + [
            f"components/{NS}/comp_{c:04d}" for c in sorted(closure)
        ]
        uses[name] = includes
        bricks_toml = "".join(f'"../../{b}" = "{NS}/{b.rsplit("/", 1)[1]}"\n' for b in includes)
        deps = rng.sample(libraries, k=3)
        write(
            root,
            f"projects/{name}/pyproject.toml",
            f'[project]\nname = "svc-{p:03d}"\nversion = "0"\n\n[tool.polylith.bricks]\n'
            + bricks_toml,
        )
        write(root, f"projects/{name}/Dockerfile", "FROM python:3.13-slim\n")
        lock.append(
            lock_package(f"svc-{p:03d}", "0", deps, f'{{ editable = "projects/{name}" }}') + "\n"
        )
        app = f"infrastructure/cloudrun_service/svc-{p:03d}"
        write(root, f"{app}/base/kustomization.yaml", "resources: [service.yaml]\n")
        write(
            root,
            f"{app}/base/service.yaml",
            f"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: svc-{p:03d}\n",
        )
        for env in ("sandbox", "production"):
            write(root, f"{app}/overlays/{env}/kustomization.yaml", "resources: [../../base]\n")
    write(root, "uv.lock", "".join(lock))
    write(
        root,
        "infrastructure/pyproject.toml",
        '[project]\nname = "infra"\nversion = "0"\n\n[tool.polyinfra]\n',
    )
    write(root, "infrastructure/pulumi/Pulumi.yaml", "name: bench\nruntime: python\n")
    for env in ("sandbox", "production"):
        write(root, f"infrastructure/pulumi/Pulumi.{env}.yaml", "config: {}\n")
    return uses


def history(root: Path, commits: int, seed: int) -> None:
    """Commits that each touch a handful of brick files, as a team's main branch would."""
    rng = random.Random(seed + 1)
    files = sorted(str(p.relative_to(root)) for p in (root / "components").rglob("core.py"))
    for number in range(commits):
        for rel in rng.sample(files, k=5):
            with (root / rel).open("a", encoding="utf-8") as handle:
                handle.write(f"# change {number}\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"change {number}")


def timed(args: list[str], cwd: Path, repeat: int) -> tuple[float, str, int]:
    """Median wall time of ``repeat`` runs, the last run's stdout, and the largest peak RSS
    (KiB) of a run (the process and the children it waited for, as ``wait4`` reports it)."""
    times = []
    out = ""
    peak = 0
    for _ in range(repeat):
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(args, cwd=cwd, stdout=stdout, stderr=stderr, env=GIT_ENV)
            _pid, status, usage = os.wait4(process.pid, 0)
            times.append(time.perf_counter() - start)
            process.returncode = os.waitstatus_to_exitcode(status)
            stdout.seek(0)
            stderr.seek(0)
            if process.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed:\n{stderr.read().decode()}")
            out = stdout.read().decode()
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), out, peak


def in_process(root: Path, base: str, repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` times of the two halves of the command, without interpreter start-up."""
    from polyinfra.affected import find_affected
    from polyinfra.workspace import Workspace

    discover, compute = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ws = Workspace.discover(root)
        middle = time.perf_counter()
        find_affected(ws, base)
        discover.append(middle - start)
        compute.append(time.perf_counter() - middle)
    return min(discover), min(compute)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--bricks", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="affected-bench-") as temp:
        root = Path(temp) / "ws"
        start = time.perf_counter()
        generate(root, options.projects, options.bricks, options.seed)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        history(root, options.commits, options.seed)
        base = git(root, "rev-parse", "HEAD")
        # The change measured: two components in the upper half of the import graph, the
        # size of a typical pull request (650 and 420 of the default 700 components; the same
        # places in a smaller graph).
        components = options.bricks - options.projects
        changed = (650 * components // 700, 420 * components // 700)
        for rel in (f"components/{NS}/comp_{index:04d}/core.py" for index in changed):
            with (root / rel).open("a", encoding="utf-8") as handle:
                handle.write("# the change under test\n")
        git(root, "commit", "-qam", "change under test")
        files = int(git(root, "ls-files", "--", ".").count("\n")) + 1
        count = git(root, "rev-list", "--count", "HEAD")
        print(
            f"workspace: {options.projects} projects, {options.bricks} bricks, {files} files, "
            f"{count} commits (generated in {time.perf_counter() - start:.1f}s)"
        )

        if sys.dont_write_bytecode:
            print(
                "  note: PYTHONDONTWRITEBYTECODE is set: a module without a cached .pyc is "
                "compiled on every run of either command"
            )
        ours, out, rss = timed(
            [str(BIN / "polyinfra"), "affected", "--base", base, "--format", "json"],
            root,
            options.repeat,
        )
        answer = json.loads(out)
        theirs, poly_out, poly_rss = timed(
            [str(BIN / "poly"), "diff", "--since", base, "--short"], root, options.repeat
        )
        poly_projects = sorted(p for p in poly_out.strip().split(",") if p)
        our_projects = [p["name"] for p in answer["projects"]]
        print(
            f"brick change: polyinfra affected {ours * 1000:.0f} ms "
            f"({len(our_projects)} projects, {len(answer['bricks'])} bricks incl. transitive "
            f"importers, {len(answer['apps'])} apps); poly diff --short {theirs * 1000:.0f} ms "
            f"({len(poly_projects)} projects); ratio {ours / theirs:.2f}x; peak RSS "
            f"polyinfra {rss / 1024:.0f} MiB, poly {poly_rss / 1024:.0f} MiB"
        )
        discover, compute = in_process(root, base, options.repeat)
        print(
            f"  polyinfra in-process: Workspace.discover {discover * 1000:.0f} ms, "
            f"find_affected {compute * 1000:.0f} ms (git, import graph, classification)"
        )
        if sorted(our_projects) != poly_projects:
            extra = sorted(set(our_projects) - set(poly_projects))
            missing = sorted(set(poly_projects) - set(our_projects))
            print(f"  answers differ: only ours {extra[:5]}..., only poly {missing[:5]}")
        else:
            print("  same projects as poly diff (every project lists its brick closure)")

        # A lock-file change: narrowed to the projects that install the package.
        base = git(root, "rev-parse", "HEAD")
        lock = (root / "uv.lock").read_text()
        lock = lock.replace(
            'name = "lib-005"\nversion = "1.0.0"', 'name = "lib-005"\nversion = "1.0.1"'
        )
        (root / "uv.lock").write_text(lock)
        git(root, "commit", "-qam", "bump lib-005")
        lock_time, out, lock_rss = timed(
            [str(BIN / "polyinfra"), "affected", "--base", base, "--format", "json"],
            root,
            options.repeat,
        )
        poly_time, poly_out, _ = timed(
            [str(BIN / "poly"), "diff", "--since", base, "--short"], root, options.repeat
        )
        answer = json.loads(out)
        print(
            f"uv.lock change: polyinfra affected {lock_time * 1000:.0f} ms "
            f"({len(answer['projects'])} projects install lib-005); poly diff --short "
            f"{poly_time * 1000:.0f} ms ({len([p for p in poly_out.strip().split(',') if p])} "
            f"projects: it does not read the lock); ratio {lock_time / poly_time:.2f}x; peak "
            f"RSS polyinfra {lock_rss / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
