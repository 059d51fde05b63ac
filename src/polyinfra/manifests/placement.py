"""Where the image goes in a render: the ``images:`` name ``edit set image`` targets first, and,
for an explicit image that ``IMAGE_URL`` does not take, the app's container that gets it
instead (or the error saying why no container is clear)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from polyinfra.errors import UserError, UserErrors
from polyinfra.manifests.images import (
    DEFAULT_IMAGE_NAME,
    ContainerImage,
    ImageSetting,
    app_container,
    containers_of,
    entry_for,
    holds_image,
    named_after,
    short_name,
)
from polyinfra.manifests.kustomization import load_kustomization
from polyinfra.manifests.rendered import RenderRequest
from polyinfra.manifests.tree import KustomizeTree
from polyinfra.positions import Position


def first_image_name(request: RenderRequest, tree: KustomizeTree) -> str:
    """The image ``edit set image`` targets first: ``IMAGE_URL``, or the overlay's one
    ``images:`` entry when it names one other image and the image was not asked for (an
    explicit image is placed by container instead, which also finds that entry when it is the
    app's and never lands in a sidecar's)."""
    names = [entry.name for entry in tree.overlay.images]
    if request.explicit or DEFAULT_IMAGE_NAME in names or len(names) != 1:
        return DEFAULT_IMAGE_NAME
    return names[0]


def image_placements(
    requests: Sequence[RenderRequest], trees: Sequence[KustomizeTree], outputs: Sequence[str]
) -> dict[int, str]:
    """For each explicit image that did not land through ``IMAGE_URL``: the image name to set
    instead, that of the app's container (the only one, else the only one whose image is named
    after the app or the image), or of the ``images:`` entry of the overlay that produced it.

    UserErrors for the apps with no clear container.
    """
    found: dict[int, str] = {}
    errors: list[UserError] = []
    for i, (request, tree, text) in enumerate(zip(requests, trees, outputs, strict=True)):
        if not request.explicit or holds_image(text, request.image):
            continue
        containers = containers_of(text)
        chosen = app_container(containers, request.app, request.image)
        if chosen is None or not chosen.image:
            errors.append(_unplaceable(request, tree, containers, chosen))
            continue
        entries = [
            ImageSetting(e.name, e.new_name or "", e.new_tag or "", e.digest or "").as_entry()
            for e in sorted(tree.overlay.images, key=lambda e: e.name)
            if e.name != DEFAULT_IMAGE_NAME
        ]
        found[i] = entry_for(entries, chosen.image)
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return found


def _overlay_position(tree: KustomizeTree) -> Position:
    """The overlay's ``images:`` key, else its start (read again: the tree has no positions)."""
    overlay = load_kustomization(tree.overlay.directory, bounds=tree.bounds)
    return overlay.position(("images",)) if overlay.images else overlay.start


_PLACE_HINT = (
    "write `image: IMAGE_URL` for the app's container in the base (the image that --image, "
    "--registry and the stack's registry replace), or name the container's image after the app"
)


def _unplaceable(
    request: RenderRequest,
    tree: KustomizeTree,
    containers: Sequence[ContainerImage],
    chosen: ContainerImage | None,
) -> UserError:
    head = f"{request.app} ({request.env}): cannot set the image {request.image}"
    if chosen is not None:
        why = f"its container {chosen.name or '(unnamed)'} has no image to replace"
    elif not containers:
        why = "the overlay renders no Cloud Run Service or Job with a container"
    else:
        listed = "; ".join(c.describe() for c in containers)
        named = sum(1 for c in containers if named_after(c, request.app, request.image))
        after = sorted({request.app, short_name(request.image)})
        why = (
            f"no container runs {DEFAULT_IMAGE_NAME}, and of the {len(containers)} containers "
            f"the overlay renders ({listed}), {'none is' if named == 0 else f'{named} are'} "
            f"named after the app or the image ({' or '.join(repr(n) for n in after)})"
        )
    return UserError(f"{head}: {why}", position=_overlay_position(tree), hint=_PLACE_HINT)


def refuse_unplaced(
    requests: Sequence[RenderRequest],
    trees: Sequence[KustomizeTree],
    outputs: Sequence[str],
    placements: Mapping[int, str],
) -> None:
    """An image set for a container's own name must have reached it (an ``images:`` chain the
    overlay writes can turn it into another)."""
    errors = [
        UserError(
            f"{requests[i].app} ({requests[i].env}): `kustomize edit set image {name}="
            f"{requests[i].image}` did not reach the app's container",
            position=_overlay_position(trees[i]),
            hint=_PLACE_HINT,
        )
        for i, name in placements.items()
        if not holds_image(outputs[i], requests[i].image)
    ]
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
