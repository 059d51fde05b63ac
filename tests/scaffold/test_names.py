"""Names and values `polyinfra add` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.scaffold.names import (
    check_app_name,
    check_schedule,
    check_time_zone,
    kebab,
    service_account_id,
    suggest_name,
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ingest", "ingest"),
        ("api", "api-runtime"),
        ("a" * 30, "a" * 30),
        ("inventory-movement-daily-extract-job", "inventory-movement-daily-extra"),
        ("a" * 29 + "-b", "a" * 29),
    ],
)
def test_service_account_ids_fit_gcp_limits(key: str, expected: str) -> None:
    assert service_account_id(key) == expected
    assert 6 <= len(expected) <= 30


def test_service_account_id_must_start_with_a_letter() -> None:
    with pytest.raises(UserError, match="cannot make a service account id from project '9lives'"):
        service_account_id("9lives")


def test_kebab_and_suggestions() -> None:
    assert kebab("dmd_ingest") == "dmd-ingest"
    assert suggest_name("My_App!") == "my-app"
    assert suggest_name("42") == "my-app"


def test_name_limits_differ_by_kind() -> None:
    check_app_name("s" * 49, "service")
    check_app_name("j" * 63, "job")
    where = Position(Path("infrastructure/cloudrun_service/x"))
    with pytest.raises(UserError) as caught:
        check_app_name("s" * 50, "service", where)
    assert str(caught.value).startswith("infrastructure/cloudrun_service/x: 'sss")
    assert "Cloud Run service names have at most 49" in str(caught.value)


@pytest.mark.parametrize("cron", ["0 4 * * *", "*/15 * * * 1-5", "0 0 1 jan *"])
def test_valid_schedules(cron: str) -> None:
    check_schedule(cron)


@pytest.mark.parametrize("cron", ["0 4 * *", "0 0 4 * * *", "every day", "0 24 * * *"])
def test_invalid_schedules(cron: str) -> None:
    with pytest.raises(UserError, match="is not a valid cron expression"):
        check_schedule(cron)


def test_time_zones() -> None:
    check_time_zone("Asia/Kuala_Lumpur")
    check_time_zone("Etc/UTC")
    with pytest.raises(UserError, match="'Asia/KualaLumpur' is not a known IANA time zone"):
        check_time_zone("Asia/KualaLumpur")
