"""Recognise placeholders of template tools (envsubst, Terraform, Helm, %VAR%, ALL_CAPS tokens)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from polyinfra.cloudrun.vocabulary import LOCATION_LABEL
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
#: Upper-case words in fields that never hold upper case: ``PROJECT_ID``, and single words such
#: as ``IMAGE``, ``REGION`` or ``PROJECT`` (``REGION-docker.pkg.dev/PROJECT/app:IMAGE_TAG``).
_CAPS = re.compile(r"(?<![A-Za-z0-9_.])[A-Z][A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_])")
#: In an image's tag, which may hold upper case (``v1.0-RC1``): words with an underscore, or
#: of letters only (``TAG``, ``VERSION``, ``IMAGE_TAG``).
_CAPS_TAG = re.compile(r"^(?:[A-Z]+|[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])$")
#: Fields whose values Cloud Run only accepts in lower case (image names, service accounts,
#: namespaces, object names, label values: the location label among them).
_LOWERCASE_FIELDS = frozenset({"image", "serviceAccountName", "namespace"})
_SHELL_FIELDS = frozenset({"command", "args"})


def _lowercase_field(keys: list[str]) -> bool:
    """Whether the value at these keys is one Cloud Run only accepts in lower case."""
    if not keys:
        return False
    return (
        keys[-1] in _LOWERCASE_FIELDS
        or keys in (["metadata", "name"], ["spec", "template", "metadata", "name"])
        or (len(keys) >= 2 and keys[-2] == "labels")
    )


#: ``<PROJECT_ID>``, ``<your-project>``: what documentation writes for "put yours here".
_ANGLE = re.compile(r"<[A-Za-z][A-Za-z0-9_. -]*>")
#: A label value that is one upper-case word (``PROD``) is more likely a wrong value than a
#: placeholder: there, only words with an underscore count, but for the location label.


def _caps(value: str, keys: list[str]) -> list[str]:
    """Upper-case words in a lower-case-only value (an image's tag by :data:`_CAPS_TAG`)."""
    found = [m.group(0) for m in _ANGLE.finditer(value)]
    if len(keys) >= 2 and keys[-2] == "labels" and keys[-1] != LOCATION_LABEL:
        return found + [m.group(0) for m in _CAPS.finditer(value) if "_" in m.group(0)]
    if keys[-1] == "image":
        name, colon, tag = value.rpartition(":")
        if colon and "/" not in tag:
            found += [m.group(0) for m in _CAPS.finditer(name) if m.group(0) not in found]
            return found + ([tag] if _CAPS_TAG.fullmatch(tag) else [])
    return found + [m.group(0) for m in _CAPS.finditer(value)]


def placeholders_in(value: str, path: KeyPath = ()) -> list[str]:
    """The placeholders in ``value``, which sits at ``path`` (it decides which forms count).

    >>> placeholders_in("${REGION}-docker.pkg.dev/app:latest")
    ['${REGION}']
    >>> placeholders_in("exec app --port $PORT", ("spec", "containers", 0, "args", 0))
    []
    >>> placeholders_in("gcr.io/PROJECT_ID/app:v1", ("containers", 0, "image"))
    ['PROJECT_ID']
    >>> placeholders_in("REGION-docker.pkg.dev/PROJECT/app:IMAGE_TAG", ("containers", 0, "image"))
    ['REGION', 'PROJECT', 'IMAGE_TAG']
    >>> placeholders_in("gcr.io/acme/app:v1.0-RC1", ("containers", 0, "image"))
    []
    >>> placeholders_in("gcr.io/<your-project>/app:v1", ("containers", 0, "image"))
    ['<your-project>']
    """
    found = [m.group(0) for m in _ANYWHERE.finditer(value)]
    keys = [step for step in path if isinstance(step, str)]
    if not _SHELL_FIELDS.intersection(keys):
        found += [m.group(0) for m in _SHELL.finditer(value)]
    if _lowercase_field(keys):
        found += [token for token in _caps(value, keys) if not any(token in f for f in found)]
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
