"""The scaffold templates (package data) and their ``${name}`` substitution."""

from __future__ import annotations

import string
from importlib import resources


def render(template: str, **values: str) -> str:
    """The text of ``templates/<template>.tmpl`` with every ``${key}`` replaced.

    A key the template uses but ``values`` lacks is a programming error (KeyError), so a
    half-filled file is never written.
    """
    text = resources.files("polyinfra.scaffold").joinpath("templates", f"{template}.tmpl")
    return string.Template(text.read_text(encoding="utf-8")).substitute(values)
