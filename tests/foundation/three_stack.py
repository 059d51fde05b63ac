"""A three-stack copy of the bundled example: ``infrastructure/pulumi/platform/`` owns the
project and a registry, ``infrastructure/pulumi/services/`` (the example's program) reads
them through cross-stack references."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import copy_example, edit

PLATFORM_SANDBOX = """\
config:
  gcp:project: data-platform-sandbox
  gcp:region: asia-southeast1
  input:environment: sandbox
  input:projects:
    stock-webhook:
      artifact_registry:
        repository_id: stock-webhook
        format: DOCKER
        location: asia-southeast1
        description: Images of the stock-webhook function
"""

#: The production stack of the platform: the same stack names in both programs.
PLATFORM_PRODUCTION = """\
config:
  gcp:project: data-platform-prod
  gcp:region: asia-southeast1
  input:environment: production
"""

MAIN = '''"""Foundation stack: every resource comes from the Pulumi.<stack>.yaml config."""

from polyinfra.foundation import run

run()
'''

#: What the services stack's references resolve to in the sandbox stack.
REGISTRY_URL = "asia-southeast1-docker.pkg.dev/data-platform-sandbox/stock-webhook"
SERVICES = "infrastructure/pulumi/services"
PLATFORM = "infrastructure/pulumi/platform"


def three_stack_workspace(destination: Path, *, registry_in_platform: bool = True) -> Path:
    """The example with its program moved to ``services/`` and a ``platform/`` program beside
    it; the services sandbox stack takes ``input:environment`` and the stock-webhook registry
    URL from the platform's outputs (and, with ``registry_in_platform``, leaves that registry to
    the platform)."""
    root = copy_example(destination)
    pulumi = root / "infrastructure" / "pulumi"
    services = root / SERVICES
    services.mkdir()
    for item in sorted(pulumi.iterdir()):
        if item != services:
            shutil.move(str(item), services / item.name)
    edit(root, f"{SERVICES}/Pulumi.yaml", "name: data-platform\n", "name: data-platform-services\n")
    platform = root / PLATFORM
    platform.mkdir()
    (platform / "Pulumi.yaml").write_text(
        "name: data-platform-platform\ndescription: Platform stack\nruntime: python\n"
    )
    (platform / "Pulumi.sandbox.yaml").write_text(PLATFORM_SANDBOX)
    (platform / "Pulumi.production.yaml").write_text(PLATFORM_PRODUCTION)
    (platform / "__main__.py").write_text(MAIN)
    edit(
        root,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "input:environment: sandbox",
        "input:environment: ${platform.environment}",
    )
    edit(
        root,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "description: Runtime identity of the stock-webhook function",
        "description: Runtime identity of the stock-webhook function "
        "(images in ${platform.projects.stock-webhook.registry_url})",
    )
    if not registry_in_platform:
        return root
    stack = services / "Pulumi.sandbox.yaml"
    text = stack.read_text()
    start = text.index("      artifact_registry:\n        repository_id: stock-webhook")
    end = text.index("\n\n", start)
    stack.write_text(text[:start].rstrip("\n") + text[end:])
    return root
