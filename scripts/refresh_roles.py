"""Refresh src/polyinfra/data/gcp-predefined-roles.tsv, the predefined IAM roles polyinfra checks
role names against offline, from the public source its header names: the dataset
iann0036/iam-dataset (MIT licence), file gcp/predefined_roles.json (Google's list of predefined
roles as its IAM API returns them: name, launch stage, title).

    python scripts/refresh_roles.py                  # the dataset's main branch
    python scripts/refresh_roles.py --ref 2073fa5    # a commit of the dataset
    python scripts/refresh_roles.py --check          # report what would change, write nothing
    python scripts/refresh_roles.py --from-file predefined_roles.json --ref 2073fa5 \\
        --date 2026-08-22                            # a copy already downloaded (offline)

The file is rewritten whole: one ``name<TAB>stage<TAB>title`` line per role, sorted by name,
under the same header with the number of roles, the date the dataset took the list (its
commit's date) and the commit. With ``--check`` nothing is written: the roles added, removed
and changed are printed, and the exit code is 1 when there are any, 0 when the file is up to
date. Exit code 2: the source cannot be read or is not the list expected.

Standard library only: it runs with any Python 3.11 or later, without polyinfra installed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASET = "iann0036/iam-dataset"
SOURCE_FILE = "gcp/predefined_roles.json"
RAW_URL = "https://raw.githubusercontent.com/{dataset}/{commit}/{file}"
COMMIT_API = "https://api.github.com/repos/{dataset}/commits/{ref}"
TSV = (
    Path(__file__).resolve().parents[1] / "src" / "polyinfra" / "data" / "gcp-predefined-roles.tsv"
)
HEADER = (
    "# Predefined Google Cloud IAM roles: name, launch stage, title. {count:,} roles as listed "
    "by Google on {date},\n"
    "# taken from the public dataset {dataset} (MIT licence), file {file}, commit {commit}.\n"
    "# Data for checking role names offline; refresh it from the same source when Google adds "
    "roles.\n"
)
COMMIT = re.compile(r"[0-9a-f]{7,40}")
TIMEOUT = 60


class SourceError(Exception):
    """The source cannot be read, or is not a list of roles."""


@dataclass(frozen=True, order=True)
class Role:
    name: str
    stage: str
    title: str

    def line(self) -> str:
        return f"{self.name}\t{self.stage}\t{self.title}"


def parse_roles(data: Any, where: str) -> list[Role]:
    """The roles of ``gcp/predefined_roles.json``, sorted by name: a JSON list of objects each
    with a ``name`` (``roles/...``), a ``stage`` and a ``title``; other keys are ignored."""
    if not isinstance(data, list) or not data:
        raise SourceError(f"{where}: expected a non-empty JSON list of roles")
    roles: dict[str, Role] = {}
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise SourceError(f"{where}: entry {index} is not a JSON object")
        fields = {}
        for key in ("name", "stage", "title"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise SourceError(f"{where}: entry {index} has no {key} (a non-empty string)")
            fields[key] = " ".join(value.split())  # one line, one field: no tab, no line break
        if not fields["name"].startswith("roles/"):
            raise SourceError(f"{where}: entry {index}: {fields['name']!r} is not roles/<name>")
        if fields["name"] in roles:
            raise SourceError(f"{where}: entry {index}: {fields['name']!r} is listed twice")
        roles[fields["name"]] = Role(**fields)
    return sorted(roles.values())


def render(roles: list[Role], commit: str, date: str) -> str:
    """The whole TSV file."""
    header = HEADER.format(
        count=len(roles), date=date, dataset=DATASET, file=SOURCE_FILE, commit=commit
    )
    return header + "".join(f"{role.line()}\n" for role in roles)


def read_tsv(path: Path) -> list[Role]:
    """The roles of an existing TSV file (none when it does not exist)."""
    if not path.is_file():
        return []
    roles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, stage, title = [*line.split("\t", 2), "", ""][:3]
            roles.append(Role(name, stage, title))
    return roles


def differences(old: list[Role], new: list[Role]) -> list[str]:
    """One line per role added (``+``), removed (``-``) or changed (``~``), by name."""
    before = {role.name: role for role in old}
    after = {role.name: role for role in new}
    lines = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is None and b is not None:
            lines.append(f"+ {b.name} ({b.stage}, {b.title!r})")
        elif b is None and a is not None:
            lines.append(f"- {a.name} ({a.stage}, {a.title!r})")
        elif a is not None and b is not None and a != b:
            if a.stage != b.stage:
                lines.append(f"~ {name}: stage {a.stage} -> {b.stage}")
            if a.title != b.title:
                lines.append(f"~ {name}: title {a.title!r} -> {b.title!r}")
    return lines


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "polyinfra-refresh-roles"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body: bytes = response.read()
            return body
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SourceError(f"cannot download {url}: {exc}") from exc


def resolve(ref: str) -> tuple[str, str]:
    """The full commit ``ref`` names in the dataset, and its date (``YYYY-MM-DD``)."""
    url = COMMIT_API.format(dataset=DATASET, ref=ref)
    try:
        data = json.loads(_get(url))
        return str(data["sha"]), str(data["commit"]["committer"]["date"])[:10]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{url}: not a commit of {DATASET}") from exc


def load(args: argparse.Namespace) -> tuple[list[Role], str, str]:
    """The roles, the commit (7 characters) and the date, from the file or the network."""
    if args.from_file is not None:
        where = str(args.from_file)
        try:
            text = Path(args.from_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {where}: {exc}") from exc
        if not COMMIT.fullmatch(args.ref):
            raise SourceError(
                f"--ref {args.ref!r}: with --from-file, give the commit of {DATASET} the file "
                "was taken at (hexadecimal), for the header"
            )
        commit = args.ref
        date = args.date or datetime.datetime.now(datetime.UTC).date().isoformat()
    else:
        if args.date is not None and COMMIT.fullmatch(args.ref):
            commit, date = args.ref, args.date
        else:
            commit, date = resolve(args.ref)
            date = args.date or date
        where = RAW_URL.format(dataset=DATASET, commit=commit, file=SOURCE_FILE)
        text = _get(where).decode("utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"{where}: not JSON: {exc}") from exc
    return parse_roles(data, where), commit[:7], date


def _date(text: str) -> str:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="refresh_roles.py",
        description=f"Rewrite the predefined IAM roles list from {DATASET} {SOURCE_FILE}.",
    )
    parser.add_argument(
        "--ref",
        default="main",
        help="commit or branch of the dataset (default: main)",
    )
    parser.add_argument(
        "--from-file",
        metavar="PATH",
        help="read the dataset's predefined_roles.json from PATH instead of downloading it "
        "(--ref then names the commit it was taken at)",
    )
    parser.add_argument(
        "--date",
        type=_date,
        help="the date for the header, YYYY-MM-DD (default: the commit's date; with "
        "--from-file, today)",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        default=TSV,
        help="the TSV file (default: polyinfra's src/polyinfra/data/gcp-predefined-roles.tsv)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report the roles added, removed and changed; exit 1 when there are any",
    )
    args = parser.parse_args(argv)
    try:
        roles, commit, date = load(args)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changes = differences(read_tsv(args.output), roles)
    if args.check:
        for line in changes:
            print(line)
        if changes:
            print(f"{args.output}: {len(changes)} difference(s) with {DATASET} at {commit}")
            return 1
        print(f"{args.output}: up to date with {DATASET} at {commit} ({len(roles):,} roles)")
        return 0
    args.output.write_text(render(roles, commit, date), encoding="utf-8")
    print(
        f"wrote {args.output}: {len(roles):,} roles from {DATASET} at {commit} ({date}), "
        f"{len(changes)} difference(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
