"""No rule crashes on a manifest of the wrong shape: every field of the good Service and Job is
replaced in turn by values of every other type, and all rules run."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.engine import run
from polyinfra.checks.problem import Level
from polyinfra.checks.registry import LINT_RULES
from polyinfra.yamlio import KeyPath, YamlDocument, load_file
from tests.checks.conftest import GOOD

JUNK: tuple[Any, ...] = (None, 7, "x", True, [], {}, [1, "a"], {"a": [None]})


def paths(data: Any, where: KeyPath = ()) -> list[KeyPath]:
    found = [where] if where else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*where, index))
    return found


def replaced(data: Any, path: KeyPath, value: Any) -> Any:
    result = copy.deepcopy(data)
    node = result
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return result


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_field_of_every_type(kind: str) -> None:
    good = load_file(GOOD[kind])
    manifests = []
    for path in paths(good.data):
        for junk in JUNK:
            doc = YamlDocument(
                path=Path(f"{kind}.yaml"),
                data=replaced(good.data, path, junk),
                key_positions=good.key_positions,
                value_positions=good.value_positions,
            )
            manifests.append(Manifest(document=doc))
    problems = run(CheckContext(manifests=tuple(manifests)), LINT_RULES)
    # the junk is found, not crashed on
    assert any(p.level is Level.ERROR for p in problems)
    assert len(manifests) > 300
