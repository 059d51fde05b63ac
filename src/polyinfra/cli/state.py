"""Process-wide CLI settings set by the global options (``--debug``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliState:
    debug: bool = False


state = CliState()
