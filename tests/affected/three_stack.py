"""The example workspace split by hand into the three-stack layout: a ``platform`` and a
``services`` Pulumi program under ``infrastructure/pulumi/``, with the same stack names."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.affected.conftest import copy_example

STACKS = ("production", "sandbox")
PLATFORM = "infrastructure/pulumi/platform"
SERVICES = "infrastructure/pulumi/services"
#: the deployer GitHub Actions impersonates, as each platform stack file declares it
DEPLOYER = "github-deployer"
POOL = "github"
PROVIDER = "data-platform"

_SHARED = ("gcp:project", "gcp:region", "input:environment", "input:bucket")


def platform_config(config: dict[str, Any]) -> dict[str, Any]:
    """What the platform team owns: the project, the state bucket, the labels, each project's
    Artifact Registry repository and the workload identity GitHub Actions deploys through."""
    result = {key: config[key] for key in _SHARED}
    result.update({key: value for key, value in config.items() if key.startswith("label:")})
    result["input:projects"] = {
        name: {"artifact_registry": section["artifact_registry"]}
        for name, section in config["input:projects"].items()
        if "artifact_registry" in section
    }
    result["input:workload_identity"] = {
        "pool_id": POOL,
        "provider_id": PROVIDER,
        "repository": "acme/data-platform",
        "deployer": {
            "account_id": DEPLOYER,
            "roles": ["roles/run.admin", "roles/artifactregistry.writer"],
        },
    }
    return result


def services_config(config: dict[str, Any]) -> dict[str, Any]:
    """Everything else, its environment read from the platform's."""
    result = {key: config[key] for key in _SHARED}
    result["input:environment"] = "${platform.environment}"
    result.update({key: value for key, value in config.items() if key.startswith("label:")})
    result["input:projects"] = {
        name: {key: value for key, value in section.items() if key != "artifact_registry"}
        for name, section in config["input:projects"].items()
    }
    result["input:monitoring"] = config["input:monitoring"]
    return result


def split_three_stack(root: Path) -> Path:
    """Split ``root``'s ``infrastructure/pulumi/`` (the example's one program) into
    ``platform/`` and ``services/``; returns ``root``."""
    pulumi = root / "infrastructure" / "pulumi"
    configs = {
        stack: yaml.safe_load((pulumi / f"Pulumi.{stack}.yaml").read_text())["config"]
        for stack in STACKS
    }
    services = root / SERVICES
    platform = root / PLATFORM
    platform.mkdir(parents=True)
    services.mkdir(parents=True)
    for entry in sorted(pulumi.iterdir()):
        if entry in (platform, services):
            continue
        if entry.name.startswith("Pulumi."):
            entry.unlink()
        else:
            shutil.move(str(entry), services / entry.name)
    shutil.copy(services / "__main__.py", platform / "__main__.py")
    shutil.copy(services / "stack-config.schema.json", platform / "stack-config.schema.json")
    for folder, name in ((platform, "platform"), (services, "services")):
        (folder / "Pulumi.yaml").write_text(
            f"name: data-platform-{name}\nruntime:\n  name: python\n  options:\n    toolchain: uv\n"
        )
    for stack, config in configs.items():
        for folder, part in ((platform, platform_config), (services, services_config)):
            (folder / f"Pulumi.{stack}.yaml").write_text(
                yaml.safe_dump({"config": part(config)}, sort_keys=False, width=4096)
            )
    return root


def three_stack_example(target: Path) -> Path:
    """A copy of the example workspace in the three-stack layout."""
    return split_three_stack(copy_example(target))
