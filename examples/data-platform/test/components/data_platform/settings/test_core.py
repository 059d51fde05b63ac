import pytest

from data_platform.settings import load_settings


def test_load_settings_reads_cloud_run_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "sandbox")
    monkeypatch.setenv("VERSION", "abc123")
    monkeypatch.setenv("GCP_PROJECT_ID", "data-platform-sandbox")

    settings = load_settings()

    assert (settings.environment, settings.version) == ("sandbox", "abc123")
    assert settings.gcp_project_id == "data-platform-sandbox"
