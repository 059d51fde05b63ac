"""``iam:`` grants of a project: what a stack file may write (each mistake at its line, with a
hint), and the resource-level IAM members the program declares for them under the mocks."""

from __future__ import annotations

import pytest

from polyinfra.foundation import load_stack_config, plan_stack
from polyinfra.foundation.grants import KINDS, Grant, parse_target
from polyinfra.foundation.validation import granted_roles

from .conftest import WriteStack
from .test_config import errors_of

STACK = """
config:
  gcp:project: acme-sandbox
  gcp:region: europe-west1
  input:projects:
    app:
      service_account:
        account_id: app-runner
      iam:
{grants}
      secrets:
        - secret_id: API_TOKEN
      cloud_storage:
        name: acme-landing
        location: EU
      bigquery_dataset:
        dataset_id: raw
      pubsub_topics:
        - name: events
          subscriptions:
            - name: events-sink
"""
ACCOUNT = "serviceAccount:app-runner@acme-sandbox.iam.gserviceaccount.com"


def stack(*grants: str) -> str:
    return STACK.format(grants="\n".join(grants))


def grant(role: str, resource: str, *more: str) -> str:
    lines = [f"        - role: {role}", f"          resource: {resource}"]
    return "\n".join(lines + [f"          {line}" for line in more])


# --- the stack file -------------------------------------------------------------------------


def test_a_grant_on_a_secret_of_the_stack_loads(write_stack: WriteStack) -> None:
    path = write_stack(stack(grant("roles/secretmanager.secretAccessor", "{secret: API_TOKEN}")))
    config = load_stack_config(path)
    (only,) = config.input.projects["app"].iam
    assert only.target == parse_target("secret", "API_TOKEN")
    assert only.member is None
    assert config.warnings == ()


def test_a_name_the_stack_does_not_declare(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/secretmanager.secretAccessor", "{secret: API_TOKN}"),
            grant("roles/storage.objectViewer", "{bucket: other-landing}"),
            grant("roles/pubsub.subscriber", "{subscription: events-sunk}"),
        )
    )
    assert errors_of(path) == [
        f"{path}:10:30: input:projects.app.iam[0].resource.secret: secret 'API_TOKN' is not "
        "declared by this stack\n  hint: did you mean 'API_TOKEN'?",
        f"{path}:12:30: input:projects.app.iam[1].resource.bucket: bucket 'other-landing' is not "
        "declared by this stack\n  hint: did you mean 'acme-landing'?",
        f"{path}:14:36: input:projects.app.iam[2].resource.subscription: subscription "
        "'events-sunk' is not declared by this stack\n  hint: did you mean 'events-sink'?",
    ]


def test_a_name_with_nothing_close_lists_the_declared_ones(write_stack: WriteStack) -> None:
    path = write_stack(stack(grant("roles/pubsub.publisher", "{topic: audit-log}")))
    assert errors_of(path) == [
        f"{path}:10:29: input:projects.app.iam[0].resource.topic: topic 'audit-log' is not "
        "declared by this stack (its topics: events)\n  hint: declare it "
        "(pubsub_topics[].name), or name an existing one by its full name "
        "projects/<project>/topics/<name>"
    ]


def test_existing_resources_by_their_full_names(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/secretmanager.secretAccessor", "{secret: projects/shared-prod/secrets/K}"),
            grant("roles/storage.objectViewer", "{bucket: projects/_/buckets/partner-drop}"),
            grant("roles/bigquery.dataViewer", "{dataset: projects/shared-prod/datasets/ref}"),
            grant("roles/pubsub.publisher", "{topic: projects/shared-prod/topics/audit}"),
            grant(
                "roles/pubsub.subscriber",
                "{subscription: projects/shared-prod/subscriptions/audit-sink}",
            ),
            grant(
                "roles/run.invoker",
                "{service: projects/shared-prod/locations/us-central1/services/api}",
            ),
            grant("roles/run.invoker", "{job: projects/shared-prod/locations/us-east1/jobs/etl}"),
            grant(
                "roles/iam.serviceAccountUser",
                "{service_account: projects/shared-prod/serviceAccounts/ci@shared-prod.iam."
                "gserviceaccount.com}",
            ),
        )
    )
    grants = load_stack_config(path).input.projects["app"].iam
    assert [
        (g.target.kind, g.target.project, g.target.location, g.target.name) for g in grants
    ] == [
        ("secret", "shared-prod", None, "K"),
        ("bucket", None, None, "partner-drop"),
        ("dataset", "shared-prod", None, "ref"),
        ("topic", "shared-prod", None, "audit"),
        ("subscription", "shared-prod", None, "audit-sink"),
        ("service", "shared-prod", "us-central1", "api"),
        ("job", "shared-prod", "us-east1", "etl"),
        ("service_account", "shared-prod", None, "ci@shared-prod.iam.gserviceaccount.com"),
    ]
    assert all(g.target.full for g in grants)


def test_a_malformed_full_name(write_stack: WriteStack) -> None:
    path = write_stack(stack(grant("roles/storage.objectViewer", "{bucket: b/partner-drop}")))
    assert errors_of(path) == [
        f"{path}:10:30: input:projects.app.iam[0].resource.bucket: 'b/partner-drop' is not the "
        "full name of a bucket: projects/_/buckets/<name>\n  hint: name one this stack "
        "declares (cloud_storage[].name), or give the full name of an existing one"
    ]


def test_unknown_kind_and_the_yaml_1_1_on_key(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/secretmanager.secretAccessor", "{secrte: API_TOKEN}"),
            "        - role: roles/run.invoker\n          on: {job: nightly}",
        )
    )
    assert errors_of(path) == [
        f"{path}:10:22: input:projects.app.iam[0].resource.secrte: unknown key 'secrte'\n"
        "  hint: did you mean 'secret'?",
        f"{path}:12:11: input:projects.app.iam[1].on: unknown key 'on': the resource is "
        "`resource: {<kind>: <name>}`\n  hint: Pulumi reads stack files as YAML 1.1, where a "
        "bare `on` is the boolean true: rename the key to `resource`",
    ]


def test_one_resource_per_grant(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(grant("roles/storage.objectViewer", "{bucket: acme-landing, dataset: raw}"))
    )
    assert errors_of(path) == [
        f"{path}:10:21: input:projects.app.iam[0].resource: a grant is on one resource: "
        "`resource: {<kind>: <name>}`, not 2 (bucket, dataset)\n  hint: kinds: secret, bucket, "
        "dataset, topic, subscription, service, job, service_account; write one grant per "
        "resource"
    ]


def test_role_member_and_location_are_checked(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/secretmanager.secretAcessor", "{secret: API_TOKEN}"),
            grant("roles/run.invoker", "{job: nightly}", "member: serviceaccount:ci@acme.example"),
            grant("roles/pubsub.publisher", "{topic: events}", "location: europe-west1"),
            grant("roles/run.invoker", "{job: Nightly_Run}"),
        )
    )
    assert errors_of(path) == [
        f"{path}:9:17: input:projects.app.iam[0].role: 'roles/secretmanager.secretAcessor' is "
        "not a predefined IAM role\n  hint: did you mean 'roles/secretmanager.secretAccessor'?",
        f"{path}:13:19: input:projects.app.iam[1].member: 'serviceaccount:ci@acme.example' is "
        "not an IAM member\n  hint: did you mean 'serviceAccount:ci@acme.example'?",
        f"{path}:16:11: input:projects.app.iam[2].location: a grant on this topic takes no "
        "`location`: only a Cloud Run service or job has one, not a topic\n"
        "  hint: remove `location`",
        f"{path}:18:27: input:projects.app.iam[3].resource.job: 'Nightly_Run' is not a valid "
        "Cloud Run job name: use lowercase letters, digits and hyphens, start with a letter "
        "and do not end with a hyphen\n  hint: for example 'nightly-run'",
    ]


def test_a_grant_without_member_needs_the_projects_account(write_stack: WriteStack) -> None:
    text = stack(grant("roles/run.invoker", "{job: nightly}")).replace(
        "      service_account:\n        account_id: app-runner\n", ""
    )
    path = write_stack(text)
    assert errors_of(path) == [
        f"{path}:7:11: input:projects.app.iam[0]: the grant has no member: it is for the "
        "project's service account, but input:projects.app declares no service_account\n"
        "  hint: add `member:` (serviceAccount:<email>, group:<email>...) or a service_account "
        "to the project"
    ]


def test_the_same_grant_twice(write_stack: WriteStack) -> None:
    twice = grant("roles/pubsub.publisher", "{topic: events}")
    path = write_stack(stack(twice, twice))
    assert errors_of(path) == [
        f"{path}:11:11: input:projects.app.iam[1]: the same grant as input:projects.app.iam[0]: "
        "roles/pubsub.publisher on topic 'events' for the same member\n"
        "  hint: remove one of the two"
    ]


def test_a_cloud_run_grant_needs_a_region(write_stack: WriteStack) -> None:
    text = stack(grant("roles/run.invoker", "{service: api}"))
    path = write_stack(text.replace("  gcp:region: europe-west1\n", ""))
    assert errors_of(path) == [
        f"{path}:8:11: input:projects.app.iam[0]: no location for the Cloud Run service\n"
        "  hint: set location here or gcp:region"
    ]


SCHEDULED = """
config:
  gcp:project: acme-sandbox
  gcp:region: europe-west1
  input:projects:
    app:
      service_account:
        account_id: app-runner
{iam}
      cloud_scheduler:
        - name: nightly
          target_job: etl
          schedule: "0 4 * * *"
"""


@pytest.mark.parametrize(
    ("iam", "warned"),
    [
        ("", True),
        ("      iam:\n        - {role: roles/run.invoker, resource: {job: etl}}", False),
        ("      iam:\n        - {role: roles/run.invoker, resource: {job: other}}", True),
        (
            "      iam:\n        - {role: roles/run.invoker, resource: {job: etl}, "
            "location: us-east1}",
            True,
        ),
        (
            "      iam:\n        - role: roles/run.invoker\n          resource: {job: etl}\n"
            "          member: group:ops@acme.example",
            True,
        ),
        (
            "      iam:\n        - role: roles/run.invoker\n          resource: {job: etl}\n"
            "          member: serviceAccount:app-runner@acme-sandbox.iam.gserviceaccount.com",
            False,
        ),
        ("      service_account_iam:\n        roles: [roles/run.invoker]", False),
    ],
)
def test_a_scheduler_counts_an_invoker_grant_on_its_job(
    write_stack: WriteStack, iam: str, warned: bool
) -> None:
    path = write_stack(SCHEDULED.format(iam=iam))
    warnings = [w.message for w in load_stack_config(path).warnings]
    assert warnings == (
        [
            "input:projects.app.cloud_scheduler[0].target_job: service account 'app-runner' "
            "lacks roles/run.invoker on job 'etl', so the scheduler cannot start it; grant it on "
            "the job: `iam: [{role: roles/run.invoker, resource: {job: etl}}]`"
        ]
        if warned
        else []
    )


def test_logical_names() -> None:
    def name(resource: dict[str, str], member: str | None = None) -> str:
        found = Grant(role="roles/run.invoker", resource=resource, member=member)
        return found.resource_name("app-runner")

    assert name({"job": "etl"}) == "jobiammember_etl_app_runner_roles_run_invoker"
    assert name({"service": "api"}, "group:ops@acme.example") == (
        "serviceiammember_api_group_ops_acme_example_roles_run_invoker"
    )
    assert name({"job": "projects/shared-prod/locations/us-east1/jobs/etl"}) == (
        "jobiammember_shared_prod_us_east1_etl_app_runner_roles_run_invoker"
    )
    assert {kind.prefix for kind in KINDS.values()} == {
        "secretiammember",
        "bucketiammember",
        "datasetiammember",
        "topiciammember",
        "subscriptioniammember",
        "serviceiammember",
        "jobiammember",
        "serviceaccountiammember",
    }


# --- the plan -------------------------------------------------------------------------------

EVERY_KIND = stack(
    grant("roles/secretmanager.secretAccessor", "{secret: API_TOKEN}"),
    grant("roles/storage.objectViewer", "{bucket: acme-landing}", "member: group:bi@acme.example"),
    grant("roles/bigquery.dataEditor", "{dataset: raw}"),
    grant("roles/pubsub.publisher", "{topic: events}"),
    grant("roles/pubsub.subscriber", "{subscription: events-sink}"),
    grant("roles/run.invoker", "{service: api}", "location: us-east1"),
    grant("roles/run.invoker", "{job: etl}"),
    grant("roles/iam.serviceAccountTokenCreator", "{service_account: app-runner}"),
    grant("roles/storage.objectViewer", "{bucket: projects/_/buckets/partner-drop}"),
    grant("roles/secretmanager.secretAccessor", "{secret: projects/shared-prod/secrets/KEY}"),
)


def test_every_kind_plans_to_its_resource_level_member(write_stack: WriteStack) -> None:
    plan = plan_stack(write_stack(EVERY_KIND).parent, "sandbox")
    scoped = [
        (r.type, r.name, dict(r.inputs), tuple(sorted(r.depends_on)))
        for r in plan.resources
        if r.type in {kind.type for kind in KINDS.values()}
    ]
    sa = ("serviceaccount_app_runner",)
    assert scoped == [
        (
            "gcp:bigquery/datasetIamMember:DatasetIamMember",
            "datasetiammember_raw_app_runner_roles_bigquery_dataEditor",
            {
                "datasetId": "raw",
                "project": "acme-sandbox",
                "role": "roles/bigquery.dataEditor",
                "member": ACCOUNT,
            },
            ("dataset_raw", "serviceaccount_app_runner"),
        ),
        (
            "gcp:cloudrunv2/jobIamMember:JobIamMember",
            "jobiammember_etl_app_runner_roles_run_invoker",
            {
                "name": "etl",
                "location": "europe-west1",
                "project": "acme-sandbox",
                "role": "roles/run.invoker",
                "member": ACCOUNT,
            },
            sa,
        ),
        (
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "serviceiammember_us_east1_api_app_runner_roles_run_invoker",
            {
                "name": "api",
                "location": "us-east1",
                "project": "acme-sandbox",
                "role": "roles/run.invoker",
                "member": ACCOUNT,
            },
            sa,
        ),
        (
            "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
            "subscriptioniammember_events_sink_app_runner_roles_pubsub_subscriber",
            {
                "subscription": "events-sink",
                "project": "acme-sandbox",
                "role": "roles/pubsub.subscriber",
                "member": ACCOUNT,
            },
            ("serviceaccount_app_runner", "subscription_events_sink"),
        ),
        (
            "gcp:pubsub/topicIAMMember:TopicIAMMember",
            "topiciammember_events_app_runner_roles_pubsub_publisher",
            {
                "topic": "events",
                "project": "acme-sandbox",
                "role": "roles/pubsub.publisher",
                "member": ACCOUNT,
            },
            ("serviceaccount_app_runner", "topic_events"),
        ),
        (
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            "secretiammember_API_TOKEN_app_runner_roles_secretmanager_secretAccessor",
            {
                "secretId": "API_TOKEN",
                "project": "acme-sandbox",
                "role": "roles/secretmanager.secretAccessor",
                "member": ACCOUNT,
            },
            ("secret_API_TOKEN", "serviceaccount_app_runner"),
        ),
        (
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            "secretiammember_shared_prod_KEY_app_runner_roles_secretmanager_secretAccessor",
            {
                "secretId": "KEY",
                "project": "shared-prod",
                "role": "roles/secretmanager.secretAccessor",
                "member": ACCOUNT,
            },
            sa,
        ),
        (
            "gcp:serviceaccount/iAMMember:IAMMember",
            "serviceaccountiammember_app_runner_app_runner_roles_iam_serviceAccountTokenCreator",
            {
                "serviceAccountId": "projects/acme-sandbox/serviceAccounts/"
                "app-runner@acme-sandbox.iam.gserviceaccount.com",
                "role": "roles/iam.serviceAccountTokenCreator",
                "member": ACCOUNT,
            },
            sa,
        ),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "bucketiammember_acme_landing_group_bi_acme_example_roles_storage_objectViewer",
            {
                "bucket": "acme-landing",
                "role": "roles/storage.objectViewer",
                "member": "group:bi@acme.example",
            },
            ("bucket_acme_landing",),
        ),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "bucketiammember_partner_drop_app_runner_roles_storage_objectViewer",
            {"bucket": "partner-drop", "role": "roles/storage.objectViewer", "member": ACCOUNT},
            sa,
        ),
    ]


def test_a_grant_waits_for_its_api_when_the_stack_enables_it(write_stack: WriteStack) -> None:
    text = EVERY_KIND.replace(
        "      secrets:\n", "      apis: [secretmanager.googleapis.com]\n      secrets:\n"
    )
    plan = plan_stack(write_stack(text).parent, "sandbox")
    found = plan.find(
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "secretiammember_API_TOKEN_app_runner_roles_secretmanager_secretAccessor",
    )
    assert set(found.depends_on) == {
        "serviceaccount_app_runner",
        "secret_API_TOKEN",
        "service_secretmanager_googleapis_com",
    }


def test_grants_are_built_after_the_resources_they_name() -> None:
    from polyinfra.foundation.builders import BUILDERS, scoped_iam

    assert BUILDERS.index(scoped_iam) > max(
        BUILDERS.index(m) for m in BUILDERS if m.NAME in {"secrets", "storage_buckets"}
    )


def test_a_grant_on_a_resource_made_in_another_project_goes_to_that_project(
    write_stack: WriteStack,
) -> None:
    text = stack(
        grant("roles/secretmanager.secretAccessor", "{secret: OTHER_TOKEN}"),
        grant("roles/pubsub.publisher", "{topic: other-topic}"),
    )
    text = text.replace(
        "        - secret_id: API_TOKEN\n",
        "        - secret_id: API_TOKEN\n        - secret_id: OTHER_TOKEN\n"
        "          project: other-proj-123\n",
    ).replace(
        "      pubsub_topics:\n",
        "      pubsub_topics:\n        - name: other-topic\n          project: other-proj-123\n",
    )
    plan = plan_stack(write_stack(text).parent, "sandbox")
    projects = {
        r.type.rsplit(":", 1)[-1]: r.inputs["project"]
        for r in plan.resources
        if r.type.endswith(("SecretIamMember", "TopicIAMMember"))
    }
    assert projects == {"SecretIamMember": "other-proj-123", "TopicIAMMember": "other-proj-123"}


def test_members_that_differ_only_by_dot_and_dash_are_two_grants(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/storage.objectViewer", "{bucket: acme-landing}", "member: group:a.b@x.io"),
            grant("roles/storage.objectViewer", "{bucket: acme-landing}", "member: group:a-b@x.io"),
        )
    )
    assert load_stack_config(path).warnings == ()
    plan = plan_stack(path.parent, "sandbox")
    members = sorted(
        (r.name, r.inputs["member"]) for r in plan.resources if r.type.endswith("BucketIAMMember")
    )
    base = "bucketiammember_acme_landing_group_a_b_x_io_roles_storage_objectViewer"
    assert members[0] == (base, "group:a.b@x.io")
    assert members[1][0].startswith(base + "_")
    assert len(members[1][0]) == len(base) + 9
    assert members[1][1] == "group:a-b@x.io"


def test_roles_granted_on_one_resource_are_among_the_granted_roles(
    write_stack: WriteStack,
) -> None:
    # so a deprecated one is warned about (no deprecated role of these services exists today)
    path = write_stack(stack(grant("roles/secretmanager.secretAccessor", "{secret: API_TOKEN}")))
    config = load_stack_config(path)
    assert list(granted_roles(config)) == [
        (("input", "projects", "app", "iam", 0, "role"), "roles/secretmanager.secretAccessor")
    ]


def test_a_role_of_another_service_is_refused_on_the_resource(write_stack: WriteStack) -> None:
    path = write_stack(
        stack(
            grant("roles/run.invoker", "{secret: API_TOKEN}"),
            grant("roles/secretmanager.secretAccessor", "{bucket: acme-landing}"),
            grant("roles/viewer", "{topic: events}"),
            grant("projects/acme-sandbox/roles/reader", "{dataset: raw}"),
        )
    )
    assert errors_of(path) == [
        f"{path}:9:17: input:projects.app.iam[0].role: roles/run.invoker cannot be granted on a "
        "secret: a secret's IAM policy takes roles of secretmanager.googleapis.com "
        "(roles/secretmanager.*), and Google refuses this grant when the stack is applied\n"
        "  hint: grant a roles/secretmanager.* role on the secret, or grant roles/run.invoker "
        "on a resource of its own service",
        f"{path}:11:17: input:projects.app.iam[1].role: roles/secretmanager.secretAccessor "
        "cannot be granted on a bucket: a bucket's IAM policy takes roles of "
        "storage.googleapis.com (roles/storage.*), and Google refuses this grant when the stack "
        "is applied\n  hint: grant a roles/storage.* role on the bucket, or grant "
        "roles/secretmanager.secretAccessor on a resource of its own service",
    ]
