"""How ``polyinfra status`` looks: an aligned table with a few indented lines under each app
(readable at 80 columns), or JSON for scripts. Secrets never appear."""

from __future__ import annotations

import json
import re
from typing import Any

from polyinfra.deploy.display import change_lines
from polyinfra.deploy.status import AppStatus, StatusReport
from polyinfra.redact import Redactor

COLUMNS = ("APP", "ENV", "KIND", "VERSION", "READY", "TRAFFIC", "DRIFT")

_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(?:Z|\+00:00)")


def status_text(report: StatusReport, *, diff: bool = False) -> str:
    """The table: one row per app and environment, then under it where it answers and what
    it runs; with ``diff``, the field-level drift as ``deploy --dry-run`` shows it."""
    redact = Redactor(report.secrets)
    rows = [(row, _cells(row)) for row in report.rows]
    # a row with nothing deployed says so in one cell from VERSION on: the columns before it
    # are as wide as every row's, the rest as the full rows'
    table = [COLUMNS, *(cells for _, cells in rows)]
    widths = [
        max(len(cells[i]) for cells in table if len(cells) == len(COLUMNS) or i < len(cells) - 1)
        for i in range(len(COLUMNS))
    ]
    lines = [_join(COLUMNS, widths)]
    for row, cells in rows:
        lines.append(_join(cells, widths))
        lines.extend(f"  {line}" for line in _details(row, redact))
        if diff and row.drift == "yes":
            lines.extend(change_lines(row.changes, redact))
    if not report.rows:
        lines.append("(no apps)")
    return "\n".join(lines)


def _join(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)).rstrip()


def _cells(row: AppStatus) -> tuple[str, ...]:
    head = (row.app, row.env, row.kind)
    if row.state != "deployed":
        return (*head, row.state)
    return (
        *head,
        ",".join(row.versions) or "-",
        row.ready or "-",
        _traffic(row),
        row.drift or "-",
    )


def _traffic(row: AppStatus) -> str:
    shares = [share.percent for share in row.traffic if share.percent > 0]
    return "/".join(f"{percent}%" for percent in shares) or "-"


def _details(row: AppStatus, redact: Redactor) -> list[str]:
    """What a row says beyond its cells, one line each."""
    where = f"{row.kind} {row.name} in project {row.project}, region {row.region}"
    if row.state == "error":
        return [f"{where}: {redact(row.error)}"]
    if row.state == "not in tree":
        return [where]
    if row.state != "deployed":
        return []
    lines = []
    if row.kind == "job":
        if row.created_at:
            lines.append(f"created {_when(row.created_at)}")
    else:
        # the deploy time is the newest revision's: said with the one that is not ready yet
        deployed = f", deployed {_when(row.deployed_at)}" if row.deployed_at else ""
        newest = row.latest_created_revision
        if row.revision:
            lines.append(f"revision {row.revision}" + ("" if newest != row.revision else deployed))
        if newest and newest != row.revision:
            lines.append(f"newest revision {newest}{deployed}, is not ready")
        if row.url:
            lines.append(row.url)
        # the split, when it is more than the latest revision taking everything
        pinned = any(share.revision != row.revision for share in row.traffic)
        if len(row.traffic) > 1 or pinned or any(share.tag for share in row.traffic):
            for share in row.traffic:
                tag = f"  tag {share.tag}" if share.tag else ""
                version = share.version if share.version is not None else "?"
                lines.append(f"{share.percent:>3}%  {share.revision}  {version}{tag}")
    if row.ready != "True":
        message = redact(row.ready_message) or "no message"
        reason = f" (reason: {row.ready_reason})" if row.ready_reason else ""
        lines.append(f"Ready={row.ready}: {message}{reason}")
    if row.drift == "unknown":
        lines.append(f"drift unknown: {redact(row.drift_reason)}")
    return lines


def _when(timestamp: str) -> str:
    """``2026-01-21T10:12:03.123456Z`` as ``2026-01-21 10:12:03 UTC`` (else as given)."""
    match = _TIMESTAMP.fullmatch(timestamp)
    return f"{match[1]} {match[2]} UTC" if match else timestamp


def status_json(report: StatusReport) -> str:
    """A list with one object per row, every key always present (see :func:`row_json`)."""
    redact = Redactor(report.secrets)
    return json.dumps([row_json(row, redact) for row in report.rows], indent=2)


def row_json(row: AppStatus, redact: Redactor) -> dict[str, Any]:
    """One row for scripts. Strings that do not apply are null, lists empty; ``ready`` is
    the Ready condition's status (``True``, ``False``, ``Unknown``); ``changes`` are always
    given for a drifted app, each value shown as ``deploy --dry-run`` shows it."""

    def text(value: str) -> str | None:
        return value or None

    return {
        "app": row.app,
        "env": row.env,
        "kind": row.kind,
        "name": row.name,
        "project": row.project,
        "region": row.region,
        "state": row.state,
        "version": row.version,
        "versions": list(row.versions),
        "revision": text(row.revision),
        "latest_created_revision": text(row.latest_created_revision),
        "ready": text(row.ready),
        "ready_reason": text(row.ready_reason),
        "ready_message": text(redact(row.ready_message)),
        "traffic": [
            {
                "revision": share.revision,
                "percent": share.percent,
                "version": share.version,
                "tag": text(share.tag),
                "latest": share.latest,
                "url": text(share.url),
            }
            for share in row.traffic
        ],
        "url": text(row.url),
        "deployed_at": text(row.deployed_at),
        "created_at": text(row.created_at),
        "drift": row.drift,
        "drift_reason": text(redact(row.drift_reason)),
        "changes": [
            {"path": change.path, "change": change.kind, "text": change.render(redact)}
            for change in row.changes
        ],
        "error": text(redact(row.error)),
    }
