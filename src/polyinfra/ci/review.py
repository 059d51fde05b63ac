"""Where reviewers read polyinfra's reports: steps append their markdown to the job summary and
hand it to a ``comment`` job, which keeps one comment per workflow on the pull request.

The markdown travels as job outputs, not as an artifact: a comment holds at most
:data:`COMMENT_LIMIT` characters, so no report needs to travel longer than that (the step
summary has it whole), and each is also cut at :data:`REPORT_BYTES`, so that two or three stay
far below GitHub's 1 MB of outputs per job. That needs no upload and download actions to pin
and no artifact to keep.
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from polyinfra.ci.blocks import job_node, run_step
from polyinfra.ci.context import WorkflowContext

#: The most characters GitHub accepts in a comment's body.
COMMENT_LIMIT = 65_536
#: The most UTF-8 bytes of one report handed on: the comment step reads each report from an
#: environment variable, and Linux refuses to start a process with one over 128 KiB.
REPORT_BYTES = 100_000
#: The name of the step output that holds a step's markdown report.
OUTPUT = "markdown"


def link_base(head_sha: str) -> str:
    """The ``--link-base`` of a report: files at ``head_sha`` (an expression) on GitHub."""
    return "${{ github.server_url }}/${{ github.repository }}/blob/" + head_sha


def publish(report: str = "$report") -> str:
    """Shell lines that append the markdown file ``report`` to the job summary and set the
    step output :data:`OUTPUT` to it, cut at :data:`COMMENT_LIMIT` characters and
    :data:`REPORT_BYTES` bytes."""
    return f"""\
cat "{report}" >> "$GITHUB_STEP_SUMMARY"
# A random delimiter: no line of the report can end the output early.
delimiter="polyinfra-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')"
{{
  echo "{OUTPUT}<<$delimiter"
  jq -Rrs --argjson bytes {REPORT_BYTES} '
    def fit: if utf8bytelength > $bytes
      then .[:(length * $bytes / utf8bytelength | floor)] | fit else . end;
    .[:{COMMENT_LIMIT}] | fit' "{report}"
  echo "$delimiter"
}} >> "$GITHUB_OUTPUT"
"""


def step_output(step_id: str) -> str:
    """The expression of step ``step_id``'s report, for the job's ``outputs``."""
    return "${{ steps." + step_id + ".outputs." + OUTPUT + " }}"


#: Finds the comment that starts with the marker (paging through every comment of the pull
#: request), then edits it, or posts one. The token reaches curl as a header read from a
#: file descriptor: it is on no command line and never printed. POST is not retried: a retry
#: after an answer that was lost would post a second comment.
_COMMENT = """\
if [ "$HEAD_REPOSITORY" != "$GITHUB_REPOSITORY" ]; then
  notice="a pull request from a fork ($HEAD_REPOSITORY) gets a read-only token"
  echo "::notice title=No pull request comment::$notice: the reports are in the job summaries."
  exit 0
fi
api() {{
  local method="$1" url="$2" response status=0
  shift 2
  local retry=(--retry 3)
  if [ "$method" = POST ]; then retry=(); fi
  response="$(curl --silent --show-error --fail-with-body "${{retry[@]}}" \\
    --connect-timeout 10 --max-time 60 --request "$method" \\
    --header @<(printf 'Authorization: Bearer %s\\n' "$GITHUB_TOKEN") \\
    --header 'Accept: application/vnd.github+json' \\
    --header 'X-GitHub-Api-Version: 2022-11-28' \\
    "$@" "$url")" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "::error title=Pull request comment::$method $url failed (curl exit $status)" >&2
    printf '%s\\n' "$response" >&2
    return "$status"
  fi
  printf '%s\\n' "$response"
}}
comments_url="$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
comment_id=""
page=1
while :; do
  comments="$(api GET "$comments_url?per_page=100&page=$page")"
  if [ "$(jq 'length' <<<"$comments")" -eq 0 ]; then break; fi
  # the bot's own comment: anyone may write one that starts with the marker
  comment_id="$(jq -r --arg marker "$MARKER" --arg bot 'github-actions[bot]' \\
    'first(.[] | select(.user.login == $bot and ((.body // "") | startswith($marker)))
      | .id) // empty' <<<"$comments")"
  if [ -n "$comment_id" ]; then break; fi
  page=$((page + 1))
done
text="$(mktemp)"
reported=false
reports=({reports})
{{
  printf '%s\\n\\n' "$MARKER"
  for report in "${{reports[@]}}"; do
    if [ -n "$report" ]; then
      printf '%s\\n\\n' "$report"
      reported=true
    fi
  done
}} > "$text"
run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
if [ "$reported" = false ]; then
  echo "polyinfra wrote no report: see [the run]($run_url)." >> "$text"
fi
# Over the limit, the text is cut at a line's end, a code block or fold it was cut in is
# closed, and a note points at the run, whose job summaries hold everything.
payload="$(mktemp)"
jq -Rs --arg run "$run_url" --argjson limit {limit} '
  if length < $limit then {{body: .}}
  else
    ("\\n\\n---\\n*This comment is cut at the {limit_text} characters a GitHub comment holds: "
      + "every report is whole in [the job summaries of the run](\\($run)).*\\n") as $note
    | .[:($limit - ($note | length) - 1024)] | sub("[^\\n]*$"; "")
    | . + (if ([scan("(?:^|\\n)```")] | length) % 2 == 1 then "\\n```\\n" else "" end)
    | . + ("\\n</details>\\n" * (([scan("<details[ >]")] | length)
      - ([scan("</details>")] | length)) // "")
    | {{body: ((. + $note)[:($limit - 1)])}}
  end' "$text" > "$payload"
if [ -n "$comment_id" ]; then
  response="$(api PATCH "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/comments/$comment_id" \\
    --header 'Content-Type: application/json' --data-binary "@$payload")"
  echo "Updated $(jq -r '.html_url' <<<"$response")"
else
  response="$(api POST "$comments_url" \\
    --header 'Content-Type: application/json' --data-binary "@$payload")"
  echo "Commented $(jq -r '.html_url' <<<"$response")"
fi
"""


def marker(workflow: str) -> str:
    """The hidden first line of the comment of workflow file stem ``workflow``."""
    return f"<!-- polyinfra:{workflow} -->"


def comment_script(reports: list[str]) -> str:
    """The comment step's script over the env variables ``reports``, in that order."""
    return _COMMENT.format(
        reports=" ".join(f'"${name}"' for name in reports),
        limit=COMMENT_LIMIT,
        limit_text=f"{COMMENT_LIMIT:,}",
    )


def comment_job(
    ctx: WorkflowContext, workflow: str, needs: str, reports: dict[str, str]
) -> CommentedMap:
    """The ``comment`` job of workflow file stem ``workflow``: after job ``needs`` (whatever
    its result, unless it was skipped or the run cancelled), on a pull request, the reports
    (env variable name -> expression), in order, as the one comment of the workflow. The only
    job of a workflow that may write to pull requests."""
    step = run_step(
        "Comment on the pull request",
        "comment",
        comment_script(list(reports)),
        env={
            "GITHUB_TOKEN": "${{ github.token }}",
            "PR_NUMBER": "${{ github.event.pull_request.number }}",
            "HEAD_REPOSITORY": "${{ github.event.pull_request.head.repo.full_name }}",
            "MARKER": marker(workflow),
            **reports,
        },
    )
    return job_node(
        ctx,
        "Comment on the pull request",
        [step],
        permissions={"pull-requests": "write"},
        needs=needs,
        if_=(
            f"!cancelled() && github.event_name == 'pull_request' && "
            f"needs.{needs}.result != 'skipped'"
        ),
        timeout=5,
    )
