"""The image an app deploys comes from an Artifact Registry repository of its stack."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import containers, project_key, workloads
from polyinfra.workspace import App

_AR_HOST = re.compile(r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev$")


def is_placeholder(image: str) -> bool:
    """An image set at deploy time (``IMAGE_URL``, ``IMAGE_URL_PLACEHOLDER``..., or the
    stand-in ``check`` renders with when the stack names no registry)."""
    from polyinfra.manifests.stand_in import is_stand_in

    if is_stand_in(image):
        return True
    name = image.split("@", 1)[0].split(":", 1)[0]
    return "/" not in name and name.upper() == name and "IMAGE" in name


class ImageRegistry:
    """The image an app deploys is in an Artifact Registry repository the environment's stack
    creates: same location and project. An image left as a placeholder is set at deploy time
    from the app's project registry, so that project must have one in the stack (an app that
    deploys no project takes it from the entry named after the app; with none, it cannot
    render).

    The repository must also be local to the region the app deploys to (the same region, or
    the multi-region containing it). A registry of another project or location needs
    cross-project read access and is pulled across regions on every cold start; a registry no
    stack manages has no cleanup policy.

    Bad::

        images:
          - name: IMAGE_URL
            newName: europe-west1-docker.pkg.dev/data-platform-prod/dmd-ingest/dmd-ingest

    Good::

        images:
          - name: IMAGE_URL
            newName: asia-southeast1-docker.pkg.dev/data-platform-prod/dmd-ingest/dmd-ingest
    """

    ID = "crossstack/image-registry"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in workloads(ctx):
            stack = item.stack
            # each repository in its own stack file's project (platform's may be another one)
            project = stack.gcp_project or ""
            registries = {r.url(r.gcp_project or project): r for r in stack.registries()}
            for path, container in containers(item.manifest):
                image = container.get("image")
                if not isinstance(image, str):
                    continue
                if is_placeholder(image):
                    key = project_key(stack, item.app)
                    if key is not None and any(r.project == key for r in stack.registries()):
                        continue
                    where = (
                        ("config", "input:projects", key) if key else ("config", "input:projects")
                    )
                    unmapped = item.app.project is None
                    yield Problem(
                        stack.position(where),
                        self.ID,
                        f"{item.app.name} ({item.env}) deploys an image set at deploy time, but "
                        + (
                            "it deploys no project, and "
                            f"{stack.path.name} has no Artifact Registry repository under an "
                            f"entry named after the app"
                            if unmapped
                            else f"{stack.path.name} has no Artifact Registry repository for "
                            f"project {item.app.project!r}"
                        ),
                        hint=(
                            f'map the app to its project ([tool.polyinfra.apps."{item.app.name}"]'
                            ' project = "<folder>"), or name its image in the overlay'
                            if unmapped
                            else "add `artifact_registry: {repository_id: ..., format: DOCKER, "
                            "location: ...}` to the project's entry"
                        ),
                    )
                    continue
                repository = _repository_of(image)
                if repository is not None and repository in registries:
                    registry = registries[repository]
                    if item.region is None or same_location(registry.location, item.region):
                        continue
                    # the image `polyinfra image-ref` gives is fixed in the stack
                    from_stack = _is_image_ref(ctx, item.app, item.env, image)
                    yield Problem(
                        stack.position(registry.location_path, value=True)
                        if from_stack and registry.location_path
                        else item.at((*path, "image")),
                        self.ID,
                        f"{item.app.name} ({item.env}) deploys to {item.region} from repository "
                        f"{registry.repository_id} in {registry.location}: every cold start "
                        "pulls the image across regions",
                        hint=f"keep the repository in {item.region} (or the multi-region that "
                        "contains it)",
                    )
                    continue
                yield Problem(
                    item.at((*path, "image")),
                    self.ID,
                    f"{item.app.name} ({item.env}) deploys {image.split('@')[0]}, which is not "
                    f"in an Artifact Registry repository of {stack.path.name}"
                    + (
                        f" (its repositories: {', '.join(sorted(registries))})"
                        if registries
                        else ""
                    ),
                    hint="push the image to the repository the stack creates for the app's project",
                )


def _is_image_ref(ctx: CheckContext, app: App, env: str, image: str) -> bool:
    """Whether ``image`` is the app's reference from :func:`~polyinfra.manifests.image_ref`
    (any tag): the one render and deploy set from the stack."""
    from polyinfra.errors import UserError
    from polyinfra.manifests import image_ref

    if ctx.workspace is None:
        return False
    try:
        expected = image_ref(ctx.workspace, app, env, "0").rsplit(":", 1)[0]
    except UserError:
        return False
    return image.split("@", 1)[0].rsplit(":", 1)[0] == expected


#: Artifact Registry multi-regions and the regions they contain (by prefix).
MULTI_REGIONS = {"asia": "asia-", "europe": "europe-", "us": "us-"}


def same_location(location: str, region: str) -> bool:
    """Whether a repository in ``location`` is local to ``region`` (the region itself, or the
    multi-region that contains it)."""
    location, region = location.lower(), region.lower()
    return location == region or region.startswith(MULTI_REGIONS.get(location, "\0"))


def _repository_of(image: str) -> str | None:
    """``<location>-docker.pkg.dev/<project>/<repository>`` of an Artifact Registry image."""
    parts = image.split("@", 1)[0].split("/")
    if len(parts) < 4 or not _AR_HOST.match(parts[0]):
        return None
    return "/".join(parts[:3])
