"""The redaction layer: credential shapes and workspace secrets are replaced, a caret keeps its
place, and nothing in real manifests, stack files and workspaces is taken for a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.redact import REDACTED, Redactor, looks_random, redact, workspace_secrets
from tests.conftest import EXAMPLE, REPO

REALWORLD = REPO / "tests" / "checks" / "data"
SHARED = REPO.parent / "shared"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api-key:\tsk_live_4eC39HqLyjWDarjtT1zdp7dc", "api-key:\t<redacted>"),
        ("sk_test_51HqLyjWDarjtT1zdp7dc", "<redacted>"),
        ("rk_live_abcdefgh12345678", "<redacted>"),
        ("token: ghp_1234567890abcdefghijABCDEFGHIJ123456", "token: <redacted>"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "<redacted>"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "<redacted>"),
        ("xoxp-1234-5678-abcdefghij", "<redacted>"),
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=<redacted>"),
        ("key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY&q=1", "key=<redacted>&q=1"),
        (
            "Authorization: Bearer ya29.a0AfH6SMBx-abcdefghijklmnopqrstu",
            "Authorization: Bearer <redacted>",
        ),
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w",
            "<redacted>",
        ),
        (
            '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\n'
            '-----END PRIVATE KEY-----\\n", "client_email": "a@b.iam.gserviceaccount.com"}',
            '{"private_key": "<redacted>\\n", "client_email": "a@b.iam.gserviceaccount.com"}',
        ),
        ("-----BEGIN RSA PRIVATE KEY-----", "<redacted>"),
        (
            "DATABASE_URL=postgres://admin:hunter2-Secret@db.example.com:5432/app",
            "DATABASE_URL=postgres://admin:<redacted>@db.example.com:5432/app",
        ),
        ("redis://:s3cr3t@cache:6379/0", "redis://:<redacted>@cache:6379/0"),
        ("random Zq3Xf9Lm2Pw8Rt5Yk1Nb7Vc4Hd6Js0Ga here", "random <redacted> here"),
    ],
)
def test_credential_shapes_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "git@github.com:org/repo.git and user@example.com at https://example.com/a/b",
        "europe-docker.pkg.dev/proj/repo/app@sha256:"
        "9b2f0e4c1d3a5b7c9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d",
        "GoogleDevtoolsCloudbuildV1BuildStepResults and "
        "TopicIngestionDataSourceSettingsAzureEventHubsArgs",
        "projects/data-platform-sandbox/secrets/DMD_API_TOKEN/versions/latest",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha512-Y+ESjdI7ZgMwfzanHZYQ87C59jOO0i+Hd+QYtVt9PhLi6d8wlOpzQnfBxWUlaTuAoR3TkybLqqbIoWveU4J",
        "pk_live_51HqLyjWDarjtT1zdp7dc is a publishable key",
        "123e4567-e89b-12d3-a456-426614174000",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_a_column_moves_with_the_text_before_it() -> None:
    line = "a: sk_live_4eC39HqLyjWDarjtT1zdp7dc, b: x"
    assert line.index("x") + 1 == 41
    assert redact.with_column(line, 41) == ("a: <redacted>, b: x", 19)
    assert redact.with_column(line, 10) == ("a: <redacted>, b: x", 4)  # inside: at its start
    assert redact.with_column(line, 2) == ("a: <redacted>, b: x", 2)
    assert redact.with_column(line, 0) == ("a: <redacted>, b: x", 0)


def test_workspace_secrets_are_redacted_wherever_they_appear() -> None:
    redactor = Redactor(frozenset({"Correct.Horse.Battery.Staple"}))
    assert redactor("a Correct.Horse.Battery.Staple b Correct.Horse.Battery.Staple") == (
        f"a {REDACTED} b {REDACTED}"
    )
    assert redactor.data({"k": ["Correct.Horse.Battery.Staple", 3], "n": None}) == {
        "k": [REDACTED, 3],
        "n": None,
    }


def test_what_a_workspace_marks_secret() -> None:
    manifests = [
        {
            "spec": {
                "template": {
                    "metadata": {
                        "annotations": {
                            "run.googleapis.com/secrets": "MOUNTED:projects/p/secrets/m",
                        }
                    },
                    "spec": {
                        "containers": [
                            {
                                "env": [
                                    {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "x"}}},
                                    {"name": "PLAIN", "value": "not-a-secret-at-all"},
                                    {"name": "API_TOKEN", "value": "by-its-name-123"},
                                    {"name": "PUBLIC_KEY_URL", "value": "https://example.com/k"},
                                    {"name": "SHORT_TOKEN", "value": "abc"},
                                    {"name": "DB_PASSWORD", "value": "DB_PASSWORD_PLACEHOLDER"},
                                ]
                            }
                        ]
                    },
                }
            }
        },
        {"env": [{"name": "REF", "value": "referenced-elsewhere"}]},
        {"env": [{"name": "MOUNTED", "value": "mounted-elsewhere"}]},
        {"env": [{"name": "DMD_API_TOKEN", "value": "a-secret-manager-id"}]},
    ]
    stacks = [
        {
            "config": {
                "gcp:project": "p",
                "app:password": {"secure": "v1:q9ZkY3mW:Jm0rQx8Tz1Lp"},
                "input:projects": {"dmd": {"secrets": [{"secret_id": "DMD_API_TOKEN"}]}},
            }
        }
    ]
    assert workspace_secrets(manifests, stacks) == {
        "by-its-name-123",
        "referenced-elsewhere",
        "mounted-elsewhere",
        "a-secret-manager-id",
        "v1:q9ZkY3mW:Jm0rQx8Tz1Lp",
    }


def test_random_tokens_are_told_from_identifiers() -> None:
    assert looks_random("Zq3Xf9Lm2Pw8Rt5Yk1Nb7Vc4Hd6Js0Ga")
    assert not looks_random("GoogleDevtoolsCloudbuildV1BuildStepResults")
    assert not looks_random("9b2f0e4c1d3a5b7c9e1f2a4b6c8d0e2f4a6b8c0d")  # hex: a digest
    assert not looks_random("abcdefghijklmnopqrstuvwxyzabcdefgh")  # one class only


def _text_files(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
            found += [Path(path) / name for name in files]
    return found


def test_nothing_in_real_workspaces_and_manifests_is_redacted() -> None:
    """Every line of the example, the real-world Cloud Run manifests and (when present) the
    real workspaces in ../shared: none holds a secret, so none changes."""
    folders = [EXAMPLE, REALWORLD]
    folders += [SHARED / name for name in ("realrepos", "realworld") if (SHARED / name).is_dir()]
    lines = 0
    for path in _text_files(*folders):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            lines += 1
            assert redact(line) == line, f"{path}:{number}"
    assert lines > 5000
