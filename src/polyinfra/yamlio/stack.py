"""Loading a Pulumi stack file (``Pulumi.<stack>.yaml``): the one loader every command uses.

The file must be UTF-8 text without control characters, one YAML document, and a mapping at
the top whose ``config`` (when present) is a mapping too. Anything else is a :class:`UserError`
at its file:line:col, with what is wrong and how to fix it. Validating what ``config`` holds
is the foundation's job (:mod:`polyinfra.foundation.config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.yamlio.document import YamlDocument
from polyinfra.yamlio.load import load_text
from polyinfra.yamlio.loader import describe
from polyinfra.yamlio.text import Bounds, read_text


def read_stack_file(path: Path, *, bounds: Bounds | None = None) -> tuple[str, YamlDocument]:
    """The text of the stack file ``path`` and its document, checked as the module says."""
    text = read_text(path, bounds=bounds)
    return text, stack_document(text, path)


def load_stack_file(path: Path, *, bounds: Bounds | None = None) -> YamlDocument:
    """The document of the stack file ``path``, checked as the module says."""
    return read_stack_file(path, bounds=bounds)[1]


def stack_document(text: str, path: Path) -> YamlDocument:
    """The document of stack-file text that claims to come from ``path`` (e.g. read from a git
    revision), checked as the module says. An empty file has ``data=None``."""
    return checked_stack_document(load_text(text, path))


def checked_stack_document(doc: YamlDocument) -> YamlDocument:
    """``doc``, a document already loaded, checked as the module says."""
    if doc.data is None:
        return doc
    if not isinstance(doc.data, dict):
        raise UserError(
            f"a stack file must be a mapping, got {describe(doc.data)}",
            position=doc.position(()),
            hint="start the file with `config:`",
        )
    config = doc.data.get("config")
    if config is not None and not isinstance(config, dict):
        raise UserError(
            f"`config` must be a mapping, got {describe(config)}",
            position=doc.position(("config",), value=True),
            hint="write each setting under `config:` as `namespace:key: value`, one per line",
        )
    return doc


def anchored_config_keys(text: str) -> frozenset[str]:
    """The keys under the stack file's top-level ``config`` whose value carries an anchor
    (``input:shared: &shared ...``), as the YAML parser reads them: such a key only holds
    values for aliases elsewhere in the file.

    >>> text = "config:\\n  input:a: &a [1]\\n  input:b: *a\\n  c:\\n    &x 2\\n"
    >>> sorted(anchored_config_keys(text))
    ['c', 'input:a']
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: set[str] = set()
    # per open collection: [is a mapping, next scalar is a key, the last key read]
    stack: list[list[Any]] = []
    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event).__name__
            if kind in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop()
                continue
            if kind not in ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent", "AliasEvent"):
                continue
            parent = stack[-1] if stack else None
            is_key = parent is not None and parent[0] and parent[1]
            if parent is not None and parent[0]:
                parent[1] = not parent[1]
            if is_key and parent is not None:
                parent[2] = getattr(event, "value", None)
            elif (
                len(stack) == 2
                and stack[0][2] == "config"
                and parent is not None
                and parent[0]
                and kind != "AliasEvent"  # an alias names the anchor it refers to
                and getattr(event, "anchor", None)
            ):
                found.add(str(parent[2]))
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                stack.append([kind == "MappingStartEvent", True, None])
    except yaml.YAMLError:
        return frozenset(found)
    return frozenset(found)
