"""Where a value came from: a file and a 1-based line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file. ``line`` and ``col`` are 1-based; 0 means "unknown"."""

    file: Path
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        text = str(self.file)
        if self.line:
            text += f":{self.line}"
            if self.col:
                text += f":{self.col}"
        return text

    def relative_to(self, root: Path) -> Position:
        """The same position with the file shown relative to ``root`` when it is inside it."""
        try:
            return Position(self.file.resolve().relative_to(root.resolve()), self.line, self.col)
        except ValueError:
            return self
