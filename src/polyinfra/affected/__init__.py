"""Change detection: git changes -> affected foundation stacks, projects and apps, with reasons."""

from polyinfra.affected.core import find_affected
from polyinfra.affected.model import (
    Affected,
    AffectedApp,
    AffectedBrick,
    AffectedProject,
    AffectedStack,
    Reason,
    Removed,
)
from polyinfra.affected.report import (
    check_buildable,
    github_lines,
    github_outputs,
    to_json_text,
    to_text,
    write_github_output,
)

__all__ = [
    "Affected",
    "AffectedApp",
    "AffectedBrick",
    "AffectedProject",
    "AffectedStack",
    "Reason",
    "Removed",
    "check_buildable",
    "find_affected",
    "github_lines",
    "github_outputs",
    "to_json_text",
    "to_text",
    "write_github_output",
]
