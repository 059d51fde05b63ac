"""``polyinfra affected`` as markdown: what the change removes first, then the foundation
stacks and the apps to deliver (each with its action, environments and one reason), then the
projects and bricks counted, their lists folded."""

from __future__ import annotations

from polyinfra import markdown as md
from polyinfra.affected.model import Affected, Reason, Removed
from polyinfra.redact import redact


def affected_markdown(answer: Affected, *, link_base: str | None = None) -> str:
    """The answer as one markdown string; changed paths (relative to the workspace root) link
    under ``link_base`` when given."""
    if answer.merge_base and answer.head_commit:
        span = md.code(f"{answer.merge_base[:12]}..{answer.head_commit[:12]}")
    else:
        span = "no git comparison"
    scope = f" for environment {md.code(answer.env)}" if answer.env else ""
    blocks = [f"### polyinfra affected: {span}{scope}"]

    def why(reasons: tuple[Reason, ...]) -> str:
        """The first reason, and how many more there are."""
        if not reasons:
            return ""
        first = reasons[0]
        text = md.escape(redact(first.why))
        if first.path:
            text = f"{md.position(redact(first.path), 0, link_base)} ({text})"
        more = len(reasons) - 1
        return text + (f", and {more} more reason{'s' if more != 1 else ''}" if more else "")

    removed: list[tuple[str, Removed]] = [
        *(("app", item) for item in answer.removed_apps),
        *(("stack", item) for item in answer.removed_stacks),
        *(("project", item) for item in answer.removed_projects),
    ]
    if removed:
        lines = [
            f"- {kind} {md.code(item.name)}{_of(item.program)}: {why(item.reasons)}"
            for kind, item in removed
        ]
        blocks.append(
            "**Removed** (tear down by hand if they were deployed)\n\n" + "\n".join(lines)
        )
    if answer.everything:
        blocks.append(f"**Everything is affected**: {why(answer.everything_reasons)}")
    delivered = answer.everything or any((answer.stacks, answer.projects, answer.apps, removed))
    if answer.stacks:
        lines = [f"- {md.code(s.name)}{_of(s.program)}: {why(s.reasons)}" for s in answer.stacks]
        blocks.append(f"**Foundation stacks** ({len(answer.stacks)})\n\n" + "\n".join(lines))
    elif delivered and not answer.foundation_changed:
        blocks.append("**Foundation stacks**: unchanged.")
    if answer.apps:
        lines = [
            f"- {md.code(app.name)} ({app.kind}): **{app.action}** in "
            f"{', '.join(md.code(e) for e in app.environments) or 'no environment'}: "
            f"{why(app.reasons)}"
            for app in answer.apps
        ]
        blocks.append(f"**Apps** ({len(answer.apps)})\n\n" + "\n".join(lines))
    elif delivered:
        blocks.append("**Apps**: none to deliver.")
    if answer.projects:
        lines = [f"- {md.code(p.name)}: {why(p.reasons)}" for p in answer.projects]
        blocks.append(md.fold(f"Projects: {len(answer.projects)}", "\n".join(lines)))
    if answer.bricks:
        lines = [
            f"- {md.code(b.name)}"
            + (f": {why(b.reasons)}" if b.changed else ": imports a changed brick")
            for b in answer.bricks
        ]
        blocks.append(md.fold(f"Bricks: {len(answer.bricks)}", "\n".join(lines)))
    if not delivered:
        blocks.append(
            "Nothing else affected: no project includes these bricks."
            if answer.bricks
            else "Nothing affected."
        )
    if answer.ignored:
        lines = [f"- {why((r,))}" for r in answer.ignored]
        blocks.append(md.fold(f"Ignored: {len(answer.ignored)} path(s)", "\n".join(lines)))
    return "\n\n".join(blocks) + "\n"


def _of(program: str | None) -> str:
    return f" of {md.code(program)}" if program else ""
