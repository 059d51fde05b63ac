"""Any pulumi-gcp resource, declared by name under ``input:resources``: its type (a resource
class of the installed pulumi-gcp, ``gcp.<module>.<Class>``), its arguments (checked against
the class's ``*Args`` like a built-in section's), what it waits for, and references to other
resources' outputs (``${resources.<name>.<output>}``), which the program resolves when it runs.

What the installed pulumi-gcp offers is read from the package itself: its modules from its
folders, a module's resource classes from the names it exports (a class ``X`` with an
``XArgs``), a class's outputs from its properties and their ``Output[...]`` annotations.
"""

from __future__ import annotations

import collections.abc
import importlib
import importlib.util
import inspect
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from polyinfra.foundation import argspec
from polyinfra.foundation.references import ESCAPED_OPEN, OPEN, RESOURCES
from polyinfra.suggest import closest
from polyinfra.values import InvalidValue, shown
from polyinfra.yamlio import KeyPath

#: How a type is written.
TYPE_FORM = "gcp.<module>.<Class>"
#: How a reference to another resource's output is written.
REFERENCE_FORM = "${resources.<name>.<output>}"
#: A resource's name (the key under ``input:resources``): it is a segment of references and
#: part of the Pulumi resource name.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}", re.ASCII)
_MODULE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)


class AnyResource(BaseModel):
    """``input:resources.<name>``: one resource of any pulumi-gcp type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(
        description=f"The resource class, {TYPE_FORM} (e.g. gcp.sql.DatabaseInstance)."
    )
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="The class's arguments, as its *Args class names them; a string may hold "
        f"{REFERENCE_FORM}.",
    )
    depends_on: list[str] = Field(
        default_factory=list,
        description="Names of other resources under input:resources to wait for.",
    )
    protect: bool | None = Field(
        default=None,
        description="Pulumi protect and the provider's deletion protection; defaults to "
        "input:protect (true in production).",
    )


# --- types ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """A pulumi-gcp resource class: ``gcp.<module>.<name>``."""

    module: str
    name: str

    def __str__(self) -> str:
        return f"gcp.{self.module}.{self.name}"

    @property
    def args_class(self) -> str:
        """``sql.DatabaseInstanceArgs``: what :func:`polyinfra.foundation.argspec.spec` takes."""
        return f"{self.module}.{self.name}Args"

    @property
    def prefix(self) -> str:
        """The first part of its Pulumi resource name: the class name in lower case, as the
        built-in sections name theirs (``bucket_<name>``)."""
        return self.name.lower()

    def load(self, suffix: str = "") -> type:
        """The class itself (``suffix="Args"``: its arguments' class)."""
        module = importlib.import_module(f"pulumi_gcp.{self.module}")
        found: type = getattr(module, self.name + suffix)
        return found

    def protection(self, protect: bool) -> dict[str, Any]:
        """The provider's deletion protection of this class matching ``protect``, as the
        sections set it: ``deletion_protection`` when it is a boolean (Bigtable's is not),
        ``deletion_policy: PREVENT`` when the class documents that value (the few whose
        ``deletion_policy`` means something else do not)."""
        fields = argspec.spec(self.args_class).fields
        found: dict[str, Any] = {}
        if fields.get("deletion_protection") == "bool":
            found["deletion_protection"] = protect
        if protect and "deletion_policy" in fields and _documents_prevent(self.load("Args")):
            found["deletion_policy"] = "PREVENT"
        return found

    def labels_argument(self) -> str | None:
        """The argument that takes the stack's labels: ``labels`` when it is the resource's
        Google Cloud labels (pulumi-gcp gives such a resource an ``effective_labels`` output;
        a notification channel's ``labels`` are its settings, a Cloud Identity group's its
        kinds), else ``user_labels`` (Cloud Monitoring's); None when it has neither. Worked
        out once per provider version (:func:`~polyinfra.foundation.argspec.provider_fact`)."""
        found: str | None = argspec.provider_fact(
            "labels_argument",
            str(self),
            self._labels_argument,
            lambda value: value in ("labels", "user_labels", None),
        )
        return found

    def _labels_argument(self) -> str | None:
        fields = argspec.spec(self.args_class).fields
        if fields.get("labels") == ["map", "str"] and "effective_labels" in outputs(self):
            return "labels"
        if fields.get("user_labels") == ["map", "str"]:
            return "user_labels"
        return None


def type_of_token(token: str) -> ResourceType | None:
    """The class of a Pulumi type token: ``gcp:storage/bucket:Bucket`` -> ``gcp.storage.Bucket``
    (None for a token of another provider)."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "gcp":
        return None
    return ResourceType(parts[1].split("/")[0], parts[2])


def _documents_prevent(args_class: type) -> bool:
    doc = inspect.getdoc(args_class.__init__) or ""  # type: ignore[misc]
    entry = re.search(r":param [^\n]*? deletion_policy: (.*?)(?=\n\s*:param |\Z)", doc, re.S)
    return entry is not None and '"PREVENT"' in entry.group(1)


@cache
def modules() -> tuple[str, ...]:
    """The modules of the installed pulumi-gcp (``sql``, ``cloudtasks``...)."""
    found = importlib.util.find_spec("pulumi_gcp")
    if found is None or not found.submodule_search_locations:
        return ()
    root = Path(next(iter(found.submodule_search_locations)))
    return tuple(
        sorted(
            folder.name
            for folder in root.iterdir()
            if _MODULE.fullmatch(folder.name) and (folder / "__init__.py").is_file()
        )
    )


@cache
def classes(module: str) -> tuple[str, ...]:
    """The resource classes a module exports: each ``X`` that has an ``XArgs``."""
    loaded = importlib.import_module(f"pulumi_gcp.{module}")
    getattr(loaded, "__all__", None)  # a lazily imported module loads on its first attribute
    names = set(dir(loaded))
    return tuple(
        sorted(
            name
            for name in names
            if name[:1].isupper() and not name.endswith("Args") and f"{name}Args" in names
        )
    )


def parse_type(value: Any) -> ResourceType:
    """The resource class ``value`` names (``gcp.sql.DatabaseInstance``, or without ``gcp.``),
    or :class:`InvalidValue` saying what there is."""
    if not isinstance(value, str):
        raise InvalidValue(f"expected a resource type ({TYPE_FORM}), a string")
    parts = value.split(".")
    if parts[0] == "gcp":
        parts = parts[1:]
    if len(parts) != 2 or not all(parts):
        raise InvalidValue(
            f"{shown(value)} is not a resource type: write {TYPE_FORM}",
            "e.g. gcp.sql.DatabaseInstance or gcp.cloudtasks.Queue",
        )
    module, name = parts
    if module not in modules():
        close = closest(module, modules())
        raise InvalidValue(
            f"{shown(value)}: pulumi-gcp has no module '{module}'",
            f"did you mean 'gcp.{close}.{name}'?"
            if close
            else "the modules are pulumi_gcp's "
            "(https://www.pulumi.com/registry/packages/gcp/api-docs/)",
        )
    if name not in classes(module):
        known = classes(module)
        close = closest(name, known)
        raise InvalidValue(
            f"{shown(value)}: pulumi-gcp's {module} module has no resource '{name}'",
            f"did you mean 'gcp.{module}.{close}'?"
            if close
            else f"resources of gcp.{module}: " + ", ".join(known),
        )
    return ResourceType(module, name)


# --- outputs ----------------------------------------------------------------------------------

_KINDS: dict[Any, str] = {str: "str", int: "int", bool: "bool", float: "float"}


def _kind(annotation: Any) -> str:
    """The kind of value an ``Output[...]`` annotation holds (see ``Deferred.kind``)."""
    if isinstance(annotation, typing.ForwardRef):
        return "obj"
    if annotation in _KINDS:
        return _KINDS[annotation]
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Union or origin is types.UnionType:
        return _kind(args[0]) if len(args) == 1 else "any"
    if origin in (list, tuple, collections.abc.Sequence):
        return "list"
    if origin in (dict, collections.abc.Mapping):
        return "map"
    if isinstance(origin, type) and origin.__name__ == "Output":
        return _kind(args[0]) if args else "any"
    return "any"


@cache
def outputs(resource_type: ResourceType) -> dict[str, str]:
    """The outputs of a resource class (its properties, and the ``id`` and ``urn`` every
    resource has), each with the kind of value it holds."""
    cls = resource_type.load()
    found = {"id": "str", "urn": "str"}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("pulumi_gcp."):
            continue
        for name, member in vars(klass).items():
            if isinstance(member, property) and not name.startswith("_"):
                hints = getattr(member.fget, "__annotations__", {})
                found[name] = _kind(hints.get("return"))
    return found


# --- references -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRef:
    """``${resources.<name>.<output>}`` in a value: the resource, the output, the text."""

    name: str
    output: str
    text: str


@dataclass(frozen=True)
class BadRef:
    """Text that starts a resource reference but is not one: what is wrong with it."""

    text: str
    message: str


Piece = str | ResourceRef | BadRef
_REF = re.compile(r"\$\{\s*" + RESOURCES + r"\.([^}]*)\}")


def pieces(value: str) -> list[Piece] | None:
    """``value`` as literal text and resource references (None when it holds neither one nor
    an escaped one: the value is taken as it is). ``$${resources.`` is a literal
    ``${resources.``."""
    if OPEN not in value:
        return None
    found: list[Piece] = []
    literal = ""
    index = 0
    escapes = False
    while index < len(value):
        escaped = value.startswith(ESCAPED_OPEN, index)
        if escaped and value[index + len(ESCAPED_OPEN) :].lstrip().startswith(f"{RESOURCES}."):
            literal += OPEN
            index += len(ESCAPED_OPEN)
            escapes = True
            continue
        match = _REF.match(value, index) if value.startswith(OPEN, index) else None
        if match is None:
            literal += value[index]
            index += 1
            continue
        if literal:
            found.append(literal)
            literal = ""
        found.append(_reference(match.group(0), match.group(1).strip()))
        index = match.end()
    if literal:
        found.append(literal)
    return found if escapes or any(not isinstance(piece, str) for piece in found) else None


def _reference(text: str, inner: str) -> ResourceRef | BadRef:
    segments = inner.split(".")
    if len(segments) < 2 or not all(segments) or any(re.search(r"\s|\$|\{", s) for s in segments):
        return BadRef(text, f"reference '{text}' names no output: write {REFERENCE_FORM}")
    if len(segments) > 2:
        return BadRef(
            text,
            f"reference '{text}' goes below an output: a resource reference names one output, "
            f"{REFERENCE_FORM}",
        )
    return ResourceRef(segments[0], segments[1], text)


def strings(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every string in ``value`` (a mapping or list, nested), with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))
