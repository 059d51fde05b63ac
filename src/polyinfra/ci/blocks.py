"""Building blocks of a GitHub Actions workflow as ruamel.yaml nodes: steps that use a pinned
action or run a script, checkout, setup, Google Cloud auth, jobs, the workflow and its text."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from polyinfra.ci import actions
from polyinfra.ci.actions import PinnedAction
from polyinfra.ci.context import (
    WorkflowContext,
)


def node(**items: Any) -> CommentedMap:
    result = CommentedMap()
    for key, value in items.items():
        if value is not None:
            result[key.replace("__", "-")] = value
    return result


def uses_step(
    name: str, action: PinnedAction, step_id: str | None = None, **with_: Any
) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    if step_id:
        step["id"] = step_id
    step["uses"] = action.uses
    step.yaml_add_eol_comment(action.version, "uses")
    if with_:
        step["with"] = node(**with_)
    return step


def run_step(
    name: str, step_id: str, script: str, env: dict[str, str] | None = None, **extra: Any
) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    step["id"] = step_id
    for key, value in extra.items():
        step[key] = value
    if env:
        step["env"] = node(**env)
    text = script.strip("\n") + "\n"
    step["run"] = LiteralScalarString(text) if "\n" in text.strip("\n") else text.strip("\n")
    return step


def seq(*items: Any) -> CommentedSeq:
    return CommentedSeq(items)


def flow_seq(*items: str) -> CommentedSeq:
    flow = CommentedSeq(items)
    flow.fa.set_flow_style()
    return flow


def quote(text: str) -> str:
    """``text`` as a GitHub expression string literal."""
    return "'" + text.replace("'", "''") + "'"


def checkout_step(ref: str | None = None, full_history: bool = False) -> CommentedMap:
    return uses_step(
        "Check out",
        actions.CHECKOUT,
        ref=ref,
        fetch__depth=0 if full_history else None,
        persist__credentials=False,
    )


def setup_steps(ctx: WorkflowContext) -> list[CommentedMap]:
    sync = "uv sync --frozen" + ("" if ctx.tool_dir == "." else f" --directory {ctx.tool_dir}")
    return [
        uses_step(
            "Set up Python",
            actions.SETUP_PYTHON,
            python__version__file=ctx.ci.python_version_file,
        ),
        uses_step(
            "Set up uv", actions.SETUP_UV, version=DoubleQuotedScalarString(ctx.ci.uv_version)
        ),
        run_step(
            "Install polyinfra",
            "install-polyinfra",
            f"""
{sync}
echo "$PWD/{ctx.venv_bin}" >> "$GITHUB_PATH"
""",
        ),
    ]


def auth_step(inputs: dict[str, str], access_token: bool = False) -> CommentedMap:
    """google-github-actions/auth with ``inputs`` (:mod:`polyinfra.ci.identity`)."""
    return uses_step(
        "Authenticate to Google Cloud",
        actions.GCP_AUTH,
        "authenticate-gcp",
        **inputs,
        token_format="access_token" if access_token else None,
        # The registry login needs only the token: no credentials file in the build context.
        create_credentials_file=False if access_token else None,
    )


def job_node(
    ctx: WorkflowContext,
    name: str,
    steps: list[CommentedMap],
    *,
    permissions: dict[str, str],
    needs: Any = None,
    if_: str | None = None,
    environment: str | None = None,
    outputs: dict[str, str] | None = None,
    strategy: CommentedMap | None = None,
    timeout: int = 30,
) -> CommentedMap:
    job = CommentedMap()
    job["name"] = name
    if needs is not None:
        job["needs"] = needs
    if if_ is not None:
        job["if"] = if_
    job["runs-on"] = ctx.ci.runs_on
    if environment is not None:
        job["environment"] = environment
    job["timeout-minutes"] = timeout
    job["permissions"] = node(**{k.replace("-", "__"): v for k, v in permissions.items()})
    if outputs:
        job["outputs"] = node(**outputs)
    if strategy is not None:
        job["strategy"] = strategy
    job["steps"] = seq(*steps)
    return job


def workflow_node(
    name: str, run_name: str, on: CommentedMap, jobs: CommentedMap, concurrency: CommentedMap
) -> CommentedMap:
    doc = CommentedMap()
    doc["name"] = name
    doc["run-name"] = run_name
    doc["on"] = on
    # Nothing by default; each job asks for what it needs.
    doc["permissions"] = CommentedMap()
    doc["concurrency"] = concurrency
    doc["jobs"] = jobs
    return doc


def dump(doc: CommentedMap) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()
