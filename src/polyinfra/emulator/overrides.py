"""How the overrides of a job run (``RunJobRequest.overrides``) change the spec of the
execution it creates, checked the way the Admin API checks them.

What the discovery document says (``Overrides`` and ``ContainerOverride`` in run.v1.json,
https://cloud.google.com/run/docs/reference/rest/v1/namespaces.jobs/run): ``args`` replace the
container's arguments and must be empty when ``clearArgs`` is set; ``env`` is merged into the
container's variables by name (a variable named again takes the new value); ``taskCount`` and
``timeoutSeconds`` replace the execution's task count and the task timeout. Fields the schema
does not know are rejected as Google's JSON parser rejects them. Choices of the emulator where
the reference says nothing: a container override without a name applies to the first
container (gcloud's ``--args``/``--update-env-vars`` without ``--container`` send none), a name
that matches no container is a 400, and a ``taskCount`` or ``timeoutSeconds`` of 0 leaves the
value as it is (proto3 cannot tell 0 from unset), while a negative one is a 400.
"""

from __future__ import annotations

import copy
from typing import Any

from polyinfra.cloudrun import discovery
from polyinfra.emulator.wire import JsonObject, _ApiError, _bad_request, _invalid


def _unknown_fields(value: JsonObject, schema: str, where: str) -> None:
    known = discovery.load().properties(schema)
    for key in value:
        if key not in known:
            at = f" at '{where}'" if where else ""
            message = f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.'
            raise _ApiError(400, message, details=[_bad_request((where, message))])


def _object(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise _invalid((where, "Invalid value: expected an object."))
    return value


def _count(value: Any, where: str) -> int:
    """An int32 field: a JSON number or a decimal string (proto3 JSON accepts both)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid((where, f"Invalid value: {value!r} is not an integer."))
    try:
        number = int(value)
    except ValueError:
        raise _invalid((where, f"Invalid value: {value!r} is not an integer.")) from None
    if number < 0:
        raise _invalid((where, f"Must be greater than or equal to 0, got {number}."))
    return number


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid((where, "Invalid value: expected a list of strings."))
    return list(value)


def _env(value: Any, where: str) -> list[JsonObject]:
    if not isinstance(value, list):
        raise _invalid((where, "Invalid value: expected a list of EnvVar."))
    env = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        var = _object(item, at)
        _unknown_fields(var, "EnvVar", at)
        if not isinstance(var.get("name"), str) or not var["name"]:
            raise _invalid((f"{at}.name", "Field is required."))
        env.append(copy.deepcopy(var))
    return env


def _merge_env(current: Any, extra: list[JsonObject]) -> list[JsonObject]:
    """``current`` with each variable of ``extra`` replacing the one of its name, or added."""
    merged = [copy.deepcopy(v) for v in current or [] if isinstance(v, dict)]
    for var in extra:
        for index, existing in enumerate(merged):
            if existing.get("name") == var["name"]:
                merged[index] = var
                break
        else:
            merged.append(var)
    return merged


def _container(containers: list[JsonObject], name: str, where: str) -> JsonObject:
    if not name:
        return containers[0]
    for container in containers:
        if container.get("name") == name:
            return container
    names = ", ".join(repr(c.get("name") or "") for c in containers)
    raise _invalid(
        (where, f"Container {name!r} is not in the job's task template (containers: {names}).")
    )


def apply_overrides(spec: JsonObject, request: JsonObject | None) -> JsonObject:
    """The ExecutionSpec ``spec`` (the job's ``spec.template.spec``, defaults filled in) with
    the overrides of the RunJobRequest ``request`` applied; a 400 for an invalid request."""
    if not request:
        return spec
    _unknown_fields(request, "RunJobRequest", "")
    if request.get("overrides") is None:
        return spec
    overrides = _object(request["overrides"], "overrides")
    _unknown_fields(overrides, "Overrides", "overrides")
    result = copy.deepcopy(spec)
    task = result.setdefault("template", {}).setdefault("spec", {})
    containers = [c for c in task.get("containers") or [] if isinstance(c, dict)]
    for index, item in enumerate(overrides.get("containerOverrides") or []):
        where = f"overrides.containerOverrides[{index}]"
        override = _object(item, where)
        _unknown_fields(override, "ContainerOverride", where)
        name = override.get("name") or ""
        if not isinstance(name, str):
            raise _invalid((f"{where}.name", "Invalid value: expected a string."))
        args = _strings(override.get("args") or [], f"{where}.args")
        clear = override.get("clearArgs") is True
        if clear and args:
            raise _invalid((f"{where}.args", "Must be empty when clearArgs is true."))
        env = _env(override.get("env") or [], f"{where}.env")
        container = _container(containers, name, f"{where}.name")
        if clear:
            container.pop("args", None)
        elif args:
            container["args"] = args
        if env:
            container["env"] = _merge_env(container.get("env"), env)
    if overrides.get("taskCount") is not None:
        tasks = _count(overrides["taskCount"], "overrides.taskCount")
        if tasks:
            result["taskCount"] = tasks
    if overrides.get("timeoutSeconds") is not None:
        seconds = _count(overrides["timeoutSeconds"], "overrides.timeoutSeconds")
        if seconds:
            task["timeoutSeconds"] = str(seconds)  # int64 in TaskSpec: a string
    return result
