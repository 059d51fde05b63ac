"""The foundation Pulumi program: ``run()`` is what ``infrastructure/pulumi/__main__.py`` calls.

A workspace's ``__main__.py`` is::

    from polyinfra.foundation import run

    resources = run()
    # optional: own resources next to ours, e.g. resources.service_accounts["dmd"].member
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from polyinfra.foundation.config import from_pulumi_config
from polyinfra.foundation.model import StackConfig
from polyinfra.foundation.resources import BuildContext, Resources

#: Stack outputs, for the application stack (``pulumi stack output`` / ``StackReference``).
OUTPUT_GCP_PROJECT = "gcp_project"
OUTPUT_ENVIRONMENT = "environment"
OUTPUT_PROJECTS = "projects"
OUTPUT_NAMES = (OUTPUT_GCP_PROJECT, OUTPUT_ENVIRONMENT, OUTPUT_PROJECTS)
#: Outputs of the platform resources, each exported only when the stack file declares them.
OUTPUT_WORKLOAD_IDENTITY_PROVIDER = "workload_identity_provider"
OUTPUT_DEPLOYER_SERVICE_ACCOUNT = "deployer_service_account"
OUTPUT_NETWORKS = "networks"
OUTPUT_NOTIFICATION_CHANNELS = "notification_channels"
PLATFORM_OUTPUT_NAMES = (
    OUTPUT_WORKLOAD_IDENTITY_PROVIDER,
    OUTPUT_DEPLOYER_SERVICE_ACCOUNT,
    OUTPUT_NETWORKS,
    OUTPUT_NOTIFICATION_CHANNELS,
)

# Set by the offline plan (:func:`preloaded`) so the program reuses the config it already
# validated, with file positions, instead of reading the runtime config again.
_preloaded: list[StackConfig] = []


@contextlib.contextmanager
def preloaded(config: StackConfig) -> Iterator[None]:
    """While inside, :func:`run` without a config uses ``config`` (the offline plan has
    validated it already); the program may run on another thread of the Pulumi SDK, so this is
    process-wide, not per context."""
    _preloaded.append(config)
    try:
        yield
    finally:
        _preloaded.pop()


def run(config: StackConfig | None = None, *, program_dir: Path | None = None) -> Resources:
    """Declare every foundation resource of the current stack and export the stack outputs.

    ``config`` defaults to the stack's runtime configuration (validated; an invalid config
    raises :class:`~polyinfra.errors.UserErrors` before any resource is declared).
    Returns the typed registry of what was declared.
    """
    import pulumi

    from polyinfra.foundation.builders import BUILDERS

    if config is None:
        config = _preloaded[-1] if _preloaded else from_pulumi_config(program_dir)
    for warning in config.warnings:
        pulumi.log.warn(str(warning))
    ctx = BuildContext(config)
    for builder in BUILDERS:
        builder.build(ctx)
    for name, value in stack_outputs(config, ctx.resources).items():
        pulumi.export(name, value)
    return ctx.resources


def stack_outputs(config: StackConfig, resources: Resources) -> dict[str, Any]:
    """The exported outputs: ``gcp_project``, ``environment`` and ``projects``.

    ``projects.<name>`` holds ``service_account_email``, ``registry_url``, ``dataset_ids``,
    ``secret_ids``, ``scheduler_jobs``, ``bucket_names``, ``topic_names`` and ``trigger_names``
    (keys present only for what the project declares).
    """
    from polyinfra.foundation.naming import registry_url

    projects: dict[str, dict[str, Any]] = {}
    for name, project in config.input.projects.items():
        entry: dict[str, Any] = {}
        account = resources.service_accounts.get(name)
        if account is not None:
            entry["service_account_email"] = account.email
        registry = project.artifact_registry
        if registry is not None:
            location = registry.location or config.gcp.region or ""
            entry["registry_url"] = registry_url(
                location, config.project, registry.repository_id, registry.format
            )
        datasets = [project.bigquery_dataset.dataset_id] if project.bigquery_dataset else []
        datasets += [
            table.dataset_id
            for table in project.bigquery_tables
            if table.dataset_id and table.dataset_id not in datasets
        ]
        if datasets:
            entry["dataset_ids"] = datasets
        if project.secrets:
            entry["secret_ids"] = [secret.secret_id for secret in project.secrets]
        if project.cloud_scheduler:
            entry["scheduler_jobs"] = [job.name for job in project.cloud_scheduler]
        if project.cloud_storage:
            entry["bucket_names"] = [bucket.name for bucket in project.cloud_storage]
        if project.pubsub_topics:
            entry["topic_names"] = [topic.name for topic in project.pubsub_topics]
        if project.triggers:
            entry["trigger_names"] = [trigger.name for trigger in project.triggers]
        projects[name] = entry
    return {
        OUTPUT_GCP_PROJECT: config.project,
        OUTPUT_ENVIRONMENT: config.environment,
        OUTPUT_PROJECTS: projects,
        **platform_outputs(config, resources),
    }


def platform_outputs(config: StackConfig, resources: Resources) -> dict[str, Any]:
    """The outputs of the platform resources the stack declares: ``workload_identity_provider``
    (the provider's full name, what google-github-actions/auth takes as
    ``workload_identity_provider``), ``deployer_service_account`` (its email), ``networks``
    (``{name: {id, name, subnets: {name: {id, name, region, ip_cidr_range}}}}``) and
    ``notification_channels`` (``{name: id}``, the channel's full name
    ``projects/<project>/notificationChannels/<number>``)."""
    outputs: dict[str, Any] = {}
    identity = config.input.workload_identity
    if identity is not None:
        provider = resources.workload_identity_providers[identity.provider_id]
        outputs[OUTPUT_WORKLOAD_IDENTITY_PROVIDER] = provider.name
        deployer = resources.deployers[identity.deployer.account_id]
        outputs[OUTPUT_DEPLOYER_SERVICE_ACCOUNT] = deployer.email
    if config.input.networks:
        outputs[OUTPUT_NETWORKS] = {
            network.name: {
                "id": resources.networks[network.name].id,
                "name": resources.networks[network.name].name,
                "subnets": {
                    name: {
                        "id": subnet.id,
                        "name": subnet.name,
                        "region": subnet.region,
                        "ip_cidr_range": subnet.ip_cidr_range,
                    }
                    for name, subnet in resources.subnets.get(network.name, {}).items()
                },
            }
            for network in config.input.networks
        }
    if config.input.notification_channels:
        outputs[OUTPUT_NOTIFICATION_CHANNELS] = {
            channel.name: resources.notification_channels[channel.name].name
            for channel in config.input.notification_channels
        }
    return outputs
