"""Dotenv files: what a line sets, and errors that name the line but never its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.local.envfile import read_env_file


def env_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    return path


def test_values_comments_quotes_and_export(tmp_path: Path) -> None:
    path = env_file(
        tmp_path,
        "# secrets for local runs\n"
        "\n"
        "API_TOKEN=abc123\n"
        "  export DB_PASSWORD = 'p@ss # word'  # the test database\n"
        'GREETING="hello \\"you\\"\\nbye"\n'
        "PLAIN=a b # comment\n"
        "HASH=a#b\n"
        "EMPTY=\n"
        "QUOTED_EMPTY=''\n"
        "API_TOKEN=second\n",
    )
    assert read_env_file(path) == {
        "API_TOKEN": "second",
        "DB_PASSWORD": "p@ss # word",
        "GREETING": 'hello "you"\nbye',
        "PLAIN": "a b",
        "HASH": "a#b",
        "EMPTY": "",
        "QUOTED_EMPTY": "",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OK=1\nsecret-value-without-key\n", ":2:1: a line without =: expected KEY=VALUE"),
        ("OK=1\n  1BAD=hunter2\n", ":2:3: a key that is not a variable name: expected KEY=VALUE"),
        ('TOKEN="hunter2\n', ':1:1: the value of TOKEN has no closing "'),
        ("TOKEN='hunter2' extra\n", ":1:1: text after the closing ' of TOKEN's value"),
    ],
)
def test_errors_name_the_line_not_the_value(tmp_path: Path, text: str, message: str) -> None:
    path = env_file(tmp_path, text)
    with pytest.raises(UserError) as caught:
        read_env_file(path)
    assert str(caught.value).startswith(f"{path}{message}")
    assert "hunter2" not in str(caught.value)
    assert "secret-value" not in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no-such\.env"):
        read_env_file(tmp_path / "no-such.env")
