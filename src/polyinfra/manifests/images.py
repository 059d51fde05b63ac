"""``kustomize edit set image NAME=REF``, reproduced on a copy of a kustomization file.

The parse of ``NAME=REF`` and the merge into ``images:`` (an entry for NAME is replaced, the
list is sorted by name, ``*`` keeps the old value) follow kustomize's ``edit set image``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.yamlio import load_text

_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FastDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
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
    parts = arg.split("=")
    if len(parts) == 2:
        new_name, tag, digest = _overwrite(parts[1], image=True)
        return ImageSetting(name=parts[0], new_name=new_name, new_tag=tag, digest=digest)
    name, tag, digest = _overwrite(arg, image=False)
    return ImageSetting(name=name, new_tag=tag, digest=digest)


def _overwrite(arg: str, *, image: bool) -> tuple[str, str, str]:
    """``(name, tag, digest)`` of ``<image>@<digest>``, ``<image>:<tag>`` or ``<image>``."""
    at = arg.split("@")
    if len(at) > 1:
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

    Like kustomize's own edit, the file is written back from its data (the values, and so the
    build, are unchanged; layout and comments are not kept).
    """
    text = kustomization.read_text(encoding="utf-8")
    if _ALIAS.search(text):
        _set_image_round_trip(kustomization, text, setting)
        return
    try:
        data = yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError:
        _set_image_round_trip(kustomization, text, setting)  # reports the position
        return
    data = _mapping(data, kustomization)
    data["images"] = merge_images(list(data.get("images") or []), setting)
    kustomization.write_text(
        yaml.dump(
            data,
            Dumper=_FastDumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1 << 30,
        ),
        encoding="utf-8",
    )


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
    data["images"] = merge_images(list(data.get("images") or []), setting)
    out = StringIO()
    yaml_rt.dump(data, out)
    kustomization.write_text(out.getvalue(), encoding="utf-8")
