"""Plans kept in the cache (:mod:`polyinfra.cache`), keyed by the stack file, every file of the
Pulumi program's folder (other stacks' files aside), and the versions of polyinfra, pulumi and
pulumi-gcp. A stack file that references another program's outputs is planned every time: its
config depends on files its key does not name."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from polyinfra.cache import Cache, code_digest, digest, file_digest, folder_digest, package_version
from polyinfra.foundation.model import ConfigWarning, StackConfig
from polyinfra.foundation.plan.model import Plan, PlannedResource, PlanNote
from polyinfra.positions import Position

log = logging.getLogger(__name__)

KIND = "plan"
_STACK_FILE = re.compile(r"Pulumi\.[^/]+\.ya?ml")


def plan_versions() -> dict[str, str]:
    """The versions a plan depends on besides the files: polyinfra (with its source), pulumi
    and pulumi-gcp."""
    return {
        "polyinfra": code_digest(),
        "pulumi": package_version("pulumi"),
        "pulumi-gcp": package_version("pulumi-gcp"),
    }


def plan_key(program_dir: Path, stack: str, stack_path: Path) -> str:
    """The key of ``stack``'s plan: what the plan is computed from."""
    program_files = folder_digest(
        program_dir,
        skip=frozenset(
            p.name for p in program_dir.glob("Pulumi.*.y*ml") if _STACK_FILE.match(p.name)
        ),
    )
    return digest(
        KIND,
        str(program_dir.resolve()),
        stack,
        str(stack_path.resolve()),
        file_digest(stack_path),
        program_files,
        plan_versions(),
    )


def cached_plan(
    cache: Cache | None,
    program_dir: Path,
    stack: str,
    config: StackConfig,
    stack_path: Path,
    *,
    references: bool = False,
) -> Plan:
    """``plan_stack(program_dir, stack, config=config)``, from ``cache`` when it holds the plan
    of exactly these inputs (stored there otherwise). ``references``: the stack file reads
    another program's outputs (never cached)."""
    from polyinfra.foundation.plan.run import plan_stack

    if cache is None or references:
        return plan_stack(program_dir, stack, config=config)
    key, plan = lookup_plan(cache, program_dir, stack, stack_path)
    if plan is not None:
        return plan
    plan = plan_stack(program_dir, stack, config=config)
    store_plan(cache, key, plan)
    return plan


def lookup_plan(
    cache: Cache, program_dir: Path, stack: str, stack_path: Path
) -> tuple[str, Plan | None]:
    """The key of ``stack``'s plan, and the plan when ``cache`` holds one to trust."""
    key = plan_key(program_dir, stack, stack_path)
    payload = cache.get(KIND, key)
    if payload is not None:
        try:
            return key, plan_from_json(json.loads(payload))
        except (ValueError, KeyError, TypeError) as exc:
            log.debug("cached plan of %s ignored: %s", stack, exc)
    return key, None


def store_plan(cache: Cache, key: str, plan: Plan) -> None:
    """Keep ``plan`` under ``key`` (a plan holding values JSON cannot carry exactly is not
    kept)."""
    try:
        encoded = json.dumps(plan_to_json(plan), ensure_ascii=False).encode("utf-8")
    except Unstorable as exc:
        log.debug("plan of %s not cached: %s", plan.stack, exc)
        return
    cache.put(KIND, key, encoded)


class Unstorable(TypeError):
    """A value a cache entry cannot hold exactly."""


def encode(value: Any) -> Any:
    """``value`` as JSON that :func:`decode` turns back into an equal value of the same types
    (lists and tuples, key order and key types kept)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    raise Unstorable(f"a {type(value).__name__} value")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "f":
            return float(inner)
        if tag == "t":
            return tuple(decode(v) for v in inner)
        if tag == "d":
            return {decode(k): decode(v) for k, v in inner}
        raise ValueError(f"unknown tag {tag!r}")
    return value


def _position(position: Position) -> list[Any]:
    return [str(position.file), position.line, position.col]


def _warning(warning: ConfigWarning) -> list[Any]:
    if type(warning) not in (ConfigWarning, PlanNote):
        raise Unstorable(f"a {type(warning).__name__} warning")
    return [type(warning).__name__, _position(warning.position), warning.message]


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Everything of ``plan``, exactly (see :func:`plan_from_json`)."""
    if type(plan) is not Plan or any(type(r) is not PlannedResource for r in plan.resources):
        raise Unstorable("a plan of another type")
    return {
        "stack": plan.stack,
        "project": plan.project,
        "program": plan.program,
        "resources": [
            [r.type, r.name, encode(r.inputs), r.protect, list(r.depends_on)]
            for r in plan.resources
        ],
        "outputs": encode(plan.outputs),
        "warnings": [_warning(w) for w in plan.warnings],
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    """The plan :func:`plan_to_json` stored."""
    warning_types = {"ConfigWarning": ConfigWarning, "PlanNote": PlanNote}
    return Plan(
        stack=data["stack"],
        project=data["project"],
        program=data["program"],
        resources=tuple(
            PlannedResource(type_, name, decode(inputs), protect, tuple(depends_on))
            for type_, name, inputs, protect, depends_on in data["resources"]
        ),
        outputs=decode(data["outputs"]),
        warnings=tuple(
            warning_types[kind](Position(Path(file), line, col), message)
            for kind, (file, line, col), message in data["warnings"]
        ),
    )
