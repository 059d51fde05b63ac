"""The steps that write polyinfra's markdown reports, run with bash and a stub `polyinfra` on
PATH that records each command line and prints a report naming it: what lands in
$GITHUB_STEP_SUMMARY and in $GITHUB_OUTPUT, and that a failed check or plan still fails its
step once the summary is written."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from polyinfra.ci.review import COMMENT_LIMIT
from tests.affected.conftest import copy_example
from tests.affected.three_stack import split_three_stack
from tests.ci.workflow_steps import BASH, JQ, find_step, generated, read_outputs, run_script

pytestmark = pytest.mark.skipif(
    BASH is None or JQ is None, reason="bash and jq run the workflow steps (as on GitHub runners)"
)

HEAD = "0123456789abcdef0123456789abcdef01234567"
BASE = "89abcdef0123456789abcdef0123456789abcdef"
LINK_BASE = f"https://github.com/acme/data-platform/blob/{HEAD}"

#: Prints, for `--format markdown`, a report naming its command line (or $STUB_REPORT); for
#: other formats an annotation. Exits $STUB_EXIT when the command line contains $STUB_FAIL_ON.
STUB = """#!/bin/sh
printf '%s\\n' "$*" >> "$STUB_RECORD"
case " $* " in
  *" --format markdown "*)
    if [ -n "$STUB_REPORT" ]; then cat "$STUB_REPORT"; else printf '### polyinfra %s\\n' "$*"; fi
    ;;
  *) echo "::error file=x.yaml::from polyinfra $1" ;;
esac
case "$*" in
  *"$STUB_FAIL_ON"*) exit "${STUB_EXIT:-0}" ;;
esac
"""


class Runner:
    """Runs steps in a folder with the stub on PATH and fresh runner files."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        stub = tmp_path / "bin" / "polyinfra"
        stub.parent.mkdir()
        stub.write_text(STUB)
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
        self.record = tmp_path / "argv.txt"
        self.summary = tmp_path / "summary.md"
        self.output = tmp_path / "output.txt"

    def run(
        self, step: dict[str, Any], env: dict[str, str], fail_on: str = "", exit_code: int = 0
    ) -> int:
        for path in (self.record, self.summary, self.output):
            path.write_text("")
        result = run_script(
            step,
            {
                **env,
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_OUTPUT": str(self.output),
                "STUB_RECORD": str(self.record),
                "STUB_FAIL_ON": fail_on or "\t",
                "STUB_EXIT": str(exit_code),
                "STUB_REPORT": env.get("STUB_REPORT", ""),
            },
            self.dir,
            (self.dir / "bin",),
        )
        self.stdout = result.stdout
        self.stderr = result.stderr
        return result.returncode

    def commands(self) -> list[str]:
        return self.record.read_text().splitlines()


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return generated(copy_example(tmp_path_factory.mktemp("summaries") / "ws"))


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def report(command: str) -> str:
    return f"### polyinfra {command}\n"


def test_check_writes_its_report_and_still_fails(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    code = runner.run(step, {"LINK_BASE": LINK_BASE}, fail_on="check", exit_code=1)
    assert code == 1  # the errors check found fail the job
    assert runner.commands() == [
        "check --format github",
        f"check --format markdown --link-base {LINK_BASE}",
    ]
    assert runner.stdout.startswith("::error file=x.yaml::from polyinfra check\n")
    expected = report(f"check --format markdown --link-base {LINK_BASE}")
    assert runner.summary.read_text() == expected
    assert read_outputs(runner.output) == {"markdown": expected}
    # a delimiter nobody can guess, so no line of the report ends the output early
    assert re.fullmatch(
        r"markdown<<(polyinfra-[0-9a-f]{32})\n.*\n\n\1\n", runner.output.read_text(), re.S
    )


def test_check_without_errors_passes(workflows: dict[str, dict[str, Any]], runner: Runner) -> None:
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    assert runner.run(step, {"LINK_BASE": LINK_BASE}) == 0
    assert runner.summary.read_text() == report(f"check --format markdown --link-base {LINK_BASE}")


def test_check_that_cannot_write_its_report_fails(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    assert runner.run(step, {"LINK_BASE": LINK_BASE}, fail_on="markdown", exit_code=3) == 3


def test_a_report_line_like_a_delimiter_does_not_end_the_output(
    workflows: dict[str, dict[str, Any]], runner: Runner, tmp_path: Path
) -> None:
    text = "### polyinfra check\n\nEOF\npolyinfra-\nmarkdown<<EOF\nlast=line\n"
    canned = tmp_path / "canned.md"
    canned.write_text(text)
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    assert runner.run(step, {"LINK_BASE": LINK_BASE, "STUB_REPORT": str(canned)}) == 0
    assert read_outputs(runner.output) == {"markdown": text}


def test_a_long_report_is_whole_in_the_summary_and_cut_in_the_output(
    workflows: dict[str, dict[str, Any]], runner: Runner, tmp_path: Path
) -> None:
    text = "### polyinfra check\n\n" + "".join(f"- finding {n:06}\n" for n in range(10000))
    canned = tmp_path / "canned.md"
    canned.write_text(text)
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    assert runner.run(step, {"LINK_BASE": LINK_BASE, "STUB_REPORT": str(canned)}) == 0
    assert runner.summary.read_text() == text
    assert read_outputs(runner.output)["markdown"] == text[:COMMENT_LIMIT]


def test_a_report_of_wide_characters_is_cut_to_fit_an_environment_variable(
    workflows: dict[str, dict[str, Any]], runner: Runner, tmp_path: Path
) -> None:
    text = "### polyinfra check\n\n" + "- 資源の名前\n" * 9000
    canned = tmp_path / "canned.md"
    canned.write_text(text)
    step = find_step(workflows["check.yaml"], "check", "check-workspace")
    assert runner.run(step, {"LINK_BASE": LINK_BASE, "STUB_REPORT": str(canned)}) == 0
    value = read_outputs(runner.output)["markdown"]
    assert 99_000 < len(value.encode()) <= 100_000
    assert text.startswith(value)


def test_plan_reports_every_stack_and_a_failed_plan_fails_after(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["check.yaml"], "check", "plan-foundation")
    env = {"BASE_SHA": BASE, "LINK_BASE": LINK_BASE}
    # production's plan removes a protected resource: exit 1, after sandbox is planned too
    assert runner.run(step, env, fail_on="--stack production", exit_code=1) == 1
    commands = [
        f"plan --stack {stack} --diff {BASE} --format markdown --link-base {LINK_BASE}"
        for stack in ("production", "sandbox")
    ]
    assert runner.commands() == commands
    expected = "".join(report(c) + "\n" for c in commands)
    assert runner.summary.read_text() == expected
    assert read_outputs(runner.output) == {"markdown": expected}


def test_check_shows_what_the_change_affects(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["check.yaml"], "check", "show-affected")
    assert runner.run(step, {"BASE_SHA": BASE, "LINK_BASE": LINK_BASE}) == 0
    command = f"affected --base {BASE} --format markdown --link-base {LINK_BASE}"
    assert runner.commands() == [command]
    assert runner.summary.read_text() == report(command)
    assert read_outputs(runner.output) == {"markdown": runner.summary.read_text()}


def test_the_check_reports_reach_the_comment_job_as_job_outputs(
    workflows: dict[str, dict[str, Any]],
) -> None:
    doc = workflows["check.yaml"]
    outputs = doc["jobs"]["check"]["outputs"]
    env = find_step(doc, "comment", "comment")["env"]
    for name, expression in outputs.items():
        step_id = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.markdown \}\}", expression)
        assert step_id is not None
        assert find_step(doc, "check", step_id.group(1))
        assert env[name.upper()] == f"${{{{ needs.check.outputs.{name} }}}}"


def test_production_deploy_summarizes_the_same_apps(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["deploy.yaml"], "plan", "summarize-affected")
    env = {"EVENT_NAME": "push", "BEFORE": BASE, "BASE_INPUT": "", "VERSION": HEAD}
    assert runner.run(step, env) == 0
    command = (
        f"affected --base {BASE} --fallback all --env production --version {HEAD} "
        "--released-tag main --format markdown"
    )
    assert runner.commands() == [command]
    assert runner.summary.read_text() == report(command)
    assert runner.output.read_text() == ""  # the deploy's outputs are find-affected's alone

    dispatch = {"EVENT_NAME": "workflow_dispatch", "BEFORE": "", "VERSION": HEAD}
    assert runner.run(step, {**dispatch, "BASE_INPUT": ""}) == 0
    assert runner.commands()[0].startswith("affected --all --env production")
    assert runner.run(step, {**dispatch, "BASE_INPUT": "v1.2"}) == 0
    assert runner.commands()[0].startswith("affected --base v1.2 --env production")


def test_sandbox_deploy_summarizes_for_the_comment(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    step = find_step(workflows["sandbox-deploy.yaml"], "plan", "summarize-affected")
    assert runner.run(step, {"BASE_SHA": BASE, "VERSION": "feature-1"}) == 0
    command = f"affected --base {BASE} --env sandbox --version feature-1 --format markdown"
    assert runner.commands() == [command]
    assert runner.summary.read_text() == report(command)
    assert read_outputs(runner.output) == {"markdown": report(command)}


def test_provision_plans_the_pull_request_against_its_base(
    workflows: dict[str, dict[str, Any]], runner: Runner
) -> None:
    link = f"https://github.com/acme/data-platform/blob/{HEAD}"
    step = find_step(workflows["infrastructure-provision.yaml"], "plan", "plan-foundation")
    assert runner.run(step, {"STACK": "sandbox", "BASE": BASE, "LINK_BASE": link}) == 0
    command = f"plan --stack sandbox --diff {BASE} --format markdown --link-base {link}"
    assert runner.commands() == [command]
    assert runner.summary.read_text() == report(command) + "\n"
    assert read_outputs(runner.output) == {"markdown": report(command) + "\n"}
    # a dispatch without a base shows the whole plan; a failed plan (a protected resource
    # removed, a base that is no commit) warns the approver and blocks nothing
    code = runner.run(step, {"STACK": "production", "BASE": "", "LINK_BASE": link}, "production", 1)
    assert code == 0
    command = f"plan --stack production --format markdown --link-base {link}"
    assert runner.commands() == [command]
    assert runner.summary.read_text() == report(command) + "\n"
    assert runner.stdout.splitlines()[-1] == (
        "::warning title=Foundation plan::polyinfra plan exited 1: read the job summary "
        "before approving"
    )


def test_provision_plans_each_program_that_has_the_stack(
    tmp_path_factory: pytest.TempPathFactory, runner: Runner
) -> None:
    root = split_three_stack(copy_example(tmp_path_factory.mktemp("three") / "ws"))
    (root / "infrastructure/pulumi/services/Pulumi.sandbox.yaml").unlink()
    doc = generated(root)["infrastructure-provision.yaml"]
    step = find_step(doc, "plan", "plan-foundation")
    env = {"STACK": "production", "BASE": BASE, "LINK_BASE": LINK_BASE}
    assert runner.run(step, env) == 0
    assert runner.commands() == [
        f"plan --stack production -w infrastructure/pulumi/{program} --diff {BASE} "
        f"--format markdown --link-base {LINK_BASE}"
        for program in ("platform", "services")
    ]
    assert runner.run(step, {**env, "STACK": "sandbox"}) == 0
    assert runner.commands() == [
        f"plan --stack sandbox -w infrastructure/pulumi/platform --diff {BASE} "
        f"--format markdown --link-base {LINK_BASE}"
    ]
