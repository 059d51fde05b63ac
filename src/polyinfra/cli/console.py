"""Consoles for command output (stdout) and messages (stderr).

Markup and emoji codes are off: what we print (manifests, messages with ``[rule-id]``,
``:name:`` fragments of YAML) must come out exactly as written.
"""

from __future__ import annotations

from rich.console import Console

out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
