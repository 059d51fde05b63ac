"""``input:resources``: resources of any pulumi-gcp type, validated offline like the built-in
sections (type, arguments, references between them, cycles) and planned with exact inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import load_stack_config, plan_stack
from polyinfra.foundation.plan import Plan

from .conftest import WriteStack

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
DATABASE = "gcp:sql/database:Database"
QUEUE = "gcp:cloudtasks/queue:Queue"
TOPIC = "gcp:pubsub/topic:Topic"
SERVICE = "gcp:projects/service:Service"

STACK = """
config:
  gcp:project: acme-sandbox
  gcp:region: asia-southeast1
  label:team: data
  input:projects:
    app:
      apis: [sqladmin.googleapis.com]
  input:resources:
    db:
      type: gcp.sql.DatabaseInstance
      args:
        name: orders
        database_version: POSTGRES_15
        region: asia-southeast1
        settings:
          tier: db-custom-1-3840
          user_labels: {team: data}
    tasks:
      type: gcp.cloudtasks.Queue
      args:
        name: order-emails
        location: asia-southeast1
        rate_limits: {max_dispatches_per_second: 5}
        retry_config: {max_attempts: 3}
"""

MORE = """
    orders:
      type: gcp.sql.Database
      args:
        name: orders
        instance: ${resources.db.name}
    events:
      type: gcp.pubsub.Topic
      args:
        name: order-events
        labels: {source: orders}
        kms_key_name: key-for-${resources.db.connection_name}
      depends_on: [tasks]
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(UserError) as caught:
        load_stack_config(path)
    error = caught.value
    return [item.render() for item in (error.errors if isinstance(error, UserErrors) else [error])]


@pytest.fixture
def sandbox(write_stack: WriteStack) -> Plan:
    path = write_stack(STACK)
    return plan_stack(path.parent, "sandbox")


def test_a_cloud_sql_instance_and_a_cloud_tasks_queue_plan_with_exactly_their_inputs(
    sandbox: Plan,
) -> None:
    db = sandbox.find(INSTANCE, "databaseinstance_db")
    assert db.inputs == {
        "name": "orders",
        "databaseVersion": "POSTGRES_15",
        "region": "asia-southeast1",
        "settings": {"tier": "db-custom-1-3840", "userLabels": {"team": "data"}},
        # a sandbox is not protected: the instance can be torn down
        "deletionProtection": False,
    }
    queue = sandbox.find(QUEUE, "queue_tasks")
    assert queue.inputs == {
        "name": "order-emails",
        "location": "asia-southeast1",
        "rateLimits": {"maxDispatchesPerSecond": 5},
        "retryConfig": {"maxAttempts": 3},
    }
    # each waits for the APIs the stack enables; neither is protected in a sandbox
    for resource in (db, queue):
        assert resource.depends_on == ("service_sqladmin_googleapis_com",)
        assert not resource.protect
    assert sorted(r.type for r in sandbox.resources) == [QUEUE, SERVICE, INSTANCE]


def test_production_protects_them_unless_one_says_otherwise(write_stack: WriteStack) -> None:
    text = STACK.replace("  gcp:region: asia-southeast1\n", "  input:environment: production\n")
    text = text.replace(
        "      type: gcp.cloudtasks.Queue\n",
        "      type: gcp.cloudtasks.Queue\n      protect: false\n",
    )
    path = write_stack(text)
    plan = plan_stack(path.parent, "sandbox")
    db = plan.find(INSTANCE, "databaseinstance_db")
    assert db.protect
    assert (db.inputs["deletionProtection"], db.inputs["deletionPolicy"]) == (True, "PREVENT")
    queue = plan.find(QUEUE, "queue_tasks")
    assert not queue.protect
    assert "deletionPolicy" not in queue.inputs


def test_the_stacks_labels_go_where_the_class_keeps_its_labels(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK + "    oncall:\n      type: gcp.monitoring.NotificationChannel\n"
        "      args: {type: email, labels: {email_address: oncall@acme.example}}\n"
    )
    plan = plan_stack(path.parent, "sandbox")
    # a channel's labels are its settings: the stack's labels are its user_labels
    assert plan.find(
        "gcp:monitoring/notificationChannel:NotificationChannel", "notificationchannel_oncall"
    ).inputs == {
        "type": "email",
        "labels": {"email_address": "oncall@acme.example"},
        "userLabels": {"team": "data"},
    }


def test_deletion_protection_is_set_only_where_the_class_takes_it() -> None:
    from polyinfra.foundation.anyresource import parse_type

    def protection(kind: str) -> dict[str, object]:
        return parse_type(kind).protection(True)

    assert protection("gcp.sql.DatabaseInstance") == {
        "deletion_protection": True,
        "deletion_policy": "PREVENT",
    }
    # Bigtable's deletion_protection is PROTECTED/UNPROTECTED, not a boolean
    assert protection("gcp.bigtable.Table") == {"deletion_policy": "PREVENT"}
    # this deletion_policy is about what the script creates (ABANDON or DELETE)
    assert protection("gcp.sql.ProvisionScript") == {}
    assert parse_type("gcp.sql.DatabaseInstance").protection(False) == {
        "deletion_protection": False
    }


def test_references_become_the_other_resources_outputs(write_stack: WriteStack) -> None:
    path = write_stack(STACK + MORE)
    plan = plan_stack(path.parent, "sandbox")
    database = plan.find(DATABASE, "database_orders")
    assert database.inputs == {"name": "orders", "instance": "orders"}
    assert database.depends_on == ("databaseinstance_db", "service_sqladmin_googleapis_com")
    topic = plan.find(TOPIC, "topic_events")
    assert topic.inputs == {
        "name": "order-events",
        # the stack's labels join the resource's own, as in the built-in sections
        "labels": {"team": "data", "source": "orders"},
        # the connection name is <project>:<region>:<instance>
        "kmsKeyName": "key-for-acme-sandbox:asia-southeast1:orders",
    }
    assert topic.depends_on == (
        "databaseinstance_db",
        "queue_tasks",
        "service_sqladmin_googleapis_com",
    )


def test_an_output_only_google_knows_plans_as_unknown(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK + "    copy:\n      type: gcp.sql.Database\n"
        "      args: {name: copy, instance: '${resources.db.self_link}'}\n"
    )
    plan = plan_stack(path.parent, "sandbox")
    assert plan.find(DATABASE, "database_copy").inputs == {"name": "copy", "instance": "[unknown]"}


def test_the_program_returns_them_in_its_registry(write_stack: WriteStack) -> None:
    from polyinfra.foundation.plan import run_under_mocks
    from polyinfra.foundation.program import run

    config = load_stack_config(write_stack(STACK))
    found: dict[str, object] = {}

    def program() -> None:
        found.update(run(config).resources)

    run_under_mocks(program, project="p", stack="sandbox", gcp_project="acme-sandbox")
    assert {name: type(resource).__name__ for name, resource in found.items()} == {
        "db": "DatabaseInstance",
        "tasks": "Queue",
    }


def test_pulumi_up_reads_them_from_the_runtime_config(write_stack: WriteStack) -> None:
    """The program run by the engine (config from the runtime, not the preloaded one) declares
    the same resources: its references are resolved the same way, with no stack reference."""
    from polyinfra.foundation.plan import run_under_mocks, runtime_config_values
    from polyinfra.foundation.program import run

    path = write_stack(STACK + MORE)
    values, secrets = runtime_config_values(load_stack_config(path))
    resources, _ = run_under_mocks(
        lambda: run(program_dir=path.parent),
        project="p",
        stack="sandbox",
        gcp_project="acme-sandbox",
        config=values,
        secret_keys=secrets,
    )
    assert resources == list(plan_stack(path.parent, "sandbox").resources)


# --- errors, each at its line ---------------------------------------------------------------


def test_a_misspelt_argument_is_an_error_at_its_line(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK.replace("        database_version:", "        databse_version:").replace(
            "          tier:", "          teir:"
        )
    )
    assert errors_of(path) == [
        # the arguments are checked against sql.DatabaseInstanceArgs, nested ones too
        f"{path}:12:9: input:resources.db.args: missing required key 'database_version'\n"
        "  hint: add 'database_version'",
        f"{path}:13:9: input:resources.db.args.databse_version: unknown key 'databse_version'\n"
        "  hint: did you mean 'database_version'?",
        f"{path}:16:11: input:resources.db.args.settings.teir: unknown key 'teir'\n"
        "  hint: did you mean 'tier'?",
        f"{path}:16:11: input:resources.db.args.settings: missing required key 'tier'\n"
        "  hint: add 'tier'",
    ]


def test_a_reference_to_a_missing_output_is_an_error_at_its_line(
    write_stack: WriteStack,
) -> None:
    path = write_stack(STACK + MORE.replace("${resources.db.name}", "${resources.db.nmae}"))
    assert errors_of(path) == [
        f"{path}:30:19: input:resources.orders.args.instance: reference "
        "'${resources.db.nmae}': gcp.sql.DatabaseInstance has no output 'nmae'\n"
        "  hint: did you mean 'name'?"
    ]


def test_references_and_waits_name_declared_resources(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK
        + MORE.replace("${resources.db.name}", "${resources.dbb.name}").replace(
            "depends_on: [tasks]", "depends_on: [taks]"
        )
    )
    assert errors_of(path) == [
        f"{path}:30:19: input:resources.orders.args.instance: reference "
        "'${resources.dbb.name}': no resource 'dbb' under input:resources\n"
        "  hint: did you mean 'db'?",
        f"{path}:37:20: input:resources.events.depends_on[0]: no resource 'taks' under "
        "input:resources\n  hint: did you mean 'tasks'?",
    ]


def test_a_cycle_is_an_error_naming_it(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK.replace(
            "        retry_config: {max_attempts: 3}\n",
            "        retry_config: {max_attempts: 3}\n"
            "      depends_on: [events]\n"
            "    events:\n"
            "      type: gcp.pubsub.Topic\n"
            "      args: {name: events, kms_key_name: '${resources.tasks.id}'}\n",
        )
    )
    assert errors_of(path) == [
        f"{path}:28:42: input:resources.events.args.kms_key_name: a cycle of dependencies "
        "between resources: tasks -> events -> tasks\n"
        "  hint: a resource cannot wait for itself, directly or through others: remove one of "
        "the references or depends_on entries"
    ]


def test_an_unknown_type_is_an_error_with_a_suggestion(write_stack: WriteStack) -> None:
    path = write_stack(STACK.replace("gcp.cloudtasks.Queue", "gcp.cloudtask.Queue"))
    assert errors_of(path) == [
        f"{path}:19:13: input:resources.tasks.type: 'gcp.cloudtask.Queue': pulumi-gcp has no "
        "module 'cloudtask'\n  hint: did you mean 'gcp.cloudtasks.Queue'?"
    ]
    path = write_stack(STACK.replace("gcp.sql.DatabaseInstance", "gcp.sql.Instance"))
    assert errors_of(path) == [
        f"{path}:10:13: input:resources.db.type: 'gcp.sql.Instance': pulumi-gcp's sql module "
        "has no resource 'Instance'\n  hint: did you mean 'gcp.sql.DatabaseInstance'?"
    ]


def test_an_output_of_the_wrong_kind_is_an_error(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK + "    copy:\n      type: gcp.sql.Database\n"
        "      args: {name: copy, instance: '${resources.db.ip_addresses}'}\n"
        "    named:\n      type: gcp.sql.Database\n"
        "      args: {name: 'v-${resources.db.settings}', instance: orders}\n"
    )
    assert errors_of(path) == [
        f"{path}:27:36: input:resources.copy.args.instance: expected a string, got the output "
        "'ip_addresses' of resource 'db' (a list)",
        f"{path}:30:20: input:resources.named.args.name: reference '${{resources.db.settings}}' "
        "is inside a longer string, but the output is a mapping\n"
        "  hint: only a string, number or boolean can be part of a string; make the reference "
        "the whole value to take the output as it is",
    ]


def test_a_reference_outside_input_resources_is_an_error(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK.replace("  label:team: data\n", "  label:team: ${resources.db.name}\n")
    )
    assert errors_of(path) == [
        f"{path}:4:15: label:team: reference '${{resources.db.name}}' names a resource of "
        "input:resources, which only values under input:resources may reference\n"
        "  hint: `resources` is reserved for ${resources.<name>.<output>} (a program folder "
        "named resources cannot be referenced: rename it)"
    ]


def test_a_reference_in_the_programs_own_keys_is_an_error(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK.replace(
            "  label:team: data\n", "  label:team: data\n  acme:motd: x ${resources.db.name}\n"
        )
    )
    assert errors_of(path) == [
        f"{path}:5:14: acme:motd: reference '${{resources.db.name}}' names a resource of "
        "input:resources, which only values under input:resources may reference\n"
        "  hint: `resources` is reserved for ${resources.<name>.<output>} (a program folder "
        "named resources cannot be referenced: rename it)"
    ]


def test_a_name_already_taken_by_a_built_in_section(write_stack: WriteStack) -> None:
    path = write_stack(
        STACK.replace(
            "      apis: [sqladmin.googleapis.com]\n", "      pubsub_topics: [{name: jobs}]\n"
        )
        + "    jobs:\n      type: gcp.pubsub.Topic\n      args: {name: jobs}\n"
    )
    assert errors_of(path) == [
        f"{path}:25:5: input:resources.jobs: resource name 'topic_jobs' is already used by "
        "input:projects.app.pubsub_topics[0].name\n  hint: give one of them a different id"
    ]


def test_roles_and_members_of_iam_classes_are_checked_as_in_iam(write_stack: WriteStack) -> None:
    text = """
config:
  gcp:project: acme-sandbox
  input:resources:
    pub:
      type: gcp.pubsub.TopicIAMMember
      args:
        topic: events
        role: roles/pubsub.publisherx
        member: serviceaccount:x@acme.example
    team:
      type: gcp.storage.BucketIAMBinding
      args:
        bucket: acme-raw
        role: roles/storage.objectViewer
        members: [group:data@acme.example, data@acme.example]
"""
    path = write_stack(text)
    assert errors_of(path) == [
        f"{path}:8:15: input:resources.pub.args.role: 'roles/pubsub.publisherx' is not a "
        "predefined IAM role\n  hint: did you mean 'roles/pubsub.publisher'?",
        f"{path}:9:17: input:resources.pub.args.member: 'serviceaccount:x@acme.example' is not "
        "an IAM member\n  hint: did you mean 'serviceAccount:x@acme.example'?",
        f"{path}:15:44: input:resources.team.args.members[1]: 'data@acme.example' is not an IAM "
        "member\n  hint: a member names its kind: did you mean 'user:data@acme.example'?",
    ]


def test_a_deprecated_role_in_an_iam_class_is_a_warning(write_stack: WriteStack) -> None:
    text = """
config:
  gcp:project: acme-sandbox
  input:resources:
    broker:
      type: gcp.projects.IAMMember
      args:
        project: acme-sandbox
        role: roles/servicebroker.admin
        member: group:ops@acme.example
"""
    warnings = [w.message for w in load_stack_config(write_stack(text)).warnings]
    assert warnings == [
        "input:resources.broker.args.role: 'roles/servicebroker.admin' is deprecated: Google "
        'lists its launch stage as DEPRECATED; its title is "Service Broker Admin"; see '
        "https://cloud.google.com/iam/docs/roles-permissions for the role to grant instead"
    ]


def test_a_long_chain_of_references_is_ordered_without_recursion(write_stack: WriteStack) -> None:
    count = 3000  # deeper than Python's default recursion limit
    lines = ["config:", "  gcp:project: acme-sandbox", "  input:resources:"]
    for index in reversed(range(count)):
        lines += [f"    t{index}:", "      type: gcp.pubsub.Topic", "      args:"]
        lines.append(f"        name: topic-{index}")
        if index:
            lines.append(f"        kms_key_name: ${{resources.t{index - 1}.name}}")
    config = load_stack_config(write_stack("\n".join(lines) + "\n"))
    from polyinfra.foundation.builders.resources import build_order

    order = build_order(config.input.resources)
    assert order == [f"t{index}" for index in range(count)]


def test_a_cycle_at_the_end_of_a_long_chain_is_found(write_stack: WriteStack) -> None:
    count = 2000
    lines = ["config:", "  gcp:project: acme-sandbox", "  input:resources:"]
    for index in range(count):
        after = (index + 1) % count  # the last one waits for the first: one long cycle
        lines += [f"    t{index}:", "      type: gcp.pubsub.Topic", "      args:"]
        lines.append(f"        name: topic-{index}")
        lines.append(f"        kms_key_name: ${{resources.t{after}.name}}")
    path = write_stack("\n".join(lines) + "\n")
    found = errors_of(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:")
    assert "a cycle of dependencies between resources: t0 -> t1 -> t2 -> " in found[0]
    assert " -> t1999 -> t0\n" in found[0]


def test_every_resource_has_an_id_and_a_urn(write_stack: WriteStack) -> None:
    text = (
        STACK
        + "    note:\n      type: gcp.pubsub.Topic\n      args:\n"
        + (
            "        name: notes\n        labels: {of: x}\n"
            "        kms_key_name: ${resources.db.urn}\n"
        )
    )
    plan = plan_stack(write_stack(text).parent, "sandbox")
    urn = plan.find(TOPIC, "topic_note").inputs["kmsKeyName"]
    assert urn == (
        "urn:pulumi:sandbox::data-integration::pulumi:pulumi:Stack$"
        "gcp:sql/databaseInstance:DatabaseInstance::databaseinstance_db"
    )
