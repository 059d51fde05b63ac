"""docs/settings.md is generated from the Settings model and kept current."""

from __future__ import annotations

from polyinfra.workspace.settings import Settings
from polyinfra.workspace.settings_docs import settings_markdown
from tests.conftest import REPO


def test_committed_settings_reference_is_up_to_date() -> None:
    committed = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == settings_markdown(), (
        "regenerate: python -m polyinfra.workspace.settings_docs > docs/settings.md"
    )


def test_every_setting_is_documented() -> None:
    page = settings_markdown()
    for name in Settings.model_fields:
        assert f"`{name}`" in page or f"[tool.polyinfra.{name}" in page, name
    assert "| `job_startup_window_seconds` | integer | `600` |" in page
    assert "## `[tool.polyinfra.apps.<app>]`" in page
