"""IAM roles: Google's predefined roles (the list shipped with polyinfra) and custom roles."""

from __future__ import annotations

import functools
import importlib.resources
import re
from typing import Any

from polyinfra.suggest import closest
from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)

#: Custom roles: ``projects/<project>/roles/<id>`` or ``organizations/<number>/roles/<id>``
#: (pulumi-gcp ``projects.IAMMember`` ``role``: "custom roles must be of the format
#: `[projects|organizations]/{parent-name}/roles/{role-name}`"); a role id is 3-64 letters,
#: digits, ``_`` and ``.`` (https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles).
_CUSTOM_ROLE = re.compile(
    r"(?:projects/[a-z][a-z0-9-:.]{4,61}|organizations/[0-9]+)/roles/[A-Za-z0-9_.]{3,64}",
    re.ASCII,
)


@functools.cache
def predefined_roles() -> frozenset[str]:
    """Google's predefined IAM roles, from ``data/gcp-predefined-roles.tsv`` (its header says
    where the list comes from and when it was taken)."""
    resource = importlib.resources.files("polyinfra").joinpath("data/gcp-predefined-roles.tsv")
    names = set()
    for line in resource.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("\t", 1)[0])
    return frozenset(names)


def role(value: Any) -> Any:
    """An IAM role: a predefined ``roles/<name>`` Google lists, or a custom role."""
    text = _text(value, "a role")
    if text in predefined_roles() or _CUSTOM_ROLE.fullmatch(text):
        return value
    if text.startswith("roles/"):
        close = closest(text, predefined_roles(), cutoff=0.8)
        raise InvalidValue(
            f"{shown(text)} is not a predefined IAM role",
            f"did you mean {close!r}?"
            if close
            else "see https://cloud.google.com/iam/docs/roles-permissions; a custom role is "
            "projects/<project>/roles/<id>",
        )
    raise InvalidValue(
        f"{shown(text)} is not an IAM role",
        "use roles/<name> or projects/<project>/roles/<custom>",
    )
