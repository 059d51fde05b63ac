"""IAM roles: Google's predefined roles (the list shipped with polyinfra) and custom roles."""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
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


#: Where Google lists every predefined role, its permissions and its launch stage.
ROLES_REFERENCE = "https://cloud.google.com/iam/docs/roles-permissions"


@dataclass(frozen=True)
class PredefinedRole:
    """One row of ``data/gcp-predefined-roles.tsv``: a role as Google lists it."""

    name: str
    #: Google's launch stage: ``GA``, ``BETA``, ``ALPHA``, ``DEPRECATED``...
    stage: str
    title: str


@functools.cache
def _predefined() -> dict[str, PredefinedRole]:
    resource = importlib.resources.files("polyinfra").joinpath("data/gcp-predefined-roles.tsv")
    found: dict[str, PredefinedRole] = {}
    for line in resource.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, stage, title = [*line.split("\t", 2), "", ""][:3]
            found[name] = PredefinedRole(name, stage, title)
    return found


@functools.cache
def predefined_roles() -> frozenset[str]:
    """Google's predefined IAM roles, from ``data/gcp-predefined-roles.tsv`` (its header says
    where the list comes from and when it was taken)."""
    return frozenset(_predefined())


def predefined_role(name: str) -> PredefinedRole | None:
    """The predefined role ``name`` as Google lists it (None for any other text).

    >>> predefined_role("roles/run.invoker")
    PredefinedRole(name='roles/run.invoker', stage='GA', title='Cloud Run Invoker')
    """
    return _predefined().get(name)


def deprecated_role(value: Any) -> tuple[str, str] | None:
    """``(message, hint)`` when ``value`` is a predefined role whose launch stage Google lists
    as DEPRECATED: granting it still works, but Google may remove it. None for any other value.

    >>> deprecated_role("roles/run.invoker") is None
    True
    >>> deprecated_role("roles/servicebroker.admin")[0]
    "'roles/servicebroker.admin' is deprecated: Google lists its launch stage as DEPRECATED"
    """
    found = predefined_role(value) if isinstance(value, str) else None
    if found is None or found.stage != "DEPRECATED":
        return None
    return (
        f"{shown(found.name)} is deprecated: Google lists its launch stage as DEPRECATED",
        f'its title is "{found.title}"; see {ROLES_REFERENCE} for the role to grant instead',
    )


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
            else f"see {ROLES_REFERENCE}; a custom role is projects/<project>/roles/<id>",
        )
    raise InvalidValue(
        f"{shown(text)} is not an IAM role",
        "use roles/<name> or projects/<project>/roles/<custom>",
    )
