"""What installing polyinfra brings: its declared dependencies, and nothing it dropped."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement


def closure(name: str) -> set[str]:
    """Normalised names of ``name`` and every installed distribution it requires, transitively
    (extras and environment markers that do not apply here are left out)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if current in seen:
            continue
        seen.add(current)
        try:
            requires = distribution(current).requires or []
        except PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_the_google_api_discovery_client_is_not_a_dependency() -> None:
    installed = closure("polyinfra")
    assert {"google-auth", "requests", "urllib3"} <= installed
    assert "google-api-python-client" not in installed
    assert "httplib2" not in installed
