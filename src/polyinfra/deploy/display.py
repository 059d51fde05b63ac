"""How a deploy looks on the terminal: live progress (Rich) or plain lines, and the results."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from polyinfra.cloudrun.vocabulary import pod_spec
from polyinfra.deploy.diff import Change
from polyinfra.deploy.errors import JsonObject
from polyinfra.deploy.rollout import AppResult, DeployReport, DeployTarget
from polyinfra.deploy.traffic import describe, split_table, wrapped
from polyinfra.redact import Redactor

_MARKS = {
    "ready": "✓",
    "dry-run": "✓",
    "failed": "✗",
    "timeout": "✗",
    "cancelled": "!",
    "not started": "-",
}


def _label(target: DeployTarget) -> str:
    return f"{target.app} ({target.env})"


class PlainProgress:
    """One line per change of state, for logs and CI (no terminal control codes)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._last: dict[str, str] = {}

    def _print(self, text: str) -> None:
        with self._lock:
            self._console.print(text, markup=False, highlight=False)

    def started(self, target: DeployTarget) -> None:
        self._print(
            f"{_label(target)}: deploying {target.kind.lower()} {target.ref.name} "
            f"to project {target.ref.namespace}, region {target.region}"
        )

    def progress(self, target: DeployTarget, message: str) -> None:
        key = f"{target.app}/{target.ref.name}"
        with self._lock:
            if self._last.get(key) == message:
                return
            self._last[key] = message
        self._print(f"{_label(target)}: {message}")

    def finished(self, result: AppResult) -> None:
        self._print(f"{_label(result.target)}: {_summary(result)}")

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass


class LiveProgress:
    """A live table of apps and where each stands, redrawn while the deploy runs."""

    def __init__(self, console: Console) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[str, str]] = {}
        self._live = Live(console=console, refresh_per_second=8, transient=True)
        self._started = False

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 2))
        for label, (state, message) in self._rows.items():
            mark: Spinner | Text = (
                Spinner("dots") if state == "running" else Text(_MARKS.get(state, state))
            )
            table.add_row(mark, Text(label), Text(message))
        return Group(table)

    def _set(self, target: DeployTarget, state: str, message: str) -> None:
        with self._lock:
            self._rows[_label(target)] = (state, message)
            if not self._started:
                # Started on the first event, so render and validation output stays plain.
                self._live.start()
                self._started = True
            self._live.update(self._render())

    def started(self, target: DeployTarget) -> None:
        self._set(target, "running", "starting")

    def progress(self, target: DeployTarget, message: str) -> None:
        self._set(target, "running", message)

    def finished(self, result: AppResult) -> None:
        self._set(result.target, result.outcome, _summary(result))

    def __enter__(self) -> LiveProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._started:
            self._live.stop()


@contextmanager
def progress_for(console: Console) -> Iterator[PlainProgress | LiveProgress]:
    """Live display on a terminal, plain lines otherwise."""
    display: PlainProgress | LiveProgress = (
        LiveProgress(console) if console.is_terminal else PlainProgress(console)
    )
    with display:
        yield display


def _summary(result: AppResult) -> str:
    if result.outcome == "ready":
        what = result.revision or result.target.ref.name
        extra = f", execution {result.execution} succeeded" if result.execution else ""
        return f"ready ({result.action}; {what}{extra}) in {result.seconds:g}s"
    if result.outcome == "dry-run":
        return f"dry run: {result.action}"
    if result.message:
        return f"{result.outcome}: {result.message}"
    return result.outcome


RESULT_COLUMNS = ("app", "kind", "revision / execution", "result", "seconds")


def _result(r: AppResult) -> str:
    if r.outcome == "ready":
        return r.action or "ready"
    if r.outcome == "cancelled":
        if r.applied:
            return "applied, not confirmed"
        return "unknown" if r.unconfirmed else "not applied"
    return r.outcome


def result_rows(report: DeployReport) -> list[tuple[str, ...]]:
    """One row per app: app, kind, the revision (or the job, or its execution), result,
    seconds. The environment is the same for every row: it goes in the title."""
    rows: list[tuple[str, ...]] = []
    for r in report.results:
        target = r.target
        what = r.execution or r.revision or target.ref.name
        rows.append((target.app, target.kind.lower(), what, _result(r), f"{r.seconds:.1f}"))
    return rows


def results_title(report: DeployReport) -> str:
    envs = sorted({r.target.env for r in report.results})
    return f"Deploy results ({', '.join(envs)})" if envs else "Deploy results"


def results_table(report: DeployReport) -> Table:
    """The results as a Rich table, for terminals."""
    table = Table(title=results_title(report), title_justify="left")
    for column in RESULT_COLUMNS:
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for row in result_rows(report):
        table.add_row(*row)
    return table


def results_text(report: DeployReport) -> str:
    """The results as aligned plain text, for logs and CI (never truncated)."""
    rows: list[tuple[str, ...]] = [RESULT_COLUMNS, *result_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(RESULT_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def url_lines(report: DeployReport) -> list[str]:
    """Where each deployed service answers."""
    return [
        f"{r.target.app} is at {r.url}" for r in report.results if r.outcome == "ready" and r.url
    ]


def traffic_lines(report: DeployReport) -> list[str]:
    """For each service deployed with traffic options: its split before and after, what the
    output must say about it, and where each tag answers."""
    lines = []
    for r in report.results:
        traffic = r.traffic
        if r.outcome != "ready" or traffic is None or not traffic.shown:
            continue
        lines.append(f"{r.target.app} traffic ({r.target.env}):")
        lines.extend(split_table(traffic.before, traffic.after, traffic.revision))
        if traffic.note:
            lines.extend(wrapped(f"{r.target.app}: {traffic.note}"))
        lines.extend(f"{r.target.app} tag {tag} is at {url}" for tag, url in traffic.tag_urls())
    return lines


def traffic_warnings(report: DeployReport) -> list[str]:
    """A pinned split that a deploy without traffic options replaced with the manifest's
    traffic: said, never silent."""
    lines = []
    for r in report.results:
        traffic = r.traffic
        if traffic is None or not traffic.replaced or r.action == "unchanged":
            continue
        lines.extend(
            wrapped(
                f"warning: {r.target.app} ({r.target.env}): its traffic was pinned "
                f"({describe(traffic.replaced)}); this deploy wrote the manifest's traffic "
                f"instead ({describe(traffic.written)}). To keep a split, deploy with "
                "--traffic N or --no-traffic"
            )
        )
    return lines


def failure_lines(report: DeployReport) -> list[str]:
    """Why each app failed, with the overlay file to look at."""
    lines = []
    redact = Redactor(report.secrets)
    for r in report.results:
        if r.outcome in ("failed", "timeout"):
            where = f", {r.target.source}" if r.target.source else ""
            lines.append(f"{r.target.app} (env {r.target.env}{where}): {redact(r.message)}")
    return lines


def interrupted_lines(report: DeployReport) -> list[str]:
    """What was and was not applied when the deploy was interrupted."""
    applied = [r.target.app for r in report.results if r.applied]
    confirmed = [r.target.app for r in report.results if r.outcome == "ready"]
    unconfirmed = [a for a in applied if a not in confirmed]
    unknown = [r for r in report.results if not r.applied and r.unconfirmed]
    not_applied = [r.target.app for r in report.results if not r.applied and not r.unconfirmed]
    lines = ["Interrupted."]
    lines.append(f"  applied and ready: {', '.join(confirmed) or 'none'}")
    lines.append(f"  applied, readiness not confirmed: {', '.join(unconfirmed) or 'none'}")
    if unknown:
        lines.append(
            "  sent, not known whether applied (its answer did not come): "
            + ", ".join(r.target.app for r in unknown)
        )
    lines.append(f"  not applied: {', '.join(not_applied) or 'none'}")
    return lines


def dry_run_lines(report: DeployReport) -> list[str]:
    """Per app: create, replace or no change, and the field-level differences."""
    lines = []
    redact = Redactor(report.secrets)
    for r in report.results:
        head = f"{r.target.app} ({r.target.env}) {r.target.kind.lower()} {r.target.ref.name}"
        if r.outcome != "dry-run":
            lines.append(f"{head}: {r.outcome}: {redact(r.message)}")
            continue
        # a create shows what it would run; a replace shows its differences below
        images = ", ".join(_images(r.target.manifest)) if r.action == "create" else ""
        lines.append(f"{head}: {r.action}" + (f" (image {images})" if images else ""))
        if r.action == "replace":
            lines.extend(change_lines(r.changes, redact))
    return lines


def change_lines(changes: Iterable[Change], redact: Redactor, indent: str = "    ") -> list[str]:
    """Field-level differences, one indented line each (``~ path: live -> desired``), as
    ``deploy --dry-run`` and ``status --diff`` show them; secrets redacted."""
    return [f"{indent}{change.render(redact)}" for change in changes]


def _images(manifest: JsonObject) -> list[str]:
    """The images of a manifest's containers, in order (a job's are one template deeper)."""
    containers = pod_spec(manifest).get("containers")
    return [str(c["image"]) for c in containers or () if isinstance(c, dict) and c.get("image")]


def print_report(report: DeployReport, out: Console, err: Console, *, dry_run: bool) -> None:
    """What a deploy prints when it is over: the dry-run differences, or the results (a table
    on a terminal, aligned text elsewhere), the service URLs and the traffic splits asked for
    on ``out``; a pinned split replaced, failures and what an interruption left behind on
    ``err``."""
    if dry_run:
        for line in dry_run_lines(report):
            out.print(line, markup=False, highlight=False)
        out.print("dry run: nothing was written", markup=False, highlight=False)
    else:
        if out.is_terminal:
            out.print(results_table(report))
        else:
            out.print(results_text(report), markup=False, highlight=False)
        for line in url_lines(report):
            out.print(line, markup=False, highlight=False)
        for line in traffic_lines(report):
            out.print(line, markup=False, highlight=False)
        for line in traffic_warnings(report):
            err.print(line, markup=False, highlight=False)
    for line in failure_lines(report):
        err.print(f"error: {line}", markup=False, highlight=False)
    if report.interrupted:
        for line in interrupted_lines(report):
            err.print(line, markup=False, highlight=False)
