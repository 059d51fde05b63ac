"""Secrets in what polyinfra prints: a credential-shaped value, or a value the workspace marks
secret, never reaches the output of check, lint or plan in any format, nor the streamed output
of provision; the finding is still reported at its position."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.hostile.conftest import FORMATS, Outcome, assert_no_traceback, run_main, tree_digest

SERVICE = "infrastructure/cloudrun_service/inventory-api/base/service.yaml"
FUNCTION = "infrastructure/cloudrun_function/stock-webhook/base/service.yaml"
STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
DB_PASSWORD = "hunter2-Secret"
DB_URL = f"postgres://admin:{DB_PASSWORD}@db.example.com:5432/app"
#: Not credential-shaped: only the workspace says it is secret.
PASSPHRASE = "Correct.Horse.Battery.Staple"
CIPHERTEXT = "v1:q9ZkY3mW:Jm0rQx8Tz1Lp"
LABEL_ERROR = "is not valid: only lowercase letters, digits, _ and - (at most 63)"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def every_format(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int
) -> dict[str, Outcome]:
    """``polyinfra ARGS -f FORMAT`` for every format, each exiting ``code``."""
    found = {}
    for form in FORMATS:
        outcome = run_main([*args, "-f", form], capsys)
        assert outcome.code == code, (form, outcome)
        assert_no_traceback(outcome)
        found[form] = outcome
    return found


def assert_nowhere(outcomes: dict[str, Outcome], *secrets: str) -> None:
    for form, outcome in outcomes.items():
        for secret in secrets:
            assert secret not in outcome.text, (form, secret)


def test_a_key_and_a_url_password_in_labels(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key follows a tab: the caret still stands under its ``<redacted>``."""
    edit(
        root,
        SERVICE,
        "  labels:\n    component: inventory\n  annotations",
        f"  labels:\n    component: inventory\n    api-key:\t{STRIPE}\n    db: {DB_URL}\n"
        "  annotations",
    )
    before = tree_digest(root)
    monkeypatch.chdir(root)

    for args in (["check"], ["lint", SERVICE]):
        outcomes = every_format(capsys, args, 1)
        assert_nowhere(outcomes, STRIPE, DB_PASSWORD)
        text = outcomes["text"].out.splitlines()
        at = text.index(
            f"{SERVICE}:7:14: error: label api-key value '<redacted>' {LABEL_ERROR} "
            "[cloudrun/label-values]"
        )
        assert text[at + 1 : at + 3] == ["      api-key:\t<redacted>", "              \t^"]
        at = text.index(
            f"{SERVICE}:8:9: error: label db value "
            f"'postgres://admin:<redacted>@db.example.com:5432/app' {LABEL_ERROR} "
            "[cloudrun/label-values]"
        )
        assert text[at + 1 : at + 3] == [
            "      db: postgres://admin:<redacted>@db.example.com:5432/app",
            "          ^",
        ]
        problems = json.loads(outcomes["json"].out)
        assert {(p["line"], p["col"], p["rule"]) for p in problems if p["file"] == SERVICE} >= {
            (7, 14, "cloudrun/label-values"),
            (8, 9, "cloudrun/label-values"),
        }
        sarif = json.loads(outcomes["sarif"].out)
        assert any("<redacted>" in r["message"]["text"] for r in sarif["runs"][0]["results"])
        assert f"::error file={SERVICE},line=7,col=14," in outcomes["github"].out
    assert tree_digest(root) == before


def test_a_service_account_id_holding_a_key(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted in a message and in a hint: both redacted, in check's four formats and plan."""
    edit(
        root,
        STACK,
        "account_id: inventory-api\n        description",
        f"account_id: {STRIPE}\n        description",
    )
    before = tree_digest(root)
    monkeypatch.chdir(root)
    outcomes = every_format(capsys, ["check"], 1)
    mismatch = (
        "input:projects.inventory-api.service_account_iam.account_id: account_id does not match "
        "service_account.account_id '<redacted>'"
    )
    problems = json.loads(outcomes["json"].out)
    assert [(p["file"], p["line"], p["col"], p["message"], p["hint"]) for p in problems] == [
        (
            STACK,
            31,
            21,
            "input:projects.inventory-api.service_account.account_id: service account id must be "
            "6-30 characters: lowercase letters, digits and hyphens, starting with a letter and "
            "not ending with a hyphen",
            None,
        ),
        (STACK, 35, 21, mismatch, "use '<redacted>' or remove the key"),
    ]
    assert "          account_id: <redacted>" in outcomes["text"].out.splitlines()

    plan = run_main(["plan", "--stack", "sandbox"], capsys)
    assert plan.code == 2
    assert f"{root.resolve() / STACK}:35:21: {mismatch}" in plan.err.splitlines()
    assert "  hint: use '<redacted>' or remove the key" in plan.err.splitlines()
    assert_nowhere({**outcomes, "plan": plan}, STRIPE)
    assert_no_traceback(plan)
    assert tree_digest(root) == before


def test_values_the_workspace_marks_secret(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``UPSTREAM_CONFIG`` comes from a ``secretKeyRef`` in one app, so its literal value in
    another app is a secret wherever it appears; a ``secure:`` ciphertext is one too. Neither
    looks like a credential."""
    edit(
        root,
        SERVICE,
        "        env:\n",
        "        env:\n        - name: UPSTREAM_CONFIG\n          valueFrom:\n"
        "            secretKeyRef:\n              name: upstream-config\n"
        "              key: latest\n",
    )
    edit(
        root,
        FUNCTION,
        "    owner: data-engineering\n    workload-type",
        f"    owner: data-engineering\n    upstream: {PASSPHRASE}\n    workload-type",
    )
    edit(
        root,
        FUNCTION,
        "        - name: COMPONENT\n",
        f"        - name: UPSTREAM_CONFIG\n          value: {PASSPHRASE}\n"
        "        - name: COMPONENT\n",
    )
    edit(
        root,
        STACK,
        "  label:owner: data-engineering\n",
        f"  label:owner: data-engineering\n  input:typo_setting: {{secure: {CIPHERTEXT}}}\n",
    )
    before = tree_digest(root)
    monkeypatch.chdir(root)

    outcomes = every_format(capsys, ["check"], 1)

    assert_nowhere(outcomes, PASSPHRASE, CIPHERTEXT)
    text = outcomes["text"].out.splitlines()
    at = text.index(
        f"{FUNCTION}:9:15: error: label upstream value '<redacted>' {LABEL_ERROR} "
        "[cloudrun/label-values]"
    )
    assert text[at + 1 : at + 3] == ["      upstream: <redacted>", "                ^"]
    at = text.index(f"{STACK}:10:3: error: unknown key 'input:typo_setting' [config/stack-valid]")
    assert text[at + 1 : at + 3] == ["    input:typo_setting: {secure: <redacted>}", "    ^"]
    assert tree_digest(root) == before


STUB = """#!{python}
import sys
print("Updating (sandbox):", flush=True)
print("  connecting to {url}", flush=True)
print("error: provider rejected key {key}", file=sys.stderr, flush=True)
sys.exit(1)
"""


def test_provision_streams_pulumi_s_output_redacted(
    root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each streamed line, and the last lines repeated in the error, without the secrets."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(STUB.format(python=sys.executable, url=DB_URL, key=STRIPE))
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file://" + str(tmp_path / "state"))
    before = tree_digest(root)

    outcome = run_main(["provision", "--stack", "sandbox", "--yes", "-w", str(root)], capsys)

    assert outcome.code == 1  # pulumi failed
    assert outcome.out.splitlines() == [
        "Updating (sandbox):",
        "  connecting to postgres://admin:<redacted>@db.example.com:5432/app",
        "error: provider rejected key <redacted>",
    ]
    assert outcome.err.splitlines() == [
        f"error: pulumi up of stack sandbox: `{pulumi} up --stack sandbox --non-interactive "
        "--yes` failed with exit code 1:",
        "  Updating (sandbox):",
        "    connecting to postgres://admin:<redacted>@db.example.com:5432/app",
        "  error: provider rejected key <redacted>",
    ]
    assert STRIPE not in outcome.text
    assert DB_PASSWORD not in outcome.text
    assert_no_traceback(outcome)
    assert tree_digest(root) == before
