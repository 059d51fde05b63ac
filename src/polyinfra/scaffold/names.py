"""Validation of the names and values a user passes to `polyinfra add`: the shared checks of
:mod:`polyinfra.values`, worded for the command line."""

from __future__ import annotations

import re

from polyinfra import values
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.values import MAX_NAME_LENGTH, suggest_name
from polyinfra.workspace import AppKind

__all__ = [
    "MAX_NAME_LENGTH",
    "check_app_name",
    "check_function_target",
    "check_schedule",
    "check_time_zone",
    "kebab",
    "service_account_id",
    "suggest_name",
]

_PYTHON_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def check_app_name(name: str, kind: AppKind, where: Position | None = None) -> None:
    """Cloud Run names: lowercase letters, digits and hyphens, starting with a letter, not
    ending with a hyphen, at most 49 (service, function) or 63 (job) characters."""
    try:
        values.cloud_run_name(name, kind)
    except values.InvalidValue as exc:
        raise UserError(exc.message, position=where, hint=exc.hint) from None


def kebab(name: str) -> str:
    """A project name as a config key and resource id: ``dmd_ingest`` -> ``dmd-ingest``."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def service_account_id(key: str) -> str:
    """A service account id (6-30 characters) for the project key ``key``."""
    candidate = key if len(key) >= 6 else f"{key}-runtime"
    candidate = candidate[:30].rstrip("-")
    try:
        values.service_account_id(candidate)
    except values.InvalidValue:
        raise UserError(
            f"cannot make a service account id from project {key!r}: ids are 6-30 lowercase "
            "letters, digits and hyphens, starting with a letter",
            hint="pass --project with a project whose name starts with a letter",
        ) from None
    return candidate


def check_schedule(schedule: str, where: Position | None = None) -> None:
    """A unix-cron expression of five fields, as Cloud Scheduler expects."""
    try:
        values.cron(schedule)
    except values.InvalidValue as exc:
        raise UserError(
            f"--schedule {exc.message}",
            position=where,
            hint='for example --schedule "0 4 * * *" (every day at 04:00)',
        ) from None


def check_time_zone(time_zone: str, where: Position | None = None) -> None:
    """An IANA time zone name such as ``Asia/Kuala_Lumpur``."""
    try:
        values.time_zone(time_zone)
    except values.InvalidValue as exc:
        raise UserError(
            f"--time-zone {exc.message}{did_you_mean(time_zone, values.time_zones())}",
            position=where,
            hint="use a name from the tz database, e.g. Asia/Kuala_Lumpur or Etc/UTC",
        ) from None


def check_function_target(target: str, where: Position | None = None) -> None:
    if not _PYTHON_IDENTIFIER.fullmatch(target):
        raise UserError(
            f"--target {target!r} is not a Python function name",
            position=where,
            hint="pass the name of the function the Functions Framework should serve",
        )
