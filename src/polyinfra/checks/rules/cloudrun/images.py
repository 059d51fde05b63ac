"""Container images: a valid reference, a pinned tag or digest (production: required), a
registry host for the app's own image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.production import production_environments
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    containers,
    mapping,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.errors import RefusedFile, UserError
from polyinfra.values import InvalidValue, image_reference
from polyinfra.workspace.bounds import bounds_of
from polyinfra.yamlio import KeyPath, load_all_file


def image_tag(image: str) -> tuple[str, str | None, bool]:
    """``(name, tag, pinned by digest)`` of an image reference.

    >>> image_tag("gcr.io/acme/api:v1"), image_tag("localhost:5000/api"), image_tag("a@sha256:0")
    (('gcr.io/acme/api', 'v1', False), ('localhost:5000/api', None, False), ('a', None, True))
    """
    if "@" in image:
        return image.split("@", 1)[0], None, True
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], False
    return image, None, False


def unpinned_images(manifest: Manifest) -> Iterator[tuple[KeyPath, str, str, str]]:
    """``(image path, image, container name, what)`` of every container image that is tagged
    ``:latest`` or untagged. A reference holding a placeholder is not final (it is
    ``manifest/unrendered-template``'s), nor is the name of a Skaffold artifact, which Skaffold
    and Cloud Deploy replace by the image they build (:func:`skaffold_artifacts`)."""
    artifacts: frozenset[str] | None = None
    for container in containers(manifest):
        path = (*container.path, "image")
        image = container.data.get("image")
        if not isinstance(image, str) or not image or is_templated(image, path):
            continue
        _, tag, pinned = image_tag(image)
        if pinned or not (tag is None or tag == "latest"):
            continue
        try:
            image_reference(image)
        except InvalidValue:
            continue  # not a reference at all: cloudrun/image-reference
        if tag is None:
            if artifacts is None:
                artifacts = skaffold_artifacts(manifest.document.path)
            if image in artifacts:
                continue
        what = "untagged (that is :latest)" if tag is None else "tagged :latest"
        yield path, image, container.name, what


#: How many folders up from a manifest a ``skaffold.yaml`` is looked for.
_SKAFFOLD_LEVELS = 4


def skaffold_artifacts(manifest_file: Path) -> frozenset[str]:
    """The image names the nearest ``skaffold.yaml`` above ``manifest_file`` builds
    (``build.artifacts[].image`` of each of its documents): Skaffold, and Cloud Deploy through
    it, replaces them in the manifests by the reference of the image it built."""
    folder = manifest_file.parent
    for _ in range(_SKAFFOLD_LEVELS):
        for name in ("skaffold.yaml", "skaffold.yml"):
            candidate = folder / name
            if candidate.is_file():
                return _artifacts(candidate)
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return frozenset()


def _artifacts(skaffold: Path) -> frozenset[str]:
    try:
        documents = load_all_file(skaffold, bounds=bounds_of(skaffold))
    except (UserError, RefusedFile):
        return frozenset()
    names: set[str] = set()
    for document in documents:
        build = mapping(mapping(document.data).get("build"))
        for artifact in build.get("artifacts") or ():
            image = mapping(artifact).get("image")
            if isinstance(image, str):
                names.add(image)
    return frozenset(names)


class ImageReference(CloudRunRule):
    """Every container image is a valid reference, ``[HOST[:PORT]/]PATH[:TAG][@DIGEST]``
    (the distribution reference grammar: lowercase path components, a tag of up to 128
    letters, digits, ``_``, ``.`` and ``-``). Cloud Run rejects any other text as the image
    (text in another script, spaces, upper case in the path). Placeholders are
    ``manifest/unrendered-template``'s.

    Bad::

              containers:
                - image: 【Nginxのイメージ】

    Good::

              containers:
                - image: docker.io/library/nginx:1.27
    """

    ID = "cloudrun/image-reference"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            path = (*container.path, "image")
            image = container.data.get("image")
            if not isinstance(image, str) or not image or is_templated(image, path):
                continue  # no image is cloudrun/containers'
            try:
                image_reference(image)
            except InvalidValue as exc:
                yield self.problem(
                    manifest,
                    path,
                    f"container {container.name}: {exc.message}",
                    hint=exc.hint,
                )


class ImageTag(CloudRunRule):
    """Deploy an image by an explicit tag (the release version) or a digest, never ``:latest``
    or untagged (which means ``:latest``): a redeploy or rollback of the same manifest must run
    the same code. Cloud Run accepts the manifest and resolves the tag once, when it creates
    the revision, so this is a warning. References holding placeholders (``IMAGE_URL``,
    ``${REGION}-docker.pkg.dev/...``) are left to ``manifest/unrendered-template``, and the
    names of Skaffold artifacts (``build.artifacts[].image`` of a ``skaffold.yaml`` up to four
    folders above the manifest) are replaced by Skaffold or Cloud Deploy. In an environment
    marked production ``cloudrun/production-image-tag`` reports it instead,
    as an error.

    Bad::

                - image: europe-docker.pkg.dev/acme/apps/api:latest
                - image: redis

    Good::

                - image: europe-docker.pkg.dev/acme/apps/api:v1.4.2
                - image: docker.io/library/redis:7.2.5
    """

    ID = "cloudrun/image-tag"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if manifest.env is not None and manifest.env in production_environments(ctx):
            return
        for path, image, container, what in unpinned_images(manifest):
            yield self.problem(
                manifest,
                path,
                f"image {image} of container {container} is {what}",
                hint="deploy an explicit version tag or a digest",
            )


class ProductionImageTag(CloudRunRule):
    """In an environment marked production, every image has an explicit tag or a digest:
    ``:latest`` or no tag (which means ``:latest``) is an error there.

    Cloud Run resolves a tag once, when it creates the revision. With a moving tag the code a
    production revision runs depends on when it was deployed, and a rollback or a redeploy of
    the same manifest may run other code than the release it names. Outside production the
    same image is a warning (``cloudrun/image-tag``), so a sandbox may follow ``:latest``;
    the two have their own ids so that each level can be set on its own.

    An environment is marked production when ``[tool.polyinfra.ci] production_environment``
    names it (default ``production``: the environment CI deploys on push to the main branch),
    or when its foundation stack is the production one (``input:environment: production`` in
    its stack file, else the stack name ``production``: what makes the foundation protect its
    stateful resources). Plain manifest files belong to no environment.

    Cloud Run accepts such an image; this is the workspace's production policy, an error so that
    a production deploy stops, and set per project like any level.

    Bad::

        # overlays/production/kustomization.yaml
        images:
          - name: IMAGE_URL
            newName: asia-southeast1-docker.pkg.dev/acme-prod/api/api
            newTag: latest

    Good::

        images:
          - name: IMAGE_URL
            newName: asia-southeast1-docker.pkg.dev/acme-prod/api/api
            newTag: 1.4.2
    """

    ID = "cloudrun/production-image-tag"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if manifest.env is None or manifest.env not in production_environments(ctx):
            return
        for path, image, container, what in unpinned_images(manifest):
            yield self.problem(
                manifest,
                path,
                f"image {image} of container {container} is {what}, in production "
                f"environment {manifest.env!r}",
                hint="pin a version tag or a digest (REGISTRY/IMAGE:1.4.2 or "
                "REGISTRY/IMAGE@sha256:...), in the manifest or in --image APP=REF",
            )


def registry_host(image: str) -> str | None:
    """The registry host an image reference names, None when it names none (then it is a
    Docker Hub image). The first component is a host when it has a ``.`` or a ``:`` or is
    ``localhost``.

    >>> registry_host("nginx"), registry_host("library/nginx:1.2"), registry_host("gcr.io/a/b")
    (None, None, 'gcr.io')
    >>> registry_host("localhost:5000/api"), registry_host("docker.io/library/nginx")
    ('localhost:5000', 'docker.io')
    """
    first, slash, _ = image.split("@", 1)[0].partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


class ImageHost(CloudRunRule):
    """Every image of a rendered app names its registry host: an Artifact Registry repository
    (``LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE``), or ``docker.io/...`` for an image
    meant to come from Docker Hub.

    Cloud Run reads an image without a host (``nginx``, ``library/nginx:1.2``) as a Docker Hub
    image. An app's own image never is one: it is built from its project's Dockerfile and
    pushed to a registry of the stack. A name without a host in a rendered app is one the
    overlay did not replace (kustomize leaves a base image that no ``images:`` entry names as it
    is) or a mistyped ``--image``; the revision would run a public image of that name, with the
    app's service account and secrets, or fail to pull one. Hence an error. Plain manifest
    files are not checked: there a short Docker Hub name is what the author wrote for Cloud Run.

    Cloud Run looks an image without a host up on Docker Hub, and the deploy fails when it is
    not there.

    Bad::

        containers:
          - name: inventory-api
            image: inventory-api  # the overlay's images: entry names IMAGE_URL
          - name: cache
            image: redis:7.2.5

    Good::

        containers:
          - name: inventory-api
            image: IMAGE_URL
          - name: cache
            image: docker.io/library/redis:7.2.5
    """

    ID = "cloudrun/image-host"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.rendered:
            return
        for container in containers(manifest):
            image = container.data.get("image")
            path = (*container.path, "image")
            if not isinstance(image, str) or not image or is_templated(image, path):
                continue
            if registry_host(image) is not None:
                continue
            yield self.problem(
                manifest,
                path,
                f"image {image} of container {container.name} names no registry host: Cloud Run "
                "would pull it from Docker Hub",
                hint="name the app's own image IMAGE_URL in the base, so the overlay's `images:` "
                "entry sets the release; any other image gets its full reference "
                "(docker.io/library/NAME:TAG for a Docker Hub image)",
            )
