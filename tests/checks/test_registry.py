"""Every rule module is registered, every id unique and well-formed, every docstring complete."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import polyinfra.checks.rules as rules_package
from polyinfra.checks.registry import ALL_RULES, by_id
from polyinfra.checks.rule import AREAS, area


def rule_classes_in_modules() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(rules_package.__path__, rules_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            is_rule = getattr(obj, "ID", "") and hasattr(obj, "check") and not name.startswith("_")
            if obj.__module__ == module.__name__ and is_rule:
                found.add(obj.ID)
    return found


def test_every_rule_class_is_registered() -> None:
    registered = {rule.ID for rule in ALL_RULES}
    assert rule_classes_in_modules() == registered


def test_ids_unique_and_namespaced() -> None:
    ids = [rule.ID for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    assert len(by_id()) == len(ids)
    for rule in ALL_RULES:
        assert re.fullmatch(r"[a-z]+/[a-z0-9]+(-[a-z0-9]+)*", rule.ID), rule.ID
        assert area(rule) in AREAS, rule.ID


def test_docstrings_have_bad_and_good_examples() -> None:
    for rule in ALL_RULES:
        doc = rule.__doc__ or ""
        assert "Bad::" in doc, rule.ID
        assert "Good::" in doc, rule.ID
