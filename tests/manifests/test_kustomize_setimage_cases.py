"""kustomize's own ``edit set image`` cases, replayed against polyinfra's re-implementation.

The cases (``data/kustomize_setimage_cases.yaml``) are kustomize's TestSetImage table: the
command's arguments, the kustomization before, and the ``images:`` list kustomize writes.
Each argument is parsed with :func:`parse_set_image` (all of them first, as the command
validates its arguments before it touches the file) and applied with :func:`set_image`,
one call per argument, in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from polyinfra.errors import UserError
from polyinfra.manifests.images import parse_set_image, set_image

CASES = Path(__file__).parent / "data" / "kustomize_setimage_cases.yaml"

#: Cases polyinfra does not reproduce, and why.
UNSUPPORTED: dict[str, str] = {
    "error: no args[]": (
        "polyinfra has no argument list to validate: set_image takes one parsed setting, so an "
        "`edit set image` without arguments has no counterpart that could fail"
    ),
}


def _cases() -> list[Any]:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    params = []
    for case in cases:
        reason = UNSUPPORTED.get(case["name"])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def _edit(path: Path, args: list[str]) -> None:
    """``kustomize edit set image ARGS`` on the file at ``path``."""
    settings = [parse_set_image(arg) for arg in args]
    for setting in settings:
        set_image(path, setting)


def test_every_unsupported_case_exists() -> None:
    names = {case["name"] for case in yaml.safe_load(CASES.read_text(encoding="utf-8"))}
    assert set(UNSUPPORTED) <= names


def test_the_table_is_complete() -> None:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    assert len(cases) == 25
    for case in cases:
        assert isinstance(case["args"], list)
        assert isinstance(case["before"], str)
        assert ("expected" in case) != bool(case.get("error"))


@pytest.mark.parametrize("case", _cases())
def test_kustomize_case(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(case["before"], encoding="utf-8")

    if case.get("error"):
        with pytest.raises(UserError):
            _edit(path, case["args"])
        assert path.read_text(encoding="utf-8") == case["before"]
        return

    _edit(path, case["args"])

    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert after["images"] == case["expected"]
    before = yaml.safe_load(case["before"])
    before.pop("images", None)
    after.pop("images")
    assert after == before
