"""Findings as markdown: counts, order by level, one bullet each, links, folding, no secret."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position
from polyinfra.review.check import check_markdown

ROOT = Path("/ws")
STACK = ROOT / "infrastructure/pulumi/Pulumi.sandbox.yaml"
BASE = "https://github.com/acme/repo/blob/abc123"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


def problem(line: int, level: Level, message: str, hint: str | None = None) -> Problem:
    return Problem(Position(STACK, line, 3), "config/stack-valid", message, level, hint)


def test_clean() -> None:
    assert check_markdown([], scope="sandbox", root=ROOT) == (
        "### polyinfra check: sandbox\n\nNo problems.\n"
    )


def test_levels_in_order_with_links_hints_and_escaping() -> None:
    problems = [
        problem(4, Level.INFO, "label_owner is <unset>"),
        problem(2, Level.ERROR, "unknown key 'input:typo'", hint="did you mean input:types?"),
        problem(3, Level.WARNING, "a *wide* grant | roles/editor"),
    ]
    rel = "infrastructure/pulumi/Pulumi.sandbox.yaml"
    link = f"[`{rel}:{{}}`]({BASE}/{rel}#L{{}})"
    assert check_markdown(problems, scope="sandbox", root=ROOT, link_base=BASE) == (
        "### polyinfra check: sandbox\n"
        "\n"
        "1 error, 1 warning, 1 info.\n"
        "\n"
        "#### Errors (1)\n"
        "\n"
        f"- **error** {link.format(2, 2)} `config/stack-valid`: unknown key 'input:typo' "
        "(hint: did you mean input:types?)\n"
        "\n"
        "#### Warnings (1)\n"
        "\n"
        f"- **warning** {link.format(3, 3)} `config/stack-valid`: a \\*wide\\* grant \\| "
        "roles/editor\n"
        "\n"
        "#### Information (1)\n"
        "\n"
        f"- **info** {link.format(4, 4)} `config/stack-valid`: label\\_owner is &lt;unset&gt;\n"
    )


def test_past_ten_of_a_level_the_rest_fold() -> None:
    problems = [problem(n, Level.WARNING, f"w{n}") for n in range(1, 13)]
    out = check_markdown(problems, root=ROOT)
    bullets = [
        f"- **warning** `infrastructure/pulumi/Pulumi.sandbox.yaml:{n}` `config/stack-valid`: w{n}"
        for n in range(1, 13)
    ]
    assert out == "\n".join(
        [
            "### polyinfra check",
            "",
            "0 errors, 12 warnings, 0 infos.",
            "",
            "#### Warnings (12)",
            "",
            *bullets[:10],
            "",
            "<details><summary>2 more warnings</summary>",
            "",
            *bullets[10:],
            "",
            "</details>",
            "",
        ]
    )


def test_no_secret_and_no_local_path() -> None:
    """A credential and a value the workspace marks secret are redacted before escaping; a
    file outside the workspace is shown by its name only."""
    passphrase = "Correct.Horse.Battery.Staple"
    problems = [
        Problem(
            Position(Path("/home/me/elsewhere/app.yaml"), 7, 1),
            "cloudrun/label-values",
            f"label api-key value '{STRIPE}' is not valid",
            Level.ERROR,
            hint=f"remove {passphrase}",
        )
    ]
    out = check_markdown(problems, root=ROOT, secrets=[passphrase])
    assert STRIPE not in out
    assert passphrase not in out
    assert "/home/me" not in out
    assert out.endswith(
        "- **error** `app.yaml:7` `cloudrun/label-values`: label api-key value "
        "'&lt;redacted&gt;' is not valid (hint: remove &lt;redacted&gt;)\n"
    )
