"""The kinds of value of pulumi-gcp arguments: every entry names an argument of the installed
provider, and the provider's own documented values are read from it."""

from __future__ import annotations

from polyinfra.foundation import argspec
from polyinfra.foundation.arguments import ARGUMENT_VALUES


def every_spec() -> dict[str, argspec.ArgsSpec]:
    """Class name -> spec of every Args class the foundation program passes user keys to."""
    specs, _ = argspec._table()
    return {key.rsplit(":", 1)[-1]: argspec.spec(key) for key in specs}


def test_every_entry_names_an_argument_of_the_installed_provider() -> None:
    specs = every_spec()
    unknown = [
        entry
        for entry in ARGUMENT_VALUES
        if entry.split(".")[0] not in specs
        or entry.split(".")[1] not in specs[entry.split(".")[0]].fields
    ]
    assert unknown == []


def test_no_entry_repeats_a_list_the_provider_documents() -> None:
    specs = every_spec()
    repeated = [
        entry
        for entry in ARGUMENT_VALUES
        if entry.split(".")[1] in specs[entry.split(".")[0]].choices
    ]
    assert repeated == []


def test_documented_values_come_from_the_provider() -> None:
    specs = every_spec()
    assert specs["RepositoryArgs"].choices["mode"] == (
        "STANDARD_REPOSITORY",
        "VIRTUAL_REPOSITORY",
        "REMOTE_REPOSITORY",
    )
    assert specs["RepositoryCleanupPolicyArgs"].choices["action"] == ("DELETE", "KEEP")
    assert specs["AlertPolicyArgs"].choices["severity"] == ("CRITICAL", "ERROR", "WARNING")
    # "Supported values include" is not a complete list: not taken as one
    assert "storage_class" not in specs["BucketArgs"].choices


def test_documented_and_own_values_are_checked_at_any_depth() -> None:
    issues = list(
        argspec.check_args(
            {
                "repository_id": "apps",
                "format": "DOCKER",
                "mode": "STANDARD_REPO",
                "cleanup_policies": [
                    {"id": "old", "action": "delete", "condition": {"older_than": "30d"}},
                    {"id": "keep", "action": "KEEP", "most_recent_versions": {"keep_count": -1}},
                ],
            },
            "artifactregistry.RepositoryArgs",
            values=ARGUMENT_VALUES,
        )
    )
    assert [(i.path, i.message, i.hint) for i in issues] == [
        (
            ("mode",),
            "'STANDARD_REPO' is not a value of mode: use one of STANDARD_REPOSITORY, "
            "VIRTUAL_REPOSITORY, REMOTE_REPOSITORY",
            "did you mean 'STANDARD_REPOSITORY'?",
        ),
        (
            ("cleanup_policies", 0, "action"),
            "'delete' is not a value of action: use one of DELETE, KEEP",
            "did you mean 'DELETE'?",
        ),
        (
            ("cleanup_policies", 0, "condition", "older_than"),
            "'30d' is not a duration: write whole seconds (up to nine decimals) followed by 's'",
            "write 2592000s",
        ),
        (
            ("cleanup_policies", 1, "most_recent_versions", "keep_count"),
            "-1 is out of range: must be from 0 to 2,147,483,647",
            None,
        ),
    ]


def test_numbers_pulumi_cannot_carry_are_refused() -> None:
    issues = list(
        argspec.check_args(
            {
                "name": "b",
                "location": "EU",
                "lifecycle_rules": [{"action": {"type": "Delete"}, "condition": {"age": 10**40}}],
            },
            "storage.BucketArgs",
        )
    )
    assert [(i.path, i.message) for i in issues] == [
        (
            ("lifecycle_rules", 0, "condition", "age"),
            "the integer is out of range: Pulumi carries at most 9,007,199,254,740,991",
        )
    ]
