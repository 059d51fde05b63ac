"""Reading the text of a file the user wrote: UTF-8 or a :class:`UserError` at the first bad byte.

Every command reads its input files through :func:`read_text` (or :func:`read_bytes`), the one
place that decides what may be read at all: a regular file (after following symbolic links:
no device, named pipe or socket, which could hang a command or feed it forever), of at most
:data:`MAX_FILE_SIZE` bytes (``[tool.polyinfra] max_file_size``), and with :class:`Bounds`,
inside the workspace. A file saved in another encoding, or holding a NUL byte or another
control character, is reported the same way everywhere: the line and column of the first
offending byte, what it is, and how to fix it.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from polyinfra.errors import RefusedFile, UserError
from polyinfra.positions import Position
from polyinfra.realpaths import real

#: What YAML 1.2 (§5.1) and TOML 1.0 do not allow in a file: C0 control characters other than
#: tab, line feed and carriage return, DEL, C1 controls other than NEL, lone surrogates and
#: U+FFFE/U+FFFF.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

#: The largest file read by default (``[tool.polyinfra] max_file_size``): a stack file or
#: manifest is kilobytes; this leaves room for generated ones and stops a runaway read early.
MAX_FILE_SIZE = 64 * 1024 * 1024

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_SAVE_AS_UTF8 = "save the file as UTF-8 (the encoding setting of your editor), then run again"
_OUTSIDE_HINT = (
    "polyinfra reads no file outside the workspace: move the file into it and refer to it by "
    "a path relative to the file that names it"
)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Bounds:
    """Where the files read on behalf of a workspace may be, and how large they may be.

    ``root`` (resolved; None: anywhere) is the workspace root: a file must resolve inside it,
    symbolic links followed, so ``/etc/passwd``, ``../../../../etc/passwd`` and a link that
    points out of the workspace are all refused. ``max_size`` is the largest file read, in
    bytes.
    """

    root: Path | None = None
    max_size: int = MAX_FILE_SIZE
    #: what ``root`` is, in messages
    what: str = "the workspace"

    def within(self, folder: Path, what: str) -> Bounds:
        """These bounds, or ``folder`` (described as ``what``) as the root when there is none:
        outside a workspace, kustomize's own rule (a kustomization reads files in or below its
        folder only), or the folder a command was given."""
        if self.root is not None:
            return self
        return Bounds(folder.resolve(), self.max_size, what)

    def inside(
        self,
        path: Path,
        *,
        reference: Position | None = None,
        name: str | None = None,
        hint: str | None = None,
    ) -> Path:
        """``path`` resolved; :class:`RefusedFile` at ``reference`` (else at ``path``) when it
        resolves outside ``root``. ``name``: the path as the reference writes it. The message
        names the paths, never what the file holds."""
        resolved = real(path)
        if self.root is None or resolved.is_relative_to(self.root):
            return resolved
        written = name or (str(path) if reference is not None else "the file")
        if Path(os.path.normpath(path.absolute())).is_relative_to(self.root):
            what = f"{written} leads through a symbolic link to {resolved},"
        elif written != str(resolved):
            what = f"{written} resolves to {resolved},"
        else:
            what = f"{written} is"
        raise RefusedFile(
            f"{what} outside {self.what} {self.root}",
            position=reference or Position(path),
            hint=hint or _OUTSIDE_HINT,
        )


def read_text(
    path: Path,
    *,
    bounds: Bounds | None = None,
    reference: Position | None = None,
    stream: bool = False,
) -> str:
    """The text of ``path``, decoded as UTF-8 (see :func:`read_bytes` for what is read).

    A missing or unreadable file, bytes that are not UTF-8 and control characters (a NUL byte)
    raise :class:`UserError` at the line and column of the first offending byte.
    """
    return decode(read_bytes(path, bounds=bounds, reference=reference, stream=stream), path)


def read_bytes(
    path: Path,
    *,
    bounds: Bounds | None = None,
    reference: Position | None = None,
    stream: bool = False,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``bounds.max_size`` of them.

    :class:`RefusedFile` when ``path`` resolves outside ``bounds.root`` (at ``reference``, the
    line that names the file, when given), is not a regular file, or is larger than the
    limit (at the file); :class:`UserError` when it is missing or unreadable. ``stream``
    also accepts a named pipe or a character device (``/dev/stdin``, a path the user gave on
    the command line), read up to the limit.

    The file is examined before it is opened (opening a device can have effects), opened
    without blocking (a named pipe swapped in meanwhile does not hang the command), examined
    again through the open descriptor, and read up to one byte past the limit, so neither a
    size the file system reports wrongly nor a file that grows can make the read unbounded.
    """
    bounds = bounds or Bounds()
    try:
        before = os.stat(path)
    except FileNotFoundError as exc:
        raise UserError(
            "file not found", position=Position(path), hint="check the path and run again"
        ) from exc
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", position=Position(path)) from exc
    _check_kind(path, before.st_mode, stream)
    if bounds.root is not None:
        bounds.inside(path, reference=reference)
    _check_size(path, before.st_size, bounds.max_size)
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if not stream:
        flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", position=Position(path)) from exc
    try:
        opened = os.fstat(fd)
        _check_kind(path, opened.st_mode, stream)
        _check_size(path, opened.st_size, bounds.max_size)
        chunks: list[bytes] = []
        left = bounds.max_size + 1
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", position=Position(path)) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > bounds.max_size:
        raise _too_large(path, None, bounds.max_size)
    return data


def examine(path: Path, *, bounds: Bounds | None = None, reference: Position | None = None) -> None:
    """What :func:`read_bytes` checks before it opens ``path``, for a file another program
    reads (kustomize): :class:`RefusedFile` when it resolves outside ``bounds.root``, is not
    a regular file or is too large. A missing file or a folder passes: the reader says so."""
    bounds = bounds or Bounds()
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        _check_kind(path, info.st_mode, stream=False)
    if bounds.root is not None:
        bounds.inside(path, reference=reference)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        _check_size(path, info.st_size, bounds.max_size)


def read_quietly(path: Path, *, bounds: Bounds | None = None) -> bytes | None:
    """:func:`read_bytes`, or None for a file that cannot or may not be read: for what is
    only shown beside a finding (the source line of an excerpt, disable comments)."""
    try:
        return read_bytes(path, bounds=bounds)
    except (UserError, RefusedFile):
        return None


def _check_kind(path: Path, mode: int, stream: bool) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise UserError("is a folder, not a file", position=Position(path))
    if stream and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return
    what = _kind(mode)
    if path.is_symlink():
        what = f"a symbolic link to {path.resolve()}, which is {what}"
    raise RefusedFile(
        f"not a regular file: {what}",
        position=Position(path),
        hint="replace it with a regular file: polyinfra reads no device, named pipe or socket, "
        "which could hang the command or feed it without end",
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise _too_large(path, size, limit)


def _too_large(path: Path, size: int | None, limit: int) -> RefusedFile:
    how_big = f"{_size(size)}, more" if size is not None else "more"
    return RefusedFile(
        f"the file is {how_big} than the {_size(limit)} polyinfra reads",
        position=Position(path),
        hint="split it, or raise `max_file_size` under [tool.polyinfra] in "
        'infrastructure/pyproject.toml (e.g. max_file_size = "256MiB")',
    )


def _size(count: int) -> str:
    """``count`` bytes in binary units: ``512 bytes``, ``64 MiB``, ``1.5 KiB``."""
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            if unit == "bytes":
                return f"{count} bytes"
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


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
