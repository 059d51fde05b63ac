"""The known-good Service and Job pass every rule: each rule's failing tests are variants."""

from __future__ import annotations

import pytest

from tests.checks.conftest import GOOD, LintText


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_manifest_passes_every_rule(kind: str, lint_text: LintText) -> None:
    assert lint_text(GOOD[kind].read_text(), "all") == []
