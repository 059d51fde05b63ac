"""Recognise placeholders of template tools (envsubst, Terraform, Helm, %VAR%, ALL_CAPS tokens)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from polyinfra.yamlio import KeyPath

#: Placeholders that mean "substitute me" wherever they appear.
_ANYWHERE = re.compile(
    r"\{\{.*?\}\}"  # Helm, Jinja, Go templates
    r"|%\{.*?\}"  # Terraform template directives
    r"|%[A-Za-z_][A-Za-z0-9_]*%"  # %VAR%
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_PLACEHOLDER\b"  # the spec's VERSION_PLACEHOLDER
    r"|^IMAGE_URL$"
)
#: Shell-style variables: placeholders in YAML values, but real shell in command/args.
_SHELL = re.compile(r"\$\{[^}\s]+\}|\$[A-Za-z_][A-Za-z0-9_]*\b")
#: ALL_CAPS_TOKENS in fields that never hold upper case (image names, emails, namespaces).
_CAPS = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")
_LOWERCASE_FIELDS = frozenset({"image", "serviceAccountName", "namespace"})
_SHELL_FIELDS = frozenset({"command", "args"})


def placeholders_in(value: str, path: KeyPath = ()) -> list[str]:
    """The placeholders in ``value``, which sits at ``path`` (it decides which forms count).

    >>> placeholders_in("${REGION}-docker.pkg.dev/app:latest")
    ['${REGION}']
    >>> placeholders_in("exec app --port $PORT", ("spec", "containers", 0, "args", 0))
    []
    >>> placeholders_in("gcr.io/PROJECT_ID/app:v1", ("containers", 0, "image"))
    ['PROJECT_ID']
    """
    found = [m.group(0) for m in _ANYWHERE.finditer(value)]
    keys = [step for step in path if isinstance(step, str)]
    if not _SHELL_FIELDS.intersection(keys):
        found += [m.group(0) for m in _SHELL.finditer(value)]
    if keys and keys[-1] in _LOWERCASE_FIELDS:
        found += [
            m.group(0) for m in _CAPS.finditer(value) if not any(m.group(0) in f for f in found)
        ]
    return found


def is_templated(value: Any, path: KeyPath = ()) -> bool:
    """True for a string holding any placeholder."""
    return isinstance(value, str) and bool(placeholders_in(value, path))


def templated_values(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, list[str]]]:
    """Every string value (and key) under ``data`` that holds placeholders, in document order."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            if isinstance(key, str) and (found := placeholders_in(key)):
                yield here, found
            yield from templated_values(value, here)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from templated_values(item, (*path, index))
    elif isinstance(data, str) and (found := placeholders_in(data, path)):
        yield path, found


#: File suffixes of YAML and of templates that render to YAML.
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".tmpl", ".template", ".j2", ".gotmpl")


def placeholder_near(text: str, line: int) -> tuple[str, int, int] | None:
    """A placeholder on ``line`` (where the YAML parser gave up) or the line before it, as
    ``(token, line, col)``, 1-based: the reason a template is not YAML before it is rendered."""
    lines = text.splitlines()
    for number in (line, line - 1):
        if not 1 <= number <= len(lines) or lines[number - 1].lstrip().startswith("#"):
            continue
        match = _ANYWHERE.search(lines[number - 1]) or _SHELL.search(lines[number - 1])
        if match:
            return match.group(0), number, match.start() + 1
    return None
