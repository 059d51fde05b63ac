"""Grants read from IAM resources' types and inputs."""

from __future__ import annotations

from pathlib import Path

from polyinfra.review.iam import IAM_TYPES, Grant, grants, is_iam

EMAIL = "etl@acme-prod.iam.gserviceaccount.com"
SA = f"serviceAccount:{EMAIL}"


def test_every_type_is_one_pulumi_gcp_registers() -> None:
    """The installed provider's own source names each type token it registers."""
    import pulumi_gcp

    package = Path(pulumi_gcp.__file__).parent
    for type_token in IAM_TYPES:
        module = type_token.split(":")[1].split("/")[0]
        sources = (path.read_text(encoding="utf-8") for path in (package / module).glob("*.py"))
        assert any(f"'{type_token}'" in source for source in sources), type_token


def test_a_project_member_is_project_wide() -> None:
    inputs = {"project": "acme-prod", "role": "roles/bigquery.jobUser", "member": SA}
    found = grants("gcp:projects/iAMMember:IAMMember", inputs)
    assert found == [Grant(SA, "roles/bigquery.jobUser", "project", "acme-prod")]
    assert found[0].wide


def test_a_project_member_without_a_project_is_in_the_stack_s() -> None:
    inputs = {"role": "roles/viewer", "member": SA}
    assert grants("gcp:projects/iAMMember:IAMMember", inputs, "acme-prod") == [
        Grant(SA, "roles/viewer", "project", "acme-prod")
    ]


def test_scoped_members_name_their_resource() -> None:
    cases = {
        "gcp:secretmanager/secretIamMember:SecretIamMember": ({"secretId": "API_KEY"}, "secret"),
        "gcp:storage/bucketIAMMember:BucketIAMMember": ({"bucket": "raw"}, "bucket"),
        "gcp:bigquery/datasetIamMember:DatasetIamMember": ({"datasetId": "bronze"}, "dataset"),
        "gcp:cloudrunv2/jobIamMember:JobIamMember": ({"name": "ingest"}, "job"),
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": ({"name": "api"}, "service"),
        "gcp:pubsub/topicIAMMember:TopicIAMMember": ({"topic": "events"}, "topic"),
    }
    for type_token, (target, kind) in cases.items():
        inputs = {**target, "role": "roles/x", "member": SA, "project": "acme-prod"}
        assert grants(type_token, inputs) == [
            Grant(SA, "roles/x", kind, next(iter(target.values())))
        ], type_token


def test_a_service_account_grant_names_the_account_by_its_email() -> None:
    inputs = {
        "serviceAccountId": f"projects/acme-prod/serviceAccounts/{EMAIL}",
        "role": "roles/iam.serviceAccountTokenCreator",
        "member": "serviceAccount:service-1@gcp-sa-cloudscheduler.iam.gserviceaccount.com",
    }
    assert grants("gcp:serviceaccount/iAMMember:IAMMember", inputs) == [
        Grant(
            "serviceAccount:service-1@gcp-sa-cloudscheduler.iam.gserviceaccount.com",
            "roles/iam.serviceAccountTokenCreator",
            "service account",
            EMAIL,
        )
    ]


def test_a_binding_grants_each_member() -> None:
    inputs = {"secretId": "API_KEY", "role": "roles/x", "members": ["user:b@x.com", "user:a@x.com"]}
    assert grants("gcp:secretmanager/secretIamBinding:SecretIamBinding", inputs) == [
        Grant("user:a@x.com", "roles/x", "secret", "API_KEY"),
        Grant("user:b@x.com", "roles/x", "secret", "API_KEY"),
    ]


def test_other_types_grant_nothing_whatever_their_name() -> None:
    inputs = {"role": "roles/owner", "member": SA, "name": "iammember_everything"}
    assert grants("gcp:storage/bucket:Bucket", inputs) == []
    assert not is_iam("gcp:projects/iAMPolicy:IAMPolicy")
    assert is_iam("gcp:projects/iAMBinding:IAMBinding")
