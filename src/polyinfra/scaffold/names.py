"""Validation of the names and values a user passes to `polyinfra add`."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import AppKind

#: Longest Cloud Run name per kind: service names are limited to 49 characters (a revision
#: name adds a suffix), job names to 63.
MAX_NAME_LENGTH: dict[AppKind, int] = {"service": 49, "function": 49, "job": 63}

_CLOUD_RUN_NAME = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
_SERVICE_ACCOUNT_ID = re.compile(r"^[a-z](?:[a-z0-9-]{4,28})[a-z0-9]$")
_PYTHON_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_app_name(name: str, kind: AppKind, where: Position | None = None) -> None:
    """Cloud Run names: lowercase letters, digits and hyphens, starting with a letter, not
    ending with a hyphen, at most 49 (service, function) or 63 (job) characters."""
    limit = MAX_NAME_LENGTH[kind]
    if not _CLOUD_RUN_NAME.match(name):
        raise UserError(
            f"{name!r} is not a valid Cloud Run {kind} name: use lowercase letters, digits and "
            "hyphens, start with a letter and do not end with a hyphen",
            position=where,
            hint=f"for example {suggest_name(name)!r}",
        )
    if len(name) > limit:
        raise UserError(
            f"{name!r} is {len(name)} characters long; Cloud Run {kind} names have at most {limit}",
            position=where,
            hint="choose a shorter name",
        )


def suggest_name(name: str) -> str:
    """A valid-looking Cloud Run name close to ``name``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    cleaned = re.sub(r"^[^a-z]+", "", cleaned)
    return cleaned or "my-app"


def kebab(name: str) -> str:
    """A project name as a config key and resource id: ``dmd_ingest`` -> ``dmd-ingest``."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def service_account_id(key: str) -> str:
    """A service account id (6-30 characters) for the project key ``key``."""
    candidate = key if len(key) >= 6 else f"{key}-runtime"
    candidate = candidate[:30].rstrip("-")
    if not _SERVICE_ACCOUNT_ID.match(candidate):
        raise UserError(
            f"cannot make a service account id from project {key!r}: ids are 6-30 lowercase "
            "letters, digits and hyphens, starting with a letter",
            hint="pass --project with a project whose name starts with a letter",
        )
    return candidate


def check_schedule(schedule: str, where: Position | None = None) -> None:
    """A unix-cron expression of five fields, as Cloud Scheduler expects."""
    from croniter import croniter

    fields = schedule.split()
    if len(fields) != 5 or not croniter.is_valid(schedule):
        raise UserError(
            f"--schedule {schedule!r} is not a valid cron expression: Cloud Scheduler takes "
            "five fields (minute hour day-of-month month day-of-week)",
            position=where,
            hint='for example --schedule "0 4 * * *" (every day at 04:00)',
        )


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(time_zone: str, where: Position | None = None) -> None:
    """An IANA time zone name such as ``Asia/Kuala_Lumpur``."""
    if time_zone not in _time_zones():
        raise UserError(
            f"--time-zone {time_zone!r} is not a known IANA time zone"
            f"{did_you_mean(time_zone, _time_zones())}",
            position=where,
            hint="use a name from the tz database, e.g. Asia/Kuala_Lumpur or Etc/UTC",
        )


def check_function_target(target: str, where: Position | None = None) -> None:
    if not _PYTHON_IDENTIFIER.match(target):
        raise UserError(
            f"--target {target!r} is not a Python function name",
            position=where,
            hint="pass the name of the function the Functions Framework should serve",
        )
