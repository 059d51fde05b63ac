"""Introspection of the installed pulumi-gcp Args classes."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pulumi_gcp as gcp
import pytest

from polyinfra.cache import code_digest
from polyinfra.foundation import argspec


def test_fields_and_required_match_the_constructor() -> None:
    spec = argspec.spec("artifactregistry.RepositoryArgs")
    parameters = inspect.signature(gcp.artifactregistry.RepositoryArgs).parameters
    assert list(spec.fields) == list(parameters)
    assert spec.required == {"format", "repository_id"}


def test_nested_args_are_followed() -> None:
    spec = argspec.spec("artifactregistry.RepositoryArgs")
    assert spec.fields["cleanup_policies"][0] == "list"
    policy_key = spec.fields["cleanup_policies"][1][1]
    policy = argspec.spec(policy_key)
    assert policy.required == {"id"}
    condition = argspec.spec(policy.fields["condition"][1])
    assert condition.fields["tag_prefixes"] == ["list", "str"]
    assert condition.fields["older_than"] == "str"


def test_check_args_reports_unknown_wrong_and_missing() -> None:
    issues = list(
        argspec.check_args(
            {"repository_id": "r", "formt": "DOCKER", "cleanup_policies": [{"id": 3}]},
            "artifactregistry.RepositoryArgs",
        )
    )
    assert [(i.path, i.message, i.hint) for i in issues] == [
        (("formt",), "unknown key 'formt'", "did you mean 'format'?"),
        (
            ("cleanup_policies", 0, "id"),
            "expected a string, got an integer",
            "quote it to make it a string",
        ),
        ((), "missing required key 'format'", "add 'format'"),
    ]


def test_secret_values_pass_as_strings_and_are_never_echoed() -> None:
    issues = list(
        argspec.check_args(
            {"secret_id": {"secure": "v1:AAAAcipher"}, "labels": {"secure": "v1:AAAAcipher"}},
            "secretmanager.SecretArgs",
            supplied={"replication"},
        )
    )
    assert [(i.path, i.message) for i in issues] == [
        (("labels",), "expected a mapping, got an encrypted (secure) value")
    ]


def test_disk_cache_is_used_and_keyed_by_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    argspec._table.cache_clear()
    argspec.spec.cache_clear()
    try:
        argspec.spec("storage.BucketArgs")
        cache_file = argspec._cache_file(argspec.provider_version())
        assert cache_file.parent == tmp_path / "polyinfra"
        data = json.loads(cache_file.read_text())
        assert data["roots"]["storage.BucketArgs"].endswith(":BucketArgs")
        # A cached spec is what later processes read: prove it by altering it.
        key = data["roots"]["storage.BucketArgs"]
        data["specs"][key]["fields"]["from_cache"] = "str"
        cache_file.write_text(json.dumps(data))
        argspec._table.cache_clear()
        argspec.spec.cache_clear()
        assert "from_cache" in argspec.spec("storage.BucketArgs").fields
    finally:
        argspec._table.cache_clear()
        argspec.spec.cache_clear()


def test_provider_facts_are_worked_out_once_per_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(argspec, "_FACTS", None)
    calls: list[str] = []

    def compute() -> str:
        calls.append("computed")
        return "labels"

    def fact() -> object:
        return argspec.provider_fact(
            "labels_argument", "gcp.storage.Bucket", compute, lambda v: isinstance(v, str)
        )

    assert fact() == "labels"
    facts = argspec._facts_file(argspec.provider_version())
    assert facts.parent == tmp_path / "polyinfra"
    stored = json.loads(facts.read_text())
    assert stored == {
        "version": argspec.provider_version(),
        "code": code_digest(),
        "facts": {"labels_argument": {"gcp.storage.Bucket": "labels"}},
    }
    # another process reads it from the file: prove it by altering the stored value
    stored["facts"]["labels_argument"]["gcp.storage.Bucket"] = "user_labels"
    facts.write_text(json.dumps(stored))
    monkeypatch.setattr(argspec, "_FACTS", None)
    assert fact() == "user_labels"
    assert calls == ["computed"]
    # not trusted: a corrupt file, one another provider version or another polyinfra wrote,
    # a value of the wrong kind
    untrusted = [
        "{not json",
        json.dumps({**stored, "version": "0.0.1"}),
        json.dumps({**stored, "code": "another polyinfra"}),
        json.dumps({**stored, "facts": {"labels_argument": {"gcp.storage.Bucket": 12}}}),
    ]
    for text in untrusted:
        facts.write_text(text)
        monkeypatch.setattr(argspec, "_FACTS", None)
        assert fact() == "labels"
    assert calls == ["computed"] * 5


def test_labels_argument_comes_from_the_facts_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyinfra.foundation.anyresource import ResourceType

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(argspec, "_FACTS", None)
    bucket = ResourceType("storage", "Bucket")
    assert bucket.labels_argument() == "labels"
    assert ResourceType("monitoring", "AlertPolicy").labels_argument() == "user_labels"
    assert ResourceType("projects", "IAMMember").labels_argument() is None
    stored = json.loads(argspec._facts_file(argspec.provider_version()).read_text())
    assert stored["facts"]["labels_argument"] == {
        "gcp.storage.Bucket": "labels",
        "gcp.monitoring.AlertPolicy": "user_labels",
        "gcp.projects.IAMMember": None,
    }


def test_any_other_args_class_is_read_when_first_asked_for() -> None:
    spec = argspec.spec("sql.DatabaseInstanceArgs")
    parameters = inspect.signature(gcp.sql.DatabaseInstanceArgs).parameters
    assert list(spec.fields) == [name for name in parameters if name != "__self__"]
    assert spec.required == {"database_version"}
    settings = argspec.spec(spec.fields["settings"][1])
    assert settings.required == {"tier"}
    for name in ("sql.NoSuchArgs", "nosuchmodule.BucketArgs", "sql.DatabaseInstance", "../x.Args"):
        with pytest.raises(KeyError):
            argspec.spec(name)


def test_a_value_known_only_at_run_time_is_checked_for_its_kind() -> None:
    name = argspec.Deferred("str", "the output 'name' of resource 'db' (a string)")
    count = argspec.Deferred("list", "the output 'ip_addresses' of resource 'db' (a list)")
    arguments = {"name": name, "instance": count, "project": argspec.Deferred("any", "x")}
    assert [
        (issue.path, issue.message) for issue in argspec.check_args(arguments, "sql.DatabaseArgs")
    ] == [
        (
            ("instance",),
            "expected a string, got the output 'ip_addresses' of resource 'db' (a list)",
        )
    ]
