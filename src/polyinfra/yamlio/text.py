"""Reading the text of a file the user wrote: UTF-8 or a :class:`UserError` at the first bad byte.

Every command reads its input files through :func:`read_text`, so a file saved in another
encoding, or holding a NUL byte or another control character, is reported the same way
everywhere: the line and column of the first offending byte, what it is, and how to fix it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.positions import Position

#: What YAML 1.2 (§5.1) and TOML 1.0 do not allow in a file: C0 control characters other than
#: tab, line feed and carriage return, DEL, C1 controls other than NEL, lone surrogates and
#: U+FFFE/U+FFFF.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_SAVE_AS_UTF8 = "save the file as UTF-8 (the encoding setting of your editor), then run again"


def read_text(path: Path) -> str:
    """The text of ``path``, decoded as UTF-8.

    A missing or unreadable file, bytes that are not UTF-8 and control characters (a NUL byte)
    raise :class:`UserError` at the line and column of the first offending byte.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(
            "file not found", position=Position(path), hint="check the path and run again"
        ) from exc
    except IsADirectoryError as exc:
        raise UserError("is a folder, not a file", position=Position(path)) from exc
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", position=Position(path)) from exc
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    """``data`` (the bytes of ``path``) as text; see :func:`read_text` for the errors."""
    if data.startswith(_UTF32_BOMS) and len(data) % 4 == 0:
        raise UserError(
            "the file is UTF-32 text (it starts with a UTF-32 byte order mark), not UTF-8",
            position=Position(path, 1, 1),
            hint=_SAVE_AS_UTF8,
        )
    if data.startswith(_UTF16_BOMS):
        raise UserError(
            "the file is UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8",
            position=Position(path, 1, 1),
            hint=_SAVE_AS_UTF8,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Everything before the bad byte decoded: its lines and characters give the position.
        before = data[: exc.start].decode("utf-8")
        bad = data[exc.start : exc.end]
        raise UserError(
            f"not UTF-8 text: byte 0x{bad[0]:02X} {_reason(str(exc.reason))}",
            position=_position(before, path),
            hint=_SAVE_AS_UTF8 + _latin1_note(bad[0]),
        ) from exc
    control = NOT_TEXT.search(text)
    if control is not None:
        raise not_text(text, control.start(), path)
    return text


def not_text(text: str, index: int, path: Path) -> UserError:
    """The error for the control character at ``index`` of ``text``."""
    char = text[index]
    if char == "\x00":
        what = "a NUL byte (0x00)"
        hint = (
            "delete it (editors show it as ^@ or \\0); NUL bytes all through the file mean it "
            "was saved as UTF-16: " + _SAVE_AS_UTF8
        )
    else:
        what = f"the control character U+{ord(char):04X}"
        hint = "delete it, or write it as an escape (\\x" + f"{ord(char):02x}) in a quoted string"
    return UserError(
        f"{what} is not allowed in YAML or TOML text",
        position=_position(text[:index], path),
        hint=hint,
    )


def _position(before: str, path: Path) -> Position:
    """The position right after ``before``, the text in front of the offending character."""
    line_start = before.rfind("\n") + 1
    return Position(path, before.count("\n") + 1, len(before) - line_start + 1)


def _reason(reason: str) -> str:
    return {
        "invalid start byte": "cannot start a character",
        "invalid continuation byte": "starts a character that the bytes after it do not complete",
        "unexpected end of data": "starts a character that the end of the file cuts off",
    }.get(reason, f"is not valid here ({reason})")


def _latin1_note(byte: int) -> str:
    if byte < 0xA0:
        return ""
    return f"; in Latin-1 (ISO-8859-1) this byte is {chr(byte)!r}"
