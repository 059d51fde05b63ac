"""Fixtures shared with the change-detection tests."""

from __future__ import annotations

from tests.affected.conftest import cli, example_repo

__all__ = ["cli", "example_repo"]
