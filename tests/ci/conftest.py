"""Fixtures shared with the change-detection tests."""

from __future__ import annotations

from tests.affected.conftest import cli

__all__ = ["cli"]
