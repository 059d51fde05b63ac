"""Cloud Scheduler schedules: unix-cron expressions and time zones."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from polyinfra.suggest import closest
from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)


def cron(value: Any) -> Any:
    """A unix-cron expression of five fields, as Cloud Scheduler takes it."""
    from croniter import croniter

    text = _text(value, "a schedule")
    if len(text.split()) != 5 or not text.isprintable() or not croniter.is_valid(text):
        raise InvalidValue(
            f"{shown(text)} is not a valid cron expression: Cloud Scheduler takes five fields "
            "(minute hour day-of-month month day-of-week)",
            "e.g. '0 4 * * *' (every day at 04:00)",
        )
    return value


@functools.cache
def time_zones() -> frozenset[str]:
    """IANA time zone names (from tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def time_zone(value: Any) -> Any:
    """An IANA time zone name such as ``Asia/Kuala_Lumpur`` (pulumi-gcp ``cloudscheduler.Job``
    ``time_zone``: "a time zone name from the tz database")."""
    text = _text(value, "a time zone")
    if text not in time_zones():
        close = closest(text, sorted(time_zones()))
        raise InvalidValue(
            f"{shown(text)} is not a known IANA time zone",
            f"did you mean {close!r}?"
            if close
            else "use a name from the tz database, e.g. Asia/Kuala_Lumpur or Etc/UTC",
        )
    return value
