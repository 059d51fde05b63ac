"""``kustomize edit set image NAME=REF``, reproduced on a copy of a kustomization file.

The parse of ``NAME=REF`` and the merge into ``images:`` (an entry for NAME is replaced, the
list is sorted by name, ``*`` keeps the old value) follow kustomize's ``edit set image``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from polyinfra.cloudrun.vocabulary import JOB_KIND, JOB_POD, SERVICE_KIND, SERVICE_POD
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio import load_text

#: Every scalar as its text, as kustomize reads the string fields of an images entry.
_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")

_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*|\*)$")
_PRESERVE = "*"

#: The image name the spec's manifests use in the base and that ``edit set image`` targets.
DEFAULT_IMAGE_NAME = "IMAGE_URL"


@dataclass(frozen=True)
class ImageSetting:
    """One ``images:`` entry as ``edit set image`` records it (empty string: field omitted)."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""

    def as_entry(self) -> dict[str, str]:
        entry = {"name": self.name}
        for key, value in (
            ("newName", self.new_name),
            ("newTag", self.new_tag),
            ("digest", self.digest),
        ):
            if value:
                entry[key] = value
        return entry


def parse_set_image(arg: str) -> ImageSetting:
    """Parse an ``edit set image`` argument the way kustomize does.

    >>> parse_set_image("IMAGE_URL=europe-docker.pkg.dev/p/r/api:1.2.3").new_name
    'europe-docker.pkg.dev/p/r/api'
    >>> parse_set_image("IMAGE_URL=europe-docker.pkg.dev/p/r/api:1.2.3").new_tag
    '1.2.3'
    >>> parse_set_image("IMAGE_URL=localhost:5000/api@sha256:abc").digest
    'sha256:abc'
    """
    parts = arg.split("=", 1)
    if len(parts) == 2:
        new_name, tag, digest = _overwrite(parts[1], image=True)
        return ImageSetting(name=parts[0], new_name=new_name, new_tag=tag, digest=digest)
    name, tag, digest = _overwrite(arg, image=False)
    return ImageSetting(name=name, new_tag=tag, digest=digest)


def _overwrite(arg: str, *, image: bool) -> tuple[str, str, str]:
    """``(name, tag, digest)`` of ``<image>[:<tag>]@<digest>``, ``<image>:<tag>`` or
    ``<image>``."""
    at = arg.split("@")
    if len(at) > 1:
        tagged = _TAG.match(at[0])
        if tagged:
            return tagged.group(1), tagged.group(2), at[1]
        return at[0], "", at[1]
    match = _TAG.match(arg)
    if match:
        return match.group(1), match.group(2), ""
    if arg and image:
        return arg, "", ""
    raise UserError(
        f"invalid image {arg!r}",
        hint="use <image>=<newimage>:<newtag>, <image>=<newimage>@<digest> or <image>=<newimage>",
    )


def merge_images(existing: list[dict[str, Any]], setting: ImageSetting) -> list[dict[str, str]]:
    """The ``images:`` list after ``edit set image``: ``setting`` replaces the entry with its
    name (``*`` fields keep the old value), other entries stay, sorted by name."""
    by_name: dict[str, ImageSetting] = {}
    for entry in existing:
        if not isinstance(entry, dict) or "name" not in entry:
            continue
        by_name[str(entry["name"])] = ImageSetting(
            name=str(entry["name"]),
            new_name=str(entry.get("newName") or ""),
            new_tag=str(entry.get("newTag") or ""),
            digest=str(entry.get("digest") or ""),
        )
    old = by_name.get(setting.name)
    new = setting
    if old is not None:
        new = ImageSetting(
            name=setting.name,
            new_name=old.new_name if setting.new_name == _PRESERVE else setting.new_name,
            new_tag=old.new_tag if setting.new_tag == _PRESERVE else setting.new_tag,
            digest=old.digest if setting.digest == _PRESERVE else setting.digest,
        )
    by_name[setting.name] = ImageSetting(
        name=new.name,
        new_name="" if new.new_name == _PRESERVE else new.new_name,
        new_tag="" if new.new_tag == _PRESERVE else new.new_tag,
        digest="" if new.digest == _PRESERVE else new.digest,
    )
    return [by_name[name].as_entry() for name in sorted(by_name)]


def set_image(kustomization: Path, setting: ImageSetting) -> None:
    """Rewrite ``images:`` of the kustomization file at ``kustomization`` (a temporary copy:
    never call this on the user's tree) as ``kustomize edit set image`` would.

    Only the top-level ``images:`` block is rewritten; every other byte stays, so nothing else
    is read again with other YAML rules (``yes``, ``0755``, ``1.10`` keep their meaning). Files
    whose ``images:`` is not a plain block go through a comment-keeping round trip instead.
    """
    text = kustomization.read_text(encoding="utf-8")
    span = _images_block(text)
    if span is None:
        _set_image_round_trip(kustomization, text, setting)
        return
    start, end = span
    try:
        block = yaml.load(text[start:end], Loader=_BaseLoader) if end > start else None
    except yaml.YAMLError:
        _set_image_round_trip(kustomization, text, setting)  # reports the position
        return
    existing = block.get("images") if isinstance(block, dict) else None
    if existing is not None and not isinstance(existing, list):
        _set_image_round_trip(kustomization, text, setting)
        return
    lines = ["images:"]
    for entry in merge_images(list(existing or []), setting):
        for i, (key, value) in enumerate(entry.items()):
            lines.append(f"{'- ' if i == 0 else '  '}{key}: {json.dumps(value)}")
    head = text[:start]
    if head and not head.endswith("\n"):
        head += "\n"
    kustomization.write_text(head + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")


_TOP_KEY = re.compile(r"^[^\s#-]")
_IMAGES_KEY = re.compile(r"^images\s*:\s*(#.*)?$")


def _images_block(text: str) -> tuple[int, int] | None:
    """``(start, end)`` offsets of the top-level ``images:`` block (empty at the end of the
    text when there is none); None when the file is not plain enough to splice."""
    if _ALIAS.search(text) or re.search(r"^(---|\.\.\.|%)", text, re.MULTILINE):
        return None
    lines = text.splitlines(keepends=True)
    offset = 0
    start = end = -1
    for line in lines:
        if start >= 0 and end < 0 and _TOP_KEY.match(line):
            end = offset
        if line.startswith("imageTags"):
            return None  # the deprecated field the edit merges into images: round trip
        if line.startswith("images"):
            if start >= 0 or not _IMAGES_KEY.match(line.rstrip("\n")):
                return None  # flow style (images: [...]) or a second images key
            start = offset
        elif _TOP_KEY.match(line) and not re.match(r"^[\w.\"'-]+\s*:", line):
            return None  # the top level is not a plain block mapping
        offset += len(line)
    if start < 0:
        return len(text), len(text)
    return start, end if end >= 0 else len(text)


def _mapping(data: Any, path: Path) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError("a kustomization must be a mapping", position=Position(path, 1, 1))
    return data


def _set_image_round_trip(kustomization: Path, text: str, setting: ImageSetting) -> None:
    yaml_rt = YAML(typ="rt")
    yaml_rt.preserve_quotes = True
    try:
        data = yaml_rt.load(text)
    except YAMLError:
        load_text(text, kustomization)  # raises with file:line:col
        raise
    data = CommentedMap() if data is None else data
    _mapping(data, kustomization)
    # kustomize's edit first moves the deprecated `imageTags` into `images`
    legacy = list(data.pop("imageTags", None) or [])
    data["images"] = merge_images([*list(data.get("images") or []), *legacy], setting)
    out = StringIO()
    yaml_rt.dump(data, out)
    kustomization.write_text(out.getvalue(), encoding="utf-8")


def image_name(ref: str) -> str:
    """The name an ``images:`` entry matches: ``ref`` without its tag and digest.

    >>> image_name("localhost:5000/team/api:1.2@sha256:abc")
    'localhost:5000/team/api'
    >>> image_name("kustomize-example")
    'kustomize-example'
    """
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name


def short_name(ref: str) -> str:
    """The last path segment of an image's name, as apps and artifacts are named.

    >>> short_name("europe-docker.pkg.dev/acme/apps/inventory-api:1.2.3")
    'inventory-api'
    """
    return image_name(ref).rsplit("/", 1)[-1]


#: Where a kind keeps its containers: a Job has one template level more than a Service.
_CONTAINERS: dict[str, tuple[str, ...]] = {
    SERVICE_KIND: (*SERVICE_POD, "containers"),
    JOB_KIND: (*JOB_POD, "containers"),
}


@dataclass(frozen=True)
class ContainerImage:
    """A container of a rendered Cloud Run Service or Job and the image it runs."""

    kind: str
    object_name: str
    name: str
    image: str

    def describe(self) -> str:
        return f"{self.kind}/{self.object_name} container {self.name or '(unnamed)'}: " + (
            self.image or "(no image)"
        )


def containers_of(text: str) -> list[ContainerImage]:
    """Every container of the Cloud Run Services and Jobs in a kustomize output stream."""
    found: list[ContainerImage] = []
    for data in yaml.load_all(text, Loader=_BaseLoader):
        if not isinstance(data, dict) or data.get("kind") not in _CONTAINERS:
            continue
        meta = data.get("metadata")
        object_name = str(meta.get("name", "")) if isinstance(meta, dict) else ""
        items: Any = data
        for key in _CONTAINERS[str(data["kind"])]:
            items = items.get(key) if isinstance(items, dict) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                found.append(
                    ContainerImage(
                        kind=str(data["kind"]),
                        object_name=object_name,
                        name=str(item.get("name") or ""),
                        image=str(item.get("image") or ""),
                    )
                )
    return found


def holds_image(text: str, ref: str) -> bool:
    """Whether a container of the output runs ``ref``."""
    if f"image: {ref}\n" in text:  # kustomize writes an image as a plain scalar
        return True
    return any(c.image == ref for c in containers_of(text))


def named_after(container: ContainerImage, app: str, ref: str) -> bool:
    """Whether the container's image is named after ``app`` or after the image ``ref``
    (the last segment of the name; ``-`` and ``_`` alike, case ignored)."""
    if not container.image:
        return False
    return _normal(short_name(container.image)) in {_normal(app), _normal(short_name(ref))}


def app_container(containers: list[ContainerImage], app: str, ref: str) -> ContainerImage | None:
    """The container an image for ``app`` belongs to: the only one, else the only one whose
    image is named after the app or after the image ``ref``; None when that is not clear."""
    if len(containers) == 1:
        return containers[0]
    named = [c for c in containers if named_after(c, app, ref)]
    return named[0] if len(named) == 1 else None


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def entry_for(entries: list[dict[str, str]], image: str) -> str:
    """The name ``edit set image`` must target so that the container now running ``image``
    runs another one: the ``images:`` entry that produced ``image`` (the last applied, since
    kustomize applies the entries in order, each to the result of the one before), else the
    image's own name."""
    name = image_name(image)
    for entry in reversed(entries):
        if (entry.get("newName") or entry["name"]) == name:
            return entry["name"]
    return name
