"""The generated `comment` job's script, run with bash against a stub of GitHub's REST API (the
issue comments endpoints, with paging and the token checked): one comment per workflow, found
by its marker and edited in place, cut at GitHub's limit with a note, the token never shown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from polyinfra.ci.review import COMMENT_LIMIT
from tests.affected.conftest import copy_example
from tests.ci.workflow_steps import BASH, CURL, JQ, find_step, generated, run_script

pytestmark = pytest.mark.skipif(
    BASH is None or JQ is None or CURL is None,
    reason="bash, curl and jq run the comment step (as on GitHub runners)",
)

TOKEN = "ghs_s3cretT0kenValue1234567890abcdef"
REPOSITORY = "acme/data-platform"
PR = 7
RUN_URL = f"https://github.com/{REPOSITORY}/actions/runs/4242"
CHECK = "### polyinfra check: 1 error\n\n- **error** `iam-unknown-account`: who is that\n"
PLAN = "### polyinfra plan --diff: stack sandbox\n\nNo changes.\n"
AFFECTED = "### polyinfra affected\n\n- `inventory-api`: rebuild\n"


@dataclass
class Comment:
    id: int
    body: str
    user: str = "github-actions[bot]"

    def json(self, api: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "user": {"login": self.user, "type": "Bot" if self.user.endswith("[bot]") else "User"},
            "url": f"{api}/repos/{REPOSITORY}/issues/comments/{self.id}",
            "html_url": f"https://github.com/{REPOSITORY}/pull/{PR}#issuecomment-{self.id}",
        }


@dataclass
class GitHub:
    """The stub's state: the pull request's comments, every request, answers to fail with."""

    url: str = ""
    comments: list[Comment] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: method -> the status and message to answer it with, and how many more times
    failures: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    next_id: int = 1000

    def add(self, body: str, user: str = "someone") -> Comment:
        self.next_id += 1
        comment = Comment(self.next_id, body, user)
        self.comments.append(comment)
        return comment


def stub_handler(github: GitHub) -> type[BaseHTTPRequestHandler]:
    comments_path = f"/repos/{REPOSITORY}/issues/{PR}/comments"
    comment_prefix = f"/repos/{REPOSITORY}/issues/comments/"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length", "0"))
            payload: dict[str, Any] = json.loads(self.rfile.read(length))
            return payload

        def handle_api(self) -> None:
            url = urlsplit(self.path)
            github.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.answer(401, {"message": "Bad credentials", "status": "401"})
                return
            if self.command in github.failures:
                status, message, times = github.failures[self.command]
                if times > 0:
                    github.failures[self.command] = (status, message, times - 1)
                    self.answer(status, {"message": message, "status": str(status)})
                    return
            if self.command == "GET" and url.path == comments_path:
                query = parse_qs(url.query)
                per_page = int(query["per_page"][0])
                page = int(query["page"][0])
                rows = github.comments[(page - 1) * per_page : page * per_page]
                self.answer(200, [c.json(github.url) for c in rows])
            elif self.command == "POST" and url.path == comments_path:
                comment = github.add(self.body()["body"], "github-actions[bot]")
                self.answer(201, comment.json(github.url))
            elif self.command == "PATCH" and url.path.startswith(comment_prefix):
                wanted = int(url.path.removeprefix(comment_prefix))
                found = next((c for c in github.comments if c.id == wanted), None)
                if found is None:
                    self.answer(404, {"message": "Not Found"})
                    return
                found.body = self.body()["body"]
                self.answer(200, found.json(github.url))
            else:
                self.answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = handle_api

    return Handler


@pytest.fixture
def github() -> Iterator[GitHub]:
    state = GitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), stub_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return generated(copy_example(tmp_path_factory.mktemp("comment") / "ws"))


def comment(
    workflows: dict[str, dict[str, Any]],
    github: GitHub,
    tmp_path: Path,
    workflow: str = "check.yaml",
    token: str = TOKEN,
    head_repository: str = REPOSITORY,
    path: tuple[Path, ...] = (),
    **reports: str,
) -> tuple[int, str, str]:
    """Run the comment step of ``workflow`` with ``reports`` (the job outputs it reads; the
    check workflow's three by default)."""
    step = find_step(workflows[workflow], "comment", "comment")
    if not reports and workflow == "check.yaml":
        reports = {"CHECK_REPORT": CHECK, "PLAN_REPORT": PLAN, "AFFECTED_REPORT": AFFECTED}
    env = {
        "GITHUB_TOKEN": token,
        "PR_NUMBER": str(PR),
        "HEAD_REPOSITORY": head_repository,
        "MARKER": step["env"]["MARKER"],
        **reports,
        # what the runner sets
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": "4242",
    }
    assert set(step["env"]) == set(env) - {
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
    }
    result = run_script(step, env, tmp_path, path)
    # the token reaches the API alone: no log line shows it
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr
    return result.returncode, result.stdout, result.stderr


def writes(github: GitHub) -> list[tuple[str, str]]:
    return [(method, path) for method, path in github.requests if method != "GET"]


BODY = f"<!-- polyinfra:check -->\n\n{CHECK}\n\n{PLAN}\n\n{AFFECTED}\n\n"


def test_first_run_posts_one_comment_second_run_edits_it(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    code, out, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert [c.body for c in github.comments] == [BODY]
    first = github.comments[0]
    assert out == f"Commented https://github.com/{REPOSITORY}/pull/{PR}#issuecomment-{first.id}\n"
    assert github.requests == [
        ("GET", f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=1"),
        ("POST", f"/repos/{REPOSITORY}/issues/{PR}/comments"),
    ]

    github.requests.clear()
    code, out, err = comment(
        workflows,
        github,
        tmp_path,
        CHECK_REPORT="### polyinfra check: no problems\n",
        PLAN_REPORT="",
        AFFECTED_REPORT=AFFECTED,
    )
    assert code == 0, err
    assert len(github.comments) == 1  # edited, not posted again
    assert github.comments[0].id == first.id
    assert github.comments[0].body == (
        f"<!-- polyinfra:check -->\n\n### polyinfra check: no problems\n\n\n{AFFECTED}\n\n"
    )
    assert writes(github) == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{first.id}")]
    assert out.startswith("Updated https://github.com/")


def test_the_token_is_on_no_command_line(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    """A `curl` first on PATH records its arguments (what `ps` would show) and runs curl."""
    assert CURL is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "curl-args.txt"
    wrapper = folder / "curl"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\nexec {CURL} "$@"\n')
    wrapper.chmod(0o755)
    code, _, err = comment(workflows, github, tmp_path, path=(folder,))
    assert code == 0, err
    arguments = record.read_text()
    assert "--fail-with-body" in arguments
    assert arguments.count("Authorization") == 0
    assert TOKEN not in arguments
    assert [c.body for c in github.comments] == [BODY]  # the header still reached the API


def test_other_comments_are_left_alone(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    others = [
        github.add("Looks good to me", "reviewer"),
        github.add("<!-- polyinfra:sandbox-deploy -->\n\n### polyinfra affected\n"),
        # a reply quoting the comment does not start with its marker
        github.add("> <!-- polyinfra:check -->\n> ### polyinfra check\n\nwhy?", "reviewer"),
        github.add("Mentions <!-- polyinfra:check --> midway", "reviewer"),
    ]
    before = [(c.id, c.body) for c in others]
    code, _, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert [(c.id, c.body) for c in github.comments[:4]] == before
    assert [c.body for c in github.comments[4:]] == [BODY]
    assert writes(github) == [("POST", f"/repos/{REPOSITORY}/issues/{PR}/comments")]


def test_a_users_comment_with_the_marker_is_not_taken_over(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    # anyone who may comment can start a comment with the marker: it is not the bot's
    planted = github.add("<!-- polyinfra:check -->\n\nAll clear, nothing to review.\n", "mallory")
    code, _, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert planted.body == "<!-- polyinfra:check -->\n\nAll clear, nothing to review.\n"
    assert [c.body for c in github.comments[1:]] == [BODY]
    assert github.comments[1].user == "github-actions[bot]"
    assert writes(github) == [("POST", f"/repos/{REPOSITORY}/issues/{PR}/comments")]


def test_each_workflow_keeps_its_own_comment(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    assert comment(workflows, github, tmp_path)[0] == 0
    code, _, err = comment(
        workflows, github, tmp_path, "sandbox-deploy.yaml", AFFECTED_REPORT=AFFECTED
    )
    assert code == 0, err
    assert [c.body for c in github.comments] == [
        BODY,
        f"<!-- polyinfra:sandbox-deploy -->\n\n{AFFECTED}\n\n",
    ]
    code, _, err = comment(
        workflows, github, tmp_path, "infrastructure-provision.yaml", PLAN_REPORT=PLAN
    )
    assert code == 0, err
    assert github.comments[2].body == f"<!-- polyinfra:infrastructure-provision -->\n\n{PLAN}\n\n"
    assert [c.body for c in github.comments[:2]] == [
        BODY,
        f"<!-- polyinfra:sandbox-deploy -->\n\n{AFFECTED}\n\n",
    ]


def test_the_comment_is_found_on_a_later_page(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    for number in range(100):
        github.add(f"comment {number}", "reviewer")
    ours = github.add("<!-- polyinfra:check -->\n\nan old report\n", "github-actions[bot]")
    github.add("a later comment", "reviewer")
    code, _, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert github.requests == [
        ("GET", f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=1"),
        ("GET", f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=2"),
        ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{ours.id}"),
    ]
    assert ours.body == BODY
    assert len(github.comments) == 102


def test_paging_stops_at_an_empty_page_then_posts(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    for number in range(150):
        github.add(f"comment {number}", "reviewer")
    code, _, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert [path for _, path in github.requests] == [
        f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=1",
        f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=2",
        f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=3",
        f"/repos/{REPOSITORY}/issues/{PR}/comments",
    ]
    assert github.comments[-1].body == BODY


def test_a_report_over_the_limit_is_cut_with_a_note(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    # each report within what one job output carries, the three over what a comment holds
    rows = "".join(f"| google_storage_bucket | bucket-{n:05} | added |\n" for n in range(1300))
    plan = (
        "### polyinfra plan --diff: stack sandbox\n\n<details><summary>1300 added</summary>\n\n"
        f"{rows}\n</details>\n"
    )
    check = CHECK + "- **warning** `w`: a long warning\n" * 500
    assert len(plan) < COMMENT_LIMIT < len(check + plan)
    code, _, err = comment(
        workflows, github, tmp_path, CHECK_REPORT=check, PLAN_REPORT=plan, AFFECTED_REPORT=""
    )
    assert code == 0, err
    body = github.comments[0].body
    assert len(body) < COMMENT_LIMIT
    note = (
        "\n\n---\n*This comment is cut at the 65,536 characters a GitHub comment holds: every "
        f"report is whole in [the job summaries of the run]({RUN_URL}).*\n"
    )
    assert body.startswith(f"<!-- polyinfra:check -->\n\n{check}\n\n### polyinfra plan --diff")
    # cut at a line's end, the fold it was cut in closed, then the note
    assert body.endswith(" | added |\n\n</details>\n" + note)
    kept = body.removesuffix("\n</details>\n" + note)
    assert f"<!-- polyinfra:check -->\n\n{check}\n\n{plan}".startswith(kept)
    assert body.count("<details>") == body.count("</details>") == 1
    assert len(body) > COMMENT_LIMIT - 1024 - len(note) - 100  # not cut much shorter


def test_a_cut_code_block_is_closed(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    text = "### polyinfra plan\n\n```text\n" + "x = 1\n" * 10000 + "```\n"
    code, _, err = comment(
        workflows, github, tmp_path, CHECK_REPORT=text, PLAN_REPORT=text, AFFECTED_REPORT=""
    )
    assert code == 0, err
    body = github.comments[0].body
    assert len(body) < COMMENT_LIMIT
    assert "x = 1\n\n```\n\n\n---\n*This comment is cut at" in body
    assert body.count("```") == 4  # the first block whole, the second closed


def test_no_report_says_so(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    code, _, err = comment(
        workflows, github, tmp_path, CHECK_REPORT="", PLAN_REPORT="", AFFECTED_REPORT=""
    )
    assert code == 0, err
    assert github.comments[0].body == (
        f"<!-- polyinfra:check -->\n\npolyinfra wrote no report: see [the run]({RUN_URL}).\n"
    )


def test_a_fork_gets_no_comment_and_no_failure(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    code, out, err = comment(workflows, github, tmp_path, head_repository="someone/data-platform")
    assert code == 0, err
    assert out == (
        "::notice title=No pull request comment::a pull request from a fork "
        "(someone/data-platform) gets a read-only token: the reports are in the job summaries.\n"
    )
    assert github.requests == []


def test_an_api_error_fails_the_step_with_its_message(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    github.failures["POST"] = (500, "Server Error: try again", 1)
    code, out, err = comment(workflows, github, tmp_path)
    assert code == 22  # curl --fail-with-body
    assert github.comments == []
    assert len(writes(github)) == 1  # a POST is never retried: it could post twice
    url = f"{github.url}/repos/{REPOSITORY}/issues/{PR}/comments"
    assert f"::error title=Pull request comment::POST {url} failed (curl exit 22)" in err
    assert "The requested URL returned error: 500" in err
    assert '{"message": "Server Error: try again", "status": "500"}' in err
    assert out == ""


def test_a_wrong_token_is_refused_and_shown_as_the_api_says(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    code, _, err = comment(workflows, github, tmp_path, token="ghs_wrong")
    assert code == 22
    assert '{"message": "Bad credentials", "status": "401"}' in err
    assert "ghs_wrong" not in err
    assert writes(github) == []


def test_a_passing_failure_of_the_api_is_retried(
    workflows: dict[str, dict[str, Any]], github: GitHub, tmp_path: Path
) -> None:
    ours = github.add("<!-- polyinfra:check -->\n\nold\n", "github-actions[bot]")
    github.failures["GET"] = (503, "Service Unavailable", 1)
    github.failures["PATCH"] = (502, "Bad Gateway", 1)
    code, _, err = comment(workflows, github, tmp_path)
    assert code == 0, err
    assert [method for method, _ in github.requests] == ["GET", "GET", "PATCH", "PATCH"]
    assert ours.body == BODY
