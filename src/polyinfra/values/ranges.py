"""Enumerations, numbers in a range, text lengths, durations and dates."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any, Literal

from polyinfra.suggest import closest
from polyinfra.values.base import (
    Check,
    InvalidValue,
    _text,
    shown,
)


def one_of(allowed: Iterable[str], what: str, *, case_sensitive: bool = True) -> Check:
    """A check that the value is one of ``allowed`` (``what`` names the kind in messages)."""
    choices = tuple(allowed)
    folded = {choice.upper() for choice in choices}

    def check(value: Any) -> Any:
        text = _text(value, what)
        if text in choices or (not case_sensitive and text.upper() in folded):
            return value
        close = closest(text, choices)
        raise InvalidValue(
            f"{shown(text)} is not {what}: use one of {', '.join(choices)}",
            f"did you mean {close!r}?" if close else None,
        )

    return check


#: The largest value of a 32-bit signed integer: the API type of most counts and days.
INT32_MAX = 2**31 - 1


def integer(
    minimum: int | None = None,
    maximum: int | None = None,
    what: str = "",
    *,
    also: tuple[int, ...] = (),
) -> Check:
    """A check that an integer lies in ``[minimum, maximum]`` (either bound may be open) or is
    one of ``also`` (a value with a meaning of its own, such as 0 for "the default")."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"expected an integer, got {type(value).__name__}")
        if value in also:
            return value
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            extra = "".join(f" (or {number})" for number in also)
            raise InvalidValue(
                f"{_cut(value)} is out of range: {_range(minimum, maximum, what)}{extra}"
            )
        return value

    return check


def number(greater_than: float, what: str = "") -> Check:
    """A check that a number is greater than ``greater_than``."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"expected a number, got {type(value).__name__}")
        if not value > greater_than:
            noun = f"{what} " if what else ""
            raise InvalidValue(
                f"{_number(value)} is out of range: {noun}must be more than {_number(greater_than)}"
            )
        return value

    return check


def _cut(number: int) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"


def _number(value: float) -> str:
    """``2147483647`` -> ``2,147,483,647``; ``0.5`` -> ``0.5``."""
    if isinstance(value, int):
        return _cut(value) if abs(value) > 10**15 else f"{value:,}"
    return f"{int(value):,}" if value.is_integer() else f"{value:g}"


def _range(minimum: float | None, maximum: float | None, what: str, unit: str = "") -> str:
    noun = f"{what} " if what else ""
    if minimum is not None and maximum is not None:
        return f"{noun}must be from {_number(minimum)}{unit} to {_number(maximum)}{unit}"
    if minimum is not None:
        return f"{noun}must be at least {_number(minimum)}{unit}"
    return f"{noun}must be at most {_number(maximum or 0)}{unit}"


def text_length(
    maximum: int, what: str, *, unit: Literal["characters", "bytes"] = "characters"
) -> Check:
    """A check that a text has at most ``maximum`` characters (or UTF-8 bytes)."""

    def check(value: Any) -> Any:
        text = _text(value, what)
        size = len(text.encode("utf-8")) if unit == "bytes" else len(text)
        if size > maximum:
            raise InvalidValue(f"{what} has {size} {unit}; at most {maximum} are allowed")
        return value

    return check


def each(check: Check) -> Check:
    """``check`` applied to every item of a list (the error names the item)."""

    def check_all(value: Any) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):
                try:
                    check(item)
                except InvalidValue as exc:
                    raise InvalidValue(
                        exc.message, exc.hint, at=(index, *exc.at), at_key=exc.at_key
                    ) from None
        return value

    return check_all


#: A google.protobuf.Duration as JSON writes it: seconds with up to nine decimals, then ``s``
#: (https://protobuf.dev/reference/protobuf/google.protobuf/#duration); what every pulumi-gcp
#: duration argument passes on ("A duration in seconds with up to nine fractional digits,
#: terminated by 's'").
_DURATION = re.compile(r"(-?)(\d+)(?:\.(\d{1,9}))?s", re.ASCII)


#: The protobuf Duration range: +-315,576,000,000 s (10,000 years).
MAX_DURATION = 315_576_000_000


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


_WITH_UNIT = re.compile(r"(\d+)\s*([smhdw])", re.ASCII)


def seconds(value: str) -> float | None:
    """The seconds of a protobuf duration (``"600s"`` -> 600.0); None when it is not one."""
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    amount = int(whole) + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)
    return -amount if sign else amount


def duration(
    minimum: float = 0,
    maximum: float = MAX_DURATION,
    *,
    multiple_of: int | None = None,
    allow_empty: bool = False,
) -> Check:
    """A check that a text is a protobuf duration (``"2592000s"``) within the bounds
    (``allow_empty``: or ``""``, where the argument gives that a meaning, such as "never")."""

    def check(value: Any) -> Any:
        text = _text(value, "a duration")
        if allow_empty and text == "":
            return value
        amount = seconds(text)
        if amount is None:
            unit = _WITH_UNIT.fullmatch(text.strip())
            hint = (
                f"write {int(unit.group(1)) * _UNITS[unit.group(2)]}s"
                if unit
                else "e.g. '600s' for ten minutes, '2592000s' for 30 days"
            )
            raise InvalidValue(
                f"{shown(text)} is not a duration: write whole seconds (up to nine decimals) "
                "followed by 's'",
                hint,
            )
        if not minimum <= amount <= maximum:
            raise InvalidValue(
                f"{shown(text)} is out of range: {_range(minimum, maximum, 'the duration', 's')}"
            )
        if multiple_of and amount % multiple_of:
            raise InvalidValue(f"{shown(text)} must be a whole multiple of {multiple_of}s")
        return value

    return check


def date(value: Any) -> Any:
    """A calendar date written ``YYYY-MM-DD`` (RFC 3339 full-date)."""
    text = _text(value, "a date")
    try:
        if len(text) != 10:
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            f"{shown(text)} is not a date: write YYYY-MM-DD, e.g. 2026-01-31"
        ) from None
    return value
