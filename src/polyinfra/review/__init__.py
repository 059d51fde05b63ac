"""Reports for the people who approve a change, as markdown for a pull request or a step
summary: check findings, plans and plan diffs, and what a change affects."""

from polyinfra.review.affected import affected_markdown
from polyinfra.review.check import check_markdown
from polyinfra.review.plan import plan_markdown

__all__ = ["affected_markdown", "check_markdown", "plan_markdown"]
