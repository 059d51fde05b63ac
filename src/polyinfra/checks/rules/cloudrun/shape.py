"""Where things are in a Cloud Run Service or Job, and Kubernetes quantities, for the rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from polyinfra.checks.context import Manifest
from polyinfra.cloudrun.vocabulary import JOB_POD, SERVICE_POD
from polyinfra.yamlio import KeyPath

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")
DEFAULT_PORT = 8080


def pod_path(manifest: Manifest) -> KeyPath:
    """The RevisionSpec of a Service or the TaskSpec of a Job."""
    return JOB_POD if manifest.is_job else SERVICE_POD


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Container:
    """One container of a pod spec, with its path in the manifest."""

    path: KeyPath
    data: dict[str, Any]

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return value if isinstance(value, str) else f"#{self.path[-1]}"

    @property
    def ports(self) -> list[Any]:
        return sequence(self.data.get("ports"))

    def limit(self, resource: str) -> Any:
        return mapping(mapping(self.data.get("resources")).get("limits")).get(resource)


def containers(manifest: Manifest) -> list[Container]:
    base = (*pod_path(manifest), "containers")
    return [
        Container((*base, index), item)
        for index, item in enumerate(sequence(manifest.get(base)))
        if isinstance(item, dict)
    ]


def ingress_container(manifest: Manifest) -> Container | None:
    """The container that receives requests: the one with ports, or the only one."""
    items = containers(manifest)
    with_ports = [c for c in items if c.ports]
    if len(with_ports) == 1:
        return with_ports[0]
    return items[0] if len(items) == 1 else None


def env_entries(container: Container) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    for index, item in enumerate(sequence(container.data.get("env"))):
        if isinstance(item, dict):
            yield (*container.path, "env", index), item


def annotations_at(manifest: Manifest, meta: KeyPath) -> dict[str, Any]:
    return mapping(manifest.get((*meta, "annotations")))


def as_int(value: Any) -> int | None:
    """An integer field's value, also when written as a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


_CPU = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([KMGTPE]i?|k|e\d+)?$")
_MEMORY_FACTOR = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
GI = 2**30
MI = 2**20


def parse_cpu(value: Any) -> float | None:
    """``"1"``, ``"0.5"``, ``"500m"`` -> cores; None when not a CPU quantity.

    >>> parse_cpu("500m"), parse_cpu("2"), parse_cpu(1), parse_cpu("two")
    (0.5, 2.0, 1.0, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _CPU.match(value.strip())
    if not match:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) else number


def parse_memory(value: Any) -> int | None:
    """``"512Mi"``, ``"1G"``, ``"2Gi"`` -> bytes; None when not a memory quantity.

    >>> parse_memory("512Mi"), parse_memory("1G"), parse_memory("1.5Gi"), parse_memory("lots")
    (536870912, 1000000000, 1610612736, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    match = _MEMORY.match(value.strip())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or ""
    if unit.startswith("e"):
        return int(number * 10 ** int(unit[1:]))
    return int(number * _MEMORY_FACTOR[unit])


def format_memory(amount: int) -> str:
    """Bytes -> ``"512Mi"`` / ``"2Gi"`` for messages."""
    if amount % GI == 0:
        return f"{amount // GI}Gi"
    if amount % MI == 0:
        return f"{amount // MI}Mi"
    return f"{amount} bytes"


def has_key(data: object, key: str) -> bool:
    """Whether ``key`` is a key anywhere in ``data`` (a field written at another level)."""
    if isinstance(data, dict):
        return key in data or any(has_key(value, key) for value in data.values())
    if isinstance(data, list):
        return any(has_key(item, key) for item in data)
    return False
