"""A stub `pulumi` executable on PATH that records each call (its arguments, working folder
and state backend) as a JSON line, then runs a body of the test's own."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

#: What every stub does first: log the call. ``here`` is the working folder's name.
_PRELUDE = """#!{python}
import json, os, sys
here = os.path.basename(os.getcwd())
with open(os.environ["PULUMI_STUB_LOG"], "a") as log:
    log.write(json.dumps({{
        "args": sys.argv[1:],
        "cwd": os.getcwd(),
        "backend": os.environ.get("PULUMI_BACKEND_URL"),
    }}) + "\\n")
"""


def install_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str = "") -> Path:
    """Put the stub first on PATH (with ``body`` after the logging), give it a clean HOME and no
    PULUMI_BACKEND_URL; returns the log of its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(_PRELUDE.format(python=sys.executable) + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_STUB_LOG", str(log))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls the stub logged, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
