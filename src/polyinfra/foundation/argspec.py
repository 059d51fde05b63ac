"""What the installed pulumi-gcp accepts: argument names, types, required keys and documented
values, read from the ``*Args`` classes' constructor signatures and docstrings (nested args
too), cached in memory and on disk.

The disk cache is keyed by the pulumi-gcp version, so offline validation does not pay for
importing pulumi-gcp yet never drifts from the provider that ``pulumi up`` will use.
"""

from __future__ import annotations

import collections.abc
import importlib
import importlib.metadata
import inspect
import json
import math
import os
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from polyinfra.foundation.deferred import Deferred, deferred_matches, holds_deferred
from polyinfra.suggest import closest
from polyinfra.values import Check, InvalidValue, each, one_of

#: A type expression: ``"str" | "bool" | "int" | "float" | "any"`` or
#: ``["list", T]`` / ``["map", T]`` / ``["obj", "<module>:<ArgsClass>"]`` / ``["union", [T, ...]]``.
TypeExpr = Any

_CACHE_FORMAT = 2
_SCALARS: dict[Any, str] = {str: "str", bool: "bool", int: "int", float: "float", Any: "any"}
_SEQUENCES = (collections.abc.Sequence, list, typing.Sequence)
_MAPPINGS = (collections.abc.Mapping, dict, typing.Mapping)


@dataclass(frozen=True)
class ArgsSpec:
    """The arguments of one ``*Args`` class: name -> type, which ones have no default, and the
    values the provider documents for some (a string's, or each list item's)."""

    key: str
    fields: dict[str, TypeExpr]
    required: frozenset[str]
    choices: dict[str, tuple[str, ...]]

    @property
    def name(self) -> str:
        """The class name: ``BucketArgs``."""
        return self.key.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class ArgIssue:
    """A value that the provider would reject; ``path`` is relative to the checked mapping.
    ``of_value``: the value has the right shape and type but is not of its kind (a format that
    does not exist, a negative count), which leaves the rest of the config readable."""

    path: tuple[str | int, ...]
    message: str
    hint: str | None = None
    at_key: bool = False
    of_value: bool = False


# --- introspection ---------------------------------------------------------------------------


def _is_output_ref(arg: Any) -> bool:
    return isinstance(arg, typing.ForwardRef) and arg.__forward_arg__.startswith("Output")


def _type_expr(annotation: Any, namespace: dict[str, Any], found: list[type]) -> TypeExpr | None:
    """Translate a constructor annotation into a type expression (None: not a plain value)."""
    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    if isinstance(annotation, typing.ForwardRef):
        name = annotation.__forward_arg__
        if name.startswith("Output"):
            return None
        target = namespace.get(name)
        if isinstance(target, type):
            found.append(target)
            return ["obj", f"{target.__module__}:{target.__qualname__}"]
        return "any"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        options: list[TypeExpr] = []
        for arg in args:
            if arg is type(None) or _is_output_ref(arg):
                continue
            if typing.get_origin(arg) is collections.abc.Awaitable:
                continue
            expr = _type_expr(arg, namespace, found)
            if expr is not None and expr not in options:
                options.append(expr)
        if not options:
            return "any"
        return options[0] if len(options) == 1 else ["union", options]
    if origin in _SEQUENCES:
        return ["list", _type_expr(args[0], namespace, found) if args else "any"]
    if origin in _MAPPINGS:
        return ["map", _type_expr(args[1], namespace, found) if len(args) == 2 else "any"]
    if origin is collections.abc.Awaitable:
        return None
    return "any"


#: How pulumi-gcp documents an argument's complete list of values (its generator writes the
#: API's enum this way: "Possible values are: `DELETE`, `KEEP`."; for a list argument, "Each
#: value may be one of: ..."). Other wordings ("Supported values include") are not exhaustive.
_POSSIBLE_VALUES = re.compile(
    r"(?:Possible values are|Each value may be one of):\s*((?:`[^`]+`(?:,\s*)?)+)"
)


def _documented_values(doc: str, name: str) -> list[str] | None:
    """The values the ``:param ... name:`` entry of ``doc`` lists as possible, if it does."""
    entry = re.search(rf":param [^\n]*? {re.escape(name)}: (.*?)(?=\n\s*:param |\Z)", doc, re.S)
    if entry is None:
        return None
    found = _POSSIBLE_VALUES.search(entry.group(1))
    return re.findall(r"`([^`]+)`", found.group(1)) if found else None


def _introspect(cls: type, into: dict[str, dict[str, Any]]) -> None:
    key = f"{cls.__module__}:{cls.__qualname__}"
    if key in into:
        return
    namespace = vars(sys.modules[cls.__module__])
    fields: dict[str, TypeExpr] = {}
    required: list[str] = []
    choices: dict[str, list[str]] = {}
    found: list[type] = []
    into[key] = {"fields": fields, "required": required, "choices": choices}
    doc = inspect.getdoc(cls.__init__) or ""  # type: ignore[misc]
    for name, param in inspect.signature(cls).parameters.items():
        if name in ("self", "__self__") or param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        fields[name] = _type_expr(param.annotation, namespace, found) or "any"
        if param.default is inspect.Parameter.empty:
            required.append(name)
        documented = _documented_values(doc, name)
        if documented and fields[name] in ("str", ["list", "str"]):
            choices[name] = documented
    for nested in found:
        _introspect(nested, into)


@cache
def provider_version() -> str:
    """The installed pulumi-gcp version."""
    return importlib.metadata.version("pulumi-gcp")


def _cache_file(version: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyinfra" / f"pulumi-gcp-{version}-args-v{_CACHE_FORMAT}.json"


def _facts_file(version: str) -> Path:
    return _cache_file(version).with_name(f"pulumi-gcp-{version}-facts-v{_CACHE_FORMAT}.json")


#: What :func:`provider_fact` worked out, by kind then key, as stored for this provider
_FACTS: dict[str, dict[str, Any]] | None = None


def provider_fact(
    kind: str, key: str, compute: Callable[[], Any], valid: Callable[[Any], bool]
) -> Any:
    """A fact about the installed pulumi-gcp (``kind`` ``"labels_argument"``, ``key`` a class):
    ``compute()`` the first time on this machine, then read from a file of this provider
    version's facts in the user's cache folder (a check whose plans come from the cache need
    not import the provider's modules to know them). ``compute()`` returns JSON values. The
    file holds the provider's version and polyinfra's code digest (the code works the facts
    out): another's is ignored, as is an unreadable file and a stored value ``valid``
    refuses; an unwritable file only costs speed."""
    from polyinfra.cache import code_digest

    global _FACTS
    version = provider_version()
    path = _facts_file(version)
    if _FACTS is None:
        _FACTS = {}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if (
                isinstance(stored, dict)
                and stored.get("version") == version
                and stored.get("code") == code_digest()
            ):
                _FACTS = {k: v for k, v in stored.get("facts", {}).items() if isinstance(v, dict)}
        except (OSError, ValueError, AttributeError):
            pass
    known = _FACTS.setdefault(kind, {})
    if key in known and valid(known[key]):
        return known[key]
    value = compute()
    known[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        record = {"version": version, "code": code_digest(), "facts": _FACTS}
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return value


#: Every ``*Args`` class the foundation program passes user keys to, as ``module.Class``: the
#: models name theirs with these, the builders pass them on.
SERVICE_ACCOUNT_ARGS = "serviceaccount.AccountArgs"
IAM_MEMBER_ARGS = "projects.IAMMemberArgs"
SERVICE_ARGS = "projects.ServiceArgs"
REPOSITORY_ARGS = "artifactregistry.RepositoryArgs"
DATASET_ARGS = "bigquery.DatasetArgs"
TABLE_ARGS = "bigquery.TableArgs"
BUCKET_ARGS = "storage.BucketArgs"
SCHEDULER_JOB_ARGS = "cloudscheduler.JobArgs"
TOPIC_ARGS = "pubsub.TopicArgs"
SUBSCRIPTION_ARGS = "pubsub.SubscriptionArgs"
SECRET_ARGS = "secretmanager.SecretArgs"
LOG_METRIC_ARGS = "logging.MetricArgs"
ALERT_POLICY_ARGS = "monitoring.AlertPolicyArgs"
DASHBOARD_ARGS = "monitoring.DashboardArgs"
NETWORK_ARGS = "compute.NetworkArgs"
SUBNETWORK_ARGS = "compute.SubnetworkArgs"
NOTIFICATION_CHANNEL_ARGS = "monitoring.NotificationChannelArgs"
ROOT_ARGS: tuple[tuple[str, str], ...] = tuple(
    (module, name)
    for module, _, name in (
        SERVICE_ACCOUNT_ARGS.partition("."),
        IAM_MEMBER_ARGS.partition("."),
        SERVICE_ARGS.partition("."),
        REPOSITORY_ARGS.partition("."),
        DATASET_ARGS.partition("."),
        TABLE_ARGS.partition("."),
        BUCKET_ARGS.partition("."),
        SCHEDULER_JOB_ARGS.partition("."),
        TOPIC_ARGS.partition("."),
        SUBSCRIPTION_ARGS.partition("."),
        SECRET_ARGS.partition("."),
        LOG_METRIC_ARGS.partition("."),
        ALERT_POLICY_ARGS.partition("."),
        DASHBOARD_ARGS.partition("."),
        NETWORK_ARGS.partition("."),
        SUBNETWORK_ARGS.partition("."),
        NOTIFICATION_CHANNEL_ARGS.partition("."),
    )
)


@cache
def _table() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """All specs (key -> raw spec) plus root name (``"storage.BucketArgs"``) -> key."""
    version = provider_version()
    path = _cache_file(version)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("roots") and set(cached["roots"]) == {f"{m}.{c}" for m, c in ROOT_ARGS}:
            return cached["specs"], cached["roots"]
    except (OSError, ValueError, AttributeError):
        pass
    specs: dict[str, dict[str, Any]] = {}
    roots: dict[str, str] = {}
    for module_name, class_name in ROOT_ARGS:
        module = importlib.import_module(f"pulumi_gcp.{module_name}")
        cls = getattr(module, class_name)
        roots[f"{module_name}.{class_name}"] = f"{cls.__module__}:{cls.__qualname__}"
        _introspect(cls, specs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"roots": roots, "specs": specs}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # an unwritable cache only costs speed
    return specs, roots


#: Specs of the Args classes introspected on demand (any other resource's, under
#: ``input:resources``), with their nested classes: kept in memory only.
_MORE_SPECS: dict[str, dict[str, Any]] = {}
_MORE_ROOTS: dict[str, str] = {}
_MODULE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)


def _introspect_more(name: str) -> str:
    """Introspect ``name`` (``"sql.DatabaseInstanceArgs"``, any pulumi_gcp module's Args class)
    into the in-memory specs and return its key; KeyError when there is no such class."""
    if name in _MORE_ROOTS:
        return _MORE_ROOTS[name]
    module_name, _, class_name = name.partition(".")
    if not _MODULE.fullmatch(module_name) or not class_name.endswith("Args"):
        raise KeyError(name)
    try:
        module = importlib.import_module(f"pulumi_gcp.{module_name}")
    except ImportError:
        raise KeyError(name) from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise KeyError(name)
    specs, _ = _table()
    key = f"{cls.__module__}:{cls.__qualname__}"
    if key not in specs:
        _introspect(cls, _MORE_SPECS)
    _MORE_ROOTS[name] = key
    return key


_FORCES_NEW = re.compile(r"Changing this forces a new resource to be created", re.I)


@cache
def replacing_fields(type_token: str) -> frozenset[str]:
    """The arguments whose change replaces a resource of ``type_token``
    (``gcp:bigquery/dataset:Dataset``), as the provider's documentation of its Args class says
    ("Changing this forces a new resource to be created"); empty when the class is unknown.
    The documentation does not say it of every such argument: callers add what they know."""
    _, _, path = type_token.partition(":")
    module, _, class_name = path.rpartition(":")
    module = module.split("/", 1)[0]
    if not _MODULE.fullmatch(module) or not class_name:
        return frozenset()
    try:
        cls = getattr(importlib.import_module(f"pulumi_gcp.{module}"), f"{class_name}Args")
    except (ImportError, AttributeError):
        return frozenset()
    doc = inspect.getdoc(cls.__init__) or ""
    entries = re.finditer(r":param [^\n]*? (\w+): (.*?)(?=\n\s*:param |\Z)", doc, re.S)
    return frozenset(m.group(1) for m in entries if _FORCES_NEW.search(m.group(2)))


@cache
def spec(name: str) -> ArgsSpec:
    """The spec of a root class (``"storage.BucketArgs"``), of a nested key, or of any other
    pulumi_gcp Args class named ``"<module>.<Class>Args"`` (introspected when first asked
    for; KeyError when there is none)."""
    specs, roots = _table()
    key = roots.get(name, name)
    raw = specs.get(key) or _MORE_SPECS.get(key)
    if raw is None:
        key = _introspect_more(name)
        raw = specs.get(key) or _MORE_SPECS[key]
    return ArgsSpec(
        key=key,
        fields=raw["fields"],
        required=frozenset(raw["required"]),
        choices={name: tuple(items) for name, items in raw.get("choices", {}).items()},
    )


# --- validation ------------------------------------------------------------------------------


#: What an encrypted (``secure:``) value reads as offline, where it cannot be decrypted.
SECRET_PLACEHOLDER = "[secret]"


def is_secret(value: Any) -> bool:
    """A Pulumi encrypted config value (``{secure: ...}``) — a string we must never print."""
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


_KIND_NAMES = {
    "str": "a string",
    "bool": "a boolean (true/false)",
    "int": "an integer",
    "float": "a number",
    "list": "a list",
    "map": "a mapping",
    "obj": "a mapping",
}


def describe(value: Any) -> str:
    """What a YAML value is, in words (never the value itself: it may be a secret)."""
    if value is None:
        return "null"
    if isinstance(value, Deferred):
        return value.what
    if is_secret(value):
        return "an encrypted (secure) value"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def expected(expr: TypeExpr) -> str:
    """``expr`` in words."""
    if isinstance(expr, str):
        return _KIND_NAMES.get(expr, "any value")
    if expr[0] == "union":
        return " or ".join(expected(option) for option in expr[1])
    return _KIND_NAMES[expr[0]]


def unknown_key_issue(path: tuple[str | int, ...], key: str, allowed: list[str]) -> ArgIssue:
    """The error for a key the receiver does not accept, with a "did you mean"."""
    close = closest(key, allowed)
    hint = f"did you mean '{close}'?" if close else "accepted keys: " + ", ".join(sorted(allowed))
    return ArgIssue((*path, key), f"unknown key '{key}'", hint, at_key=True)


def _matches(value: Any, expr: TypeExpr) -> bool:
    if isinstance(value, Deferred):
        return deferred_matches(value.kind, expr)
    if expr == "any":
        return True
    if is_secret(value):
        return bool(expr == "str")
    if expr == "str":
        return isinstance(value, str)
    if expr == "bool":
        return isinstance(value, bool)
    if expr == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if expr == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kind = expr[0]
    if kind == "list":
        return isinstance(value, list)
    if kind in ("map", "obj"):
        return isinstance(value, dict)
    return any(_matches(value, option) for option in list(expr[1]))


#: The largest integer Pulumi carries exactly: it passes numbers to the provider as doubles.
MAX_SAFE_INTEGER = 2**53 - 1

#: What a value check says about an argument: ``<ArgsClass>.<argument>`` -> check.
ValueChecks = collections.abc.Mapping[str, Check]


def check_value(
    value: Any,
    expr: TypeExpr,
    path: tuple[str | int, ...],
    *,
    values: ValueChecks | None = None,
) -> Iterator[ArgIssue]:
    """Issues of ``value`` against ``expr``, recursively (``values``: see :func:`check_args`)."""
    if isinstance(value, Deferred):
        if not _matches(value, expr):
            yield ArgIssue(path, f"expected {expected(expr)}, got {describe(value)}")
        return
    if isinstance(expr, list) and expr[0] == "union":
        for option in expr[1]:
            if _matches(value, option):
                yield from check_value(value, option, path, values=values)
                return
    if not _matches(value, expr):
        scalar = isinstance(value, int | float)  # bool is an int too
        hint = "quote it to make it a string" if expr == "str" and scalar else None
        yield ArgIssue(path, f"expected {expected(expr)}, got {describe(value)}", hint)
        return
    if expr == "int" and abs(value) > MAX_SAFE_INTEGER:
        yield ArgIssue(
            path, f"the integer is out of range: Pulumi carries at most {MAX_SAFE_INTEGER:,}"
        )
        return
    if expr == "float" and isinstance(value, float) and not math.isfinite(value):
        yield ArgIssue(path, f"expected a finite number, got {value}")
        return
    if isinstance(expr, str) or is_secret(value):
        return
    kind, inner = expr
    if kind == "list":
        for index, item in enumerate(value):
            yield from check_value(item, inner, (*path, index), values=values)
    elif kind == "map":
        for key, item in value.items():
            yield from check_value(item, inner, (*path, str(key)), values=values)
    elif kind == "obj":
        yield from check_args(value, inner, path, values=values)


def _value_issues(
    args: ArgsSpec, key: str, value: Any, path: tuple[str | int, ...], values: ValueChecks
) -> Iterator[ArgIssue]:
    """Issues of a well-typed ``value`` of argument ``key``: the provider's documented values,
    then the kind of value ``values`` gives it."""
    if is_secret(value) or value == SECRET_PLACEHOLDER or holds_deferred(value):
        return  # an encrypted value cannot be read offline, nor an output before it exists
    checks: list[Check] = []
    documented = args.choices.get(key)
    if documented:
        allowed = one_of(documented, f"a value of {key}")
        checks.append(allowed if isinstance(value, str) else each(allowed))
    own = values.get(f"{args.name}.{key}")
    if own is not None:
        checks.append(own)
    for check in checks:
        try:
            check(value)
        except InvalidValue as exc:
            yield ArgIssue(
                (*path, *exc.at), exc.message, exc.hint, at_key=exc.at_key, of_value=True
            )
            return


def check_args(
    arguments: dict[str, Any],
    name: str,
    path: tuple[str | int, ...] = (),
    *,
    supplied: collections.abc.Set[str] = frozenset(),
    excluded: collections.abc.Set[str] = frozenset(),
    values: ValueChecks | None = None,
) -> Iterator[ArgIssue]:
    """Issues of ``arguments`` as the keyword arguments of ``name`` (an Args class).

    ``supplied`` are arguments the program sets itself (not required from the user);
    ``excluded`` are arguments the user may not set because the program owns them. A value of
    the right type must also be one the provider documents as possible, and pass the check
    ``values`` gives its ``<ArgsClass>.<argument>`` (at any depth).
    """
    args = spec(name)
    allowed = [field for field in args.fields if field not in excluded]
    for key, value in arguments.items():
        if key not in args.fields or key in excluded:
            if key in excluded:
                yield ArgIssue(
                    (*path, key),
                    f"'{key}' is set by the foundation program and cannot be given here",
                    "remove it",
                    at_key=True,
                )
            else:
                yield unknown_key_issue(path, str(key), allowed)
            continue
        issues = list(check_value(value, args.fields[key], (*path, key), values=values))
        yield from issues
        if not issues:
            yield from _value_issues(args, key, value, (*path, key), values or {})
    for key in sorted(args.required - set(arguments) - set(supplied)):
        yield ArgIssue(path, f"missing required key '{key}'", f"add '{key}'")


def field_names(name: str) -> list[str]:
    """Argument names of an Args class, in signature order."""
    return list(spec(name).fields)
