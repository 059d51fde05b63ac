"""Loading and validating stack files: every invalid case names file:line:col, key path, hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import load_stack_config
from polyinfra.foundation.keys import misspelt_key
from polyinfra.foundation.model import StackConfig

from .conftest import DMD, WriteStack


def errors_of(path: Path) -> list[str]:
    """Every rendered error of loading ``path`` (fails the test if it loads)."""
    with pytest.raises(UserError) as caught:
        load_stack_config(path)
    error = caught.value
    items = error.errors if isinstance(error, UserErrors) else [error]
    return [item.render() for item in items]


def test_the_specs_dmd_example_loads(tmp_path: Path) -> None:
    config = load_stack_config(DMD / "Pulumi.production.yaml")
    assert isinstance(config, StackConfig)
    assert config.stack == "production"
    assert config.project == "my-gcp-project"
    assert config.environment == "production"
    assert config.protect is True
    assert config.labels == {"component": "data-pipeline"}
    assert config.shared_keys == (
        "artifact_registry_cleanup_policies",
        "log_metric_distribution_descriptor",
    )
    dmd = config.input.projects["dmd"]
    assert dmd.service_account is not None
    assert dmd.service_account.args == {
        "account_id": "cloud-run-dmd",
        "description": "Service account for DMD Cloud Run Jobs",
        "display_name": "Cloud Run Job DMD",
    }
    assert dmd.artifact_registry is not None
    # the alias resolved to the anchored list
    assert dmd.artifact_registry.args["cleanup_policies"][1] == {
        "action": "KEEP",
        "id": "keep-minimum-versions",
        "most_recent_versions": {"keep_count": 10},
    }
    assert dmd.bigquery_tables[0].schema_file == "bigquery/bronze_dmd/inventory_movement.json"
    assert "schema_file" not in dmd.bigquery_tables[0].args
    assert dmd.cloud_scheduler[0].target_job == "dmd-inv-mov-api2bq"
    assert "target_job" not in dmd.cloud_scheduler[0].args
    assert config.warnings == ()
    # positions of model paths point into the file
    position = config.position(("input", "projects", "dmd", "cloud_scheduler", 0, "schedule"))
    assert (position.line, position.col) == (51, 11)


def test_merge_keys_and_a_single_bucket_mapping(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:bucket_defaults: &bucket_defaults
            location: ASIA-SOUTHEAST1
            storage_class: STANDARD
          input:projects:
            app:
              cloud_storage:
                <<: *bucket_defaults
                name: app-raw-data
        """
    )
    config = load_stack_config(path)
    bucket = config.input.projects["app"].cloud_storage[0]
    assert bucket.args == {
        "name": "app-raw-data",
        "location": "ASIA-SOUTHEAST1",
        "storage_class": "STANDARD",
    }
    assert config.protect is False  # sandbox


def test_unknown_pass_through_key_with_suggestion(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            app:
              artifact_registry:
                repository_id: app
                format: DOCKER
                location: asia-southeast1
                cleanup_policies:
                  - id: old
                    action: DELETE
                    condition:
                      older_then: 30d
        """
    )
    assert errors_of(path) == [
        f"{path}:13:15: input:projects.app.artifact_registry.cleanup_policies[0].condition."
        "older_then: unknown key 'older_then'\n  hint: did you mean 'older_than'?"
    ]


def test_wrong_type_in_nested_args(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            app:
              artifact_registry:
                repository_id: app
                format: DOCKER
                location: asia-southeast1
                cleanup_policies:
                  - id: old
                    action: DELETE
                    condition:
                      tag_prefixes: release
        """
    )
    assert errors_of(path) == [
        f"{path}:13:29: input:projects.app.artifact_registry.cleanup_policies[0].condition."
        "tag_prefixes: expected a list, got a string"
    ]


def test_missing_required_provider_argument(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            app:
              logging_only: {}
              bigquery_tables:
                - table_id: events
                  dataset_id: ds
                  clusterings: [a, 1]
        """
    )
    assert errors_of(path) == [
        f"{path}:5:7: input:projects.app.logging_only: unknown key 'logging_only'\n"
        "  hint: accepted keys: apis, artifact_registry, bigquery_dataset, bigquery_tables, "
        "cloud_scheduler, cloud_storage, iam, pubsub_topics, secrets, service_account, "
        "service_account_iam, triggers",
        f"{path}:9:28: input:projects.app.bigquery_tables[0].clusterings[1]: "
        "expected a string, got an integer\n  hint: quote it to make it a string",
    ]


def test_missing_key_of_ours_and_of_the_provider(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            app:
              artifact_registry:
                repository_id: app
              pubsub_topics:
                - name: events
                  subscriptions:
                    - name: events-sink
                      ack_deadline_seconds: "20"
        """
    )
    assert errors_of(path) == [
        f"{path}:5:7: input:projects.app.artifact_registry: missing required key 'format'\n"
        "  hint: add 'format'",
        f"{path}:11:37: input:projects.app.pubsub_topics[0].subscriptions[0]."
        "ack_deadline_seconds: expected an integer, got a string",
    ]


def test_namespaces_and_input_keys(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          gcp:regoin: asia-southeast1
          inptu:environment: sandbox
          input:projcts: {}
          environment: sandbox
          input:shared: &shared
            keep_count: 10
          a:b:c: 1
        """
    )
    # the fixture's Pulumi.yaml names the project data-integration
    own = "your program's own settings go under `data-integration:<name>`"
    assert errors_of(path) == [
        f"{path}:3:3: gcp:regoin: unknown pulumi-gcp provider setting\n"
        "  hint: did you mean 'gcp:region'?",
        f"{path}:5:3: unknown key 'input:projcts'\n  hint: did you mean 'input:projects'?",
        f"{path}:6:3: config key 'environment' has no namespace: Pulumi reads only "
        "`<namespace>:<name>` keys\n"
        f"  hint: polyinfra reads `input:...`, `gcp:...` and `label:...`; {own}, as "
        "`pulumi config set` writes them",
        f"{path}:9:3: config key 'a:b:c' has too many ':': Pulumi reads only "
        "`<namespace>:<name>` keys\n"
        f"  hint: polyinfra reads `input:...`, `gcp:...` and `label:...`; {own}, as "
        "`pulumi config set` writes them",
    ]


def test_other_namespaces_belong_to_the_program(write_stack: WriteStack) -> None:
    """The project's own namespace and other providers' are passed over, never validated; a
    namespace close to one of ours, holding a key that namespace reads, is a warning."""
    path = write_stack(
        """
        config:
          gcp:project: p
          data-integration:db_tier: small
          data-integration:replicas: 3
          google-native:project: p
          random:seed: {nested: [1, 2]}
          pulumi:tags: {team: data}
          inptu:environment: sandbox
          lable:team: data
          gpc:region: europe-west1
          gcs:bucket: not-a-gcp-setting
          inputs:anything: x
          input:environment: sandbox
          gcp:config:region: asia-southeast1
        """
    )
    config = load_stack_config(path)
    assert config.environment == "sandbox"
    assert config.gcp.region == "asia-southeast1"  # Pulumi's older <ns>:config:<name> form
    assert [str(warning) for warning in config.warnings] == [
        f"{path}:8:3: warning: config key 'inptu:environment' goes to the program untouched: "
        "polyinfra reads only gcp:, input: and label: keys; did you mean 'input:environment'?",
        f"{path}:9:3: warning: config key 'lable:team' goes to the program untouched: "
        "polyinfra reads only gcp:, input: and label: keys; did you mean 'label:team'?",
        f"{path}:10:3: warning: config key 'gpc:region' goes to the program untouched: "
        "polyinfra reads only gcp:, input: and label: keys; did you mean 'gcp:region'?",
    ]


def test_one_key_in_two_spellings(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          gcp:config:project: q
        """
    )
    assert errors_of(path) == [
        f"{path}:3:3: config key 'gcp:config:project' is 'gcp:project' written again: Pulumi "
        "would keep only one of the two values\n  hint: keep one of them, spelt 'gcp:project'"
    ]


def test_the_projects_own_namespace_is_never_a_typo(tmp_path: Path) -> None:
    folder = tmp_path / "pulumi"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: inputs\nruntime: python\n")
    stack = folder / "Pulumi.dev.yaml"
    stack.write_text("config:\n  gcp:project: p\n  inputs:environment: x\n")
    assert load_stack_config(stack).warnings == ()
    assert misspelt_key("inputs:environment", "inputs") is None
    assert misspelt_key("inputs:environment", "other") == "input:environment"
    assert misspelt_key("input:environment") is None
    assert misspelt_key("no-namespace") is None


def test_service_account_id_rules(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            a:
              service_account:
                account_id: short
            b:
              service_account:
                account_id: Upper-Case-Name
        """
    )
    message = (
        "service account id must be 6-30 characters: lowercase letters, digits and hyphens, "
        "starting with a letter and not ending with a hyphen"
    )
    assert errors_of(path) == [
        f"{path}:6:21: input:projects.a.service_account.account_id: {message}",
        f"{path}:9:21: input:projects.b.service_account.account_id: {message}",
    ]


SCHEDULER = """
config:
  gcp:project: p
  input:projects:
    app:
      service_account:
        account_id: app-runner
      service_account_iam:
        roles: [roles/run.invoker]
      cloud_scheduler:
        - name: nightly
          target_job: {target_job}
          region: asia-southeast1
          schedule: "{schedule}"
          time_zone: {time_zone}
"""


def scheduler(target_job: str = "app-job", schedule: str = "0 4 * * *", tz: str = "UTC") -> str:
    return SCHEDULER.format(target_job=target_job, schedule=schedule, time_zone=tz)


def test_cron_expression(write_stack: WriteStack) -> None:
    path = write_stack(scheduler(schedule="0 4 * *"))
    assert errors_of(path) == [
        f"{path}:13:21: input:projects.app.cloud_scheduler[0].schedule: '0 4 * *' is not a valid "
        "cron expression: Cloud Scheduler takes five fields (minute hour day-of-month month "
        "day-of-week)\n  hint: e.g. '0 4 * * *' (every day at 04:00)"
    ]
    path = write_stack(scheduler(schedule="61 4 * * *"))
    assert [e.split(": ", 2)[1] for e in errors_of(path)] == [
        "input:projects.app.cloud_scheduler[0].schedule"
    ]


def test_time_zone(write_stack: WriteStack) -> None:
    path = write_stack(scheduler(tz="Asia/Kuala_Lumpr"))
    assert errors_of(path) == [
        f"{path}:14:22: input:projects.app.cloud_scheduler[0].time_zone: 'Asia/Kuala_Lumpr' is "
        "not a known IANA time zone\n  hint: did you mean 'Asia/Kuala_Lumpur'?"
    ]


def test_target_job_name(write_stack: WriteStack) -> None:
    path = write_stack(scheduler(target_job="App_Job"))
    assert errors_of(path) == [
        f"{path}:11:23: input:projects.app.cloud_scheduler[0].target_job: 'App_Job' is not a "
        "valid Cloud Run job name: use lowercase letters, digits and hyphens, start with a "
        "letter and do not end with a hyphen\n  hint: for example 'app-job'"
    ]


def test_missing_run_invoker_is_a_warning(write_stack: WriteStack) -> None:
    path = write_stack(scheduler().replace("roles/run.invoker", "roles/logging.logWriter"))
    config = load_stack_config(path)
    assert [str(w) for w in config.warnings] == [
        f"{path}:11:11: warning: input:projects.app.cloud_scheduler[0].target_job: service "
        "account 'app-runner' lacks roles/run.invoker on job 'app-job', so the scheduler cannot "
        "start it; grant it on the job: `iam: [{role: roles/run.invoker, resource: {job: "
        "app-job}}]`"
    ]


TABLE = """
config:
  gcp:project: p
  input:projects:
    app:
      bigquery_dataset:
        dataset_id: raw
      bigquery_tables:
        - table_id: events
          schema_file: {schema_file}
"""


def test_schema_file_missing(write_stack: WriteStack) -> None:
    path = write_stack(TABLE.format(schema_file="bigquery/raw/events.json"))
    program = path.parent
    assert errors_of(path) == [
        f"{path}:9:24: input:projects.app.bigquery_tables[0].schema_file: file not found: "
        f"bigquery/raw/events.json\n  hint: create it (relative to {program.resolve()})"
    ]


def test_schema_file_outside_the_program_folder(write_stack: WriteStack) -> None:
    path = write_stack(TABLE.format(schema_file="../outside.json"))
    (path.parent.parent / "outside.json").write_text("[]")
    program = path.parent.resolve()
    assert errors_of(path) == [
        f"{path}:9:24: input:projects.app.bigquery_tables[0].schema_file: the file must be "
        f"inside the Pulumi program folder\n  hint: it resolves to {program.parent}/outside.json; "
        f"move it into {program} and name it by a relative path (polyinfra reads no file a "
        "stack names outside the program folder)"
    ]


def test_schema_file_invalid_json(write_stack: WriteStack) -> None:
    path = write_stack(TABLE.format(schema_file="bigquery/raw/events.json"))
    schema = path.parent / "bigquery" / "raw" / "events.json"
    schema.parent.mkdir(parents=True)
    schema.write_text('[\n  {"name": "id", "type": "STRING",}\n]\n')
    assert errors_of(path) == [
        f"{schema.resolve()}:2:35: invalid JSON: Expecting property name enclosed in double quotes"
    ]


def test_schema_file_not_a_bigquery_field_list(write_stack: WriteStack) -> None:
    path = write_stack(TABLE.format(schema_file="bigquery/raw/events.json"))
    schema = path.parent / "bigquery" / "raw" / "events.json"
    schema.parent.mkdir(parents=True)
    schema.write_text(
        "[\n"
        '  {"name": "id", "type": "STRNG"},\n'
        '  {"name": "payload", "type": "RECORD"},\n'
        '  {"name": "ID", "type": "STRING", "mod": "REQUIRED"}\n'
        "]\n"
    )
    resolved = schema.resolve()
    assert errors_of(path) == [
        f"{resolved}:2:26: [0].type: missing or unknown BigQuery type 'STRNG'\n"
        "  hint: did you mean 'STRING'?",
        f"{resolved}:3:3: [1]: a RECORD field needs a non-empty 'fields' list",
        f"{resolved}:4:12: [2].name: duplicate field name 'ID'",
        f"{resolved}:4:36: [2].mod: unknown field property 'mod'\n  hint: did you mean 'mode'?",
    ]


MONITORING = """
config:
  gcp:project: p
  input:distribution: &distribution
    metric_kind: DELTA
    value_type: DISTRIBUTION
    unit: "1"
  input:monitoring:
    log_based_metrics:
      - name: rows_written
        filter: severity>=INFO
        value_extractor: EXTRACT(jsonPayload.rows)
        metric_descriptor: *distribution
    dashboard:
      dashboard_json_file: monitoring/dashboard.json
"""


def test_distribution_metric_needs_bucket_options_and_dashboard_file(
    write_stack: WriteStack,
) -> None:
    path = write_stack(MONITORING)
    assert errors_of(path) == [
        f"{path}:9:9: input:monitoring.log_based_metrics[0]: a DISTRIBUTION metric needs "
        "bucket_options\n  hint: add bucket_options (e.g. a shared anchor)",
        f"{path}:14:28: input:monitoring.dashboard.dashboard_json_file: file not found: "
        f"monitoring/dashboard.json\n  hint: create it (relative to {path.parent.resolve()})",
    ]


def test_alias_bomb_is_refused(write_stack: WriteStack) -> None:
    lines = ["config:", "  gcp:project: p", '  input:a0: &a0 ["x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        prev = f"*a{level - 1}"
        lines.append(f"  input:a{level}: &a{level} [{', '.join([prev] * 7)}]")
    path = write_stack("\n".join(lines) + "\n")
    [message] = errors_of(path)
    assert message == (
        f"{path}:3:13: YAML expands to more than 200,000 values once aliases are resolved "
        "(an alias bomb?)\n  hint: reduce how many times anchors are repeated through aliases"
    )


def test_duplicate_resource_names_across_projects(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:projects:
            a:
              cloud_storage:
                name: shared-bucket
                location: EU
            b:
              cloud_storage:
                - name: shared-bucket
                  location: EU
        """
    )
    assert errors_of(path) == [
        f"{path}:10:11: input:projects.b.cloud_storage[0].name: resource name "
        "'bucket_shared_bucket' is already used by input:projects.a.cloud_storage[0].name\n"
        "  hint: give one of them a different id"
    ]


def test_encrypted_values_are_masked_and_never_shown(write_stack: WriteStack) -> None:
    path = write_stack(
        """
        config:
          gcp:project: p
          input:environment:
            secure: v1:SuperSecretCipherText
          input:projects:
            app:
              service_account:
                account_id: app-runner
                description:
                  secure: v1:OtherCipherText
              bigquery_dataset:
                dataset_id:
                  secure: v1:ThirdCipherText
                location: [EU]
        """
    )
    [message] = errors_of(path)
    assert message == (
        f"{path}:14:19: input:projects.app.bigquery_dataset.location: expected a string, got a list"
    )
    path.write_text(path.read_text().replace("location: [EU]", "location: EU"))
    config = load_stack_config(path)
    assert config.environment == "[secret]"
    assert config.input.projects["app"].service_account.args["description"] == "[secret]"  # type: ignore[union-attr]
    assert "CipherText" not in config.model_dump_json()


def test_dashboard_file_must_be_a_json_object_inside_the_folder(write_stack: WriteStack) -> None:
    text = MONITORING.replace(
        "        metric_descriptor: *distribution\n",
        "        metric_descriptor: *distribution\n"
        "        bucket_options: {linear_buckets: {num_finite_buckets: 5, width: 1, offset: 0}}\n",
    )
    path = write_stack(text)
    dashboard = path.parent / "monitoring" / "dashboard.json"
    dashboard.parent.mkdir()
    dashboard.write_text('[\n  {"displayName": "x"}\n]\n')
    assert errors_of(path) == [f"{dashboard.resolve()}:1:1: a dashboard must be a JSON object"]
    dashboard.write_text('{\n  "displayName": "x"\n  "mosaicLayout": {}\n}\n')
    assert errors_of(path) == [f"{dashboard.resolve()}:3:3: invalid JSON: Expecting ',' delimiter"]
    path = write_stack(text.replace("monitoring/dashboard.json", "/etc/dashboard.json"))
    assert errors_of(path) == [
        f"{path}:15:28: input:monitoring.dashboard.dashboard_json_file: the file must be inside "
        "the Pulumi program folder\n  hint: it resolves to /etc/dashboard.json; move it into "
        f"{path.parent.resolve()} and name it by a relative path (polyinfra reads no file a "
        "stack names outside the program folder)"
    ]


ALERTS = """
config:
  gcp:project: p
  input:monitoring:
    alert_policies:
      - name: job-failed
        display_name: Job failed
        combiner: OR
        documentation: |
          Markdown documentation shown in alert notifications.
        conditions:
          - display_name: Failed
            condition_absent: {duration: 600s}
      - name: job-slow
        display_name: Job slow
        combiner: OR
        documentation: {content: "Slow", mime_type: text/markdown, subject: Slow job}
        conditions:
          - display_name: Slow
            condition_absent: {duration: 600s}
"""


def test_alert_documentation_as_markdown_text(write_stack: WriteStack) -> None:
    """The spec writes ``documentation: |`` (markdown text): the provider's
    ``{content, mime_type: text/markdown}``; the mapping form is taken as it is."""
    config = load_stack_config(write_stack(ALERTS))
    assert config.input.monitoring is not None
    text, mapping = config.input.monitoring.alert_policies
    assert text.args["documentation"] == {
        "content": "Markdown documentation shown in alert notifications.\n",
        "mime_type": "text/markdown",
    }
    assert mapping.args["documentation"] == {
        "content": "Slow",
        "mime_type": "text/markdown",
        "subject": "Slow job",
    }


def test_alert_documentation_of_another_type_is_an_error(write_stack: WriteStack) -> None:
    path = write_stack(
        ALERTS.replace(
            "        documentation: |\n          Markdown documentation shown in alert "
            "notifications.\n",
            "        documentation: [not, markdown]\n",
        ).replace("mime_type: text/markdown,", "mime_typ: text/markdown,")
    )
    assert errors_of(path) == [
        f"{path}:8:24: input:monitoring.alert_policies[0].documentation: expected a string "
        "or a mapping, got a list\n  hint: Markdown text shown in notifications: the same as "
        "{content: <text>, mime_type: text/markdown}.",
        f"{path}:15:42: input:monitoring.alert_policies[1].documentation.mime_typ: unknown key "
        "'mime_typ'\n  hint: did you mean 'mime_type'?",
    ]
