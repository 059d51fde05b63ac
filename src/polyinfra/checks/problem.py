"""What a rule reports: a :class:`Problem` at a position, with a :class:`Level`."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from polyinfra.positions import Position


class Level(enum.IntEnum):
    """How serious a problem is. Only ``ERROR`` makes ``lint``/``check`` exit 1."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """``error``, ``warning`` or ``info``: how settings and reports spell it."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        """``"warning"`` -> ``Level.WARNING`` (case-insensitive)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(level.label for level in cls)
            raise ValueError(f"unknown level {text!r}: expected one of {choices}") from None


@dataclass(frozen=True, order=True)
class Problem:
    """One finding. Ordered by position first, then rule id.

    ``position`` names the file the user edits (the base or overlay, not the rendered output).
    ``level`` is stamped by the engine from the rule's ``LEVEL`` and the settings; rules leave it.
    ``sensitive`` problems point at a value that may be a secret: reports never print that
    source line.
    """

    position: Position
    rule: str
    message: str
    level: Level = Level.ERROR
    hint: str | None = None
    sensitive: bool = False


@dataclass(frozen=True)
class UnreadableInput:
    """An input file that could not be loaded (not UTF-8, not YAML): reported, not raised."""

    position: Position
    message: str
    hint: str | None = None
    #: the first template placeholder in the file and where it is, when the file looks like
    #: an unrendered template (those often are not YAML until rendered)
    placeholder: tuple[str, Position] | None = None
