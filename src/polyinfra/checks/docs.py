"""The rule reference (docs/rules.md) and ``--list-rules``, generated from rule docstrings."""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Sequence

from polyinfra.checks.rule import Rule, area, opt_in

# a full stop followed by a space, not the one in "e.g. " or "i.e. "
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\. ")

_AREA_TITLES = {
    "manifest": "Manifest files",
    "cloudrun": "Cloud Run",
    "workspace": "Workspace",
    "config": "Foundation stack config",
    "crossstack": "Cross-stack consistency",
    "policy": "Policy",
    "patches": "Kustomize patches",
}


def summary(rule: Rule) -> str:
    """The first sentence of the rule's docstring, on one line, in Markdown code style."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    paragraph = " ".join(doc.split("\n\n")[0].split()).replace("``", "`")
    match = _SENTENCE_END.search(paragraph)
    return paragraph[: match.start() + 1] if match else paragraph


def rules_table(rules: Sequence[Rule]) -> str:
    """One line per rule: id, default level (``info (off by default)`` for a rule that runs
    only when selected), summary."""
    width = max((len(rule.ID) for rule in rules), default=0)
    return "\n".join(f"{rule.ID:<{width}}  {_level(rule):<7}  {summary(rule)}" for rule in rules)


def _level(rule: Rule) -> str:
    """The default level, and whether the rule is off until selected."""
    return f"{rule.LEVEL.label} (off by default)" if opt_in(rule) else rule.LEVEL.label


def examples(rule: Rule) -> list[tuple[str, str]]:
    """The rule's ``Bad::`` and ``Good::`` examples, in order: ``("Bad", yaml)``..."""
    return [(label, code) for label, code in _blocks(rule) if label]


def _blocks(rule: Rule) -> list[tuple[str, str]]:
    """The docstring in order: ``("", text line)`` and ``("Bad"|"Good", dedented block)``."""
    lines = inspect.cleandoc(rule.__doc__ or "").splitlines()
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() in ("Bad::", "Good::"):
            index += 1
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1] == " "):
                block.append(lines[index])
                index += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            out.append((line.strip()[:-2], textwrap.dedent("\n".join(block))))
            continue
        out.append(("", line))
        index += 1
    return out


def _body(rule: Rule) -> str:
    """The docstring as Markdown: ``Bad::``/``Good::`` blocks become fenced YAML."""
    out: list[str] = []
    for label, text in _blocks(rule):
        if label:
            out.extend([f"**{label}**", "", "```yaml", text, "```", ""])
        else:
            out.append(text.replace("``", "`"))
    return "\n".join(out).strip() + "\n"


def rules_markdown(rules: Sequence[Rule]) -> str:
    """The whole rule reference page."""
    out = [
        "# Rule reference",
        "",
        "Generated from the rule docstrings by `python -m polyinfra.checks.docs`; do not edit.",
        "",
        "Switch a rule off for one line with `# polyinfra: disable=RULE-ID` (on the line or the",
        "comment line above it), for a file with `# polyinfra: disable-file=RULE-ID`, or for the",
        "project in `infrastructure/pyproject.toml`:",
        "",
        "```toml",
        "[tool.polyinfra.rules]",
        'disable = ["cloudrun/image-tag"]',
        'levels = { "cloudrun/service-account" = "error" }',
        "```",
        "",
        "A rule off by default runs when `--select` or a `levels` entry names it by its id",
        '(`levels = { "cloudrun/startup-probe" = "warning" }`).',
        "",
        "Each rule says what Cloud Run does with the input it reports: an error is what Cloud",
        "Run or Pulumi rejects or what breaks at run time; a warning is accepted but worth",
        "acting on; information is advice that is right for some workspaces only.",
        "",
        "| Rule | Level | Summary |",
        "|---|---|---|",
    ]
    for rule in rules:
        anchor = rule.ID.replace("/", "").lower()
        out.append(f"| [`{rule.ID}`](#{anchor}) | {_level(rule)} | {summary(rule)} |")
    current = None
    for rule in rules:
        if current != area(rule):
            current = area(rule)
            out += ["", f"## {_AREA_TITLES.get(current, current)}"]
        out += ["", f"### {rule.ID}", "", f"Default level: **{_level(rule)}**.", ""]
        out.append(_body(rule).rstrip())
    return "\n".join(out) + "\n"


def main() -> None:
    """Print the reference for every rule (``python -m polyinfra.checks.docs > docs/rules.md``)."""
    from polyinfra.checks.registry import ALL_RULES

    print(rules_markdown(ALL_RULES), end="")


if __name__ == "__main__":
    main()
