"""make_resource_name: the spec's helper, character for character."""

from __future__ import annotations

import pytest

from polyinfra.foundation import make_resource_name


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("bucket", "my-data-bucket"), "bucket_my_data_bucket"),
        (("serviceaccount", "cloud-run-dmd"), "serviceaccount_cloud_run_dmd"),
        (
            ("iammember", "cloud-run-dmd", "roles/run.invoker"),
            "iammember_cloud_run_dmd_roles_run_invoker",
        ),
        (("table", "bronze_dmd", "inventory_movement"), "table_bronze_dmd_inventory_movement"),
        (("scheduler", "dmd-inv-mov"), "scheduler_dmd_inv_mov"),
        (("dashboard",), "dashboard"),
    ],
)
def test_make_resource_name(args: tuple[str, ...], expected: str) -> None:
    assert make_resource_name(*args) == expected


def test_the_role_prefix_is_kept_as_the_specs_code_does() -> None:
    # The spec's docstring claims 'iam_my_sa_run_invoker'; its code cannot drop "roles".
    assert make_resource_name("iam", "my-sa", "roles/run.invoker") == "iam_my_sa_roles_run_invoker"


def test_type_prefix_is_not_normalised() -> None:
    assert make_resource_name("my-type", "a.b") == "my-type_a_b"
