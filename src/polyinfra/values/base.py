"""A check of one kind of value, and the error it raises: what is wrong, the allowed values
or range, how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: A check: the value back, or :class:`InvalidValue`.
Check = Callable[[Any], Any]


class InvalidValue(ValueError):
    """A value of the wrong kind. ``at`` is where inside the value (a label's key, a list
    item), relative to it; ``at_key`` says the problem is that key, not its value."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        at: tuple[str | int, ...] = (),
        at_key: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.at = at
        self.at_key = at_key


def shown(value: Any, limit: int = 80) -> str:
    """``value`` as a message quotes it: ``repr`` (a line break reads ``\\n``), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected {what} (a string), got {type(value).__name__}")
    return value
