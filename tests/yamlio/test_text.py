"""Input files that are not UTF-8 text, or hold control characters, are errors at the first bad
byte's line and column, whichever loader reads them."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.yamlio import load_file, load_text, read_text

GOOD = "config:\n  gcp:project: acme\n  label:owner: data-engineering\n"


def error_of(path: Path) -> str:
    with pytest.raises(UserError) as caught:
        read_text(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            GOOD.encode().replace(b"engineering", b"engin\xe9ering"),
            ":3:26: not UTF-8 text: byte 0xE9 starts a character that the bytes after it do "
            "not complete\n  hint: save the file as UTF-8 (the encoding setting of your editor), "
            "then run again; in Latin-1 (ISO-8859-1) this byte is 'é'",
        ),
        (
            GOOD.encode().replace(b"engineering", b"\x80engineering"),
            ":3:21: not UTF-8 text: byte 0x80 cannot start a character",
        ),
        (
            GOOD.encode() + b"# caf\xc3",
            ":4:6: not UTF-8 text: byte 0xC3 starts a character that the end of the file cuts off",
        ),
        (
            # the position counts characters: the two-byte 'é' before the bad byte is one
            "config:\n  é: x".encode() + b"\xff\n",
            ":2:7: not UTF-8 text: byte 0xFF cannot start a character",
        ),
        (
            codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"),
            ":1:1: the file is UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8",
        ),
        (
            GOOD.encode().replace(b"data-", b"data-\x00"),
            ":3:21: a NUL byte (0x00) is not allowed in YAML or TOML text\n  hint: delete it "
            "(editors show it as ^@ or \\0); NUL bytes all through the file mean it was saved "
            "as UTF-16: save the file as UTF-8 (the encoding setting of your editor), then run "
            "again",
        ),
        (
            GOOD.encode().replace(b"acme", b"ac\x1bme"),
            ":2:18: the control character U+001B is not allowed in YAML or TOML text\n"
            "  hint: delete it, or write it as an escape (\\x1b) in a quoted string",
        ),
    ],
    ids=["latin-1", "lone-continuation", "truncated", "after-multibyte", "utf-16", "nul", "esc"],
)
def test_bad_bytes_are_reported_at_the_first_one(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    path.write_bytes(data)

    message = error_of(path)

    assert message.startswith(f"{path}{expected}"), message
    # the YAML loader reads files the same way
    with pytest.raises(UserError) as caught:
        load_file(path)
    assert str(caught.value) == message


def test_utf8_with_a_byte_order_mark_and_crlf_is_text(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.sandbox.yaml"
    path.write_bytes(codecs.BOM_UTF8 + GOOD.replace("\n", "\r\n").encode())

    assert load_file(path).get(("config", "gcp:project")) == "acme"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml") == (
        f"{tmp_path / 'nope.yaml'}: file not found\n  hint: check the path and run again"
    )
    assert error_of(tmp_path) == f"{tmp_path}: is a folder, not a file"


def test_control_characters_in_text_from_elsewhere_are_placed_too() -> None:
    """Text that did not come from a file (kustomize output, a git revision) goes through the
    YAML reader, which refuses the same characters."""
    with pytest.raises(UserError) as caught:
        load_text("a: 1\nb: x\x00y\n", Path("rendered.yaml"))

    assert str(caught.value).startswith(
        "rendered.yaml:2:5: a NUL byte (0x00) is not allowed in YAML or TOML text"
    )
