"""Intake rules for untrusted input: document codes, titles, caps, document
text, and the one way an input file is read.

Pure functions, except ``read_input_file``, which every command uses to read a
file it is handed (kept here so there is one rule for it); the CLI and the
database layer call them before anything is written, so a refusal never leaves
a half-registered document behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cutter_assets.core.stops import CutterStop, StopCode

DOC_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{1,63}$")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# No command reads more than this from one file, whatever a setting says.
READ_CAP_BYTES = 64 * 1024 * 1024
# An approval doc is a short header and a few lines of text.
APPROVAL_MAX_BYTES = 1024 * 1024
# public.source_document.max_units is a PostgreSQL integer.
MAX_UNITS_CEILING = 2**31 - 1
TITLE_MAX_CHARS = 500
LANGUAGES = ("vi", "en")
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def sanitize_echo(value: str, limit: int = 40) -> str:
    """A printable, bounded echo of untrusted input for a refusal line."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in value)
    return printable if len(printable) <= limit else printable[:limit] + "..."


def check_doc_code(code: str) -> str:
    """Return ``code`` if it matches the strict pattern, else STOP_BAD_DOC_CODE.

    Doc codes are partition keys and path components, so nothing loose passes.
    """
    if not isinstance(code, str) or not DOC_CODE_PATTERN.fullmatch(code):
        raise CutterStop(
            StopCode.STOP_BAD_DOC_CODE,
            f"document code {sanitize_echo(str(code))!r} must match {DOC_CODE_PATTERN.pattern}",
        )
    return code


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"language {sanitize_echo(str(language))!r} is not one of {', '.join(LANGUAGES)}",
        )
    return language


def has_control(text: str) -> bool:
    """True if ``text`` holds a control or format character, a lone surrogate
    (an undecodable argv byte) or any kind of line break."""
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text)


def check_title(title: str) -> str:
    """Return ``title`` if it is one bounded line of text, else STOP_REFUSED_INPUT
    (a control character or line break would split listings and KB headers;
    PostgreSQL text cannot hold NUL)."""
    if has_control(title):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"title {sanitize_echo(title)!r} holds a control character or line break",
        )
    if len(title) > TITLE_MAX_CHARS:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"title is {len(title)} characters; the limit is {TITLE_MAX_CHARS}",
        )
    return title


def check_max_units(max_units: int) -> int:
    """Return ``max_units`` if it is a positive PostgreSQL integer, else STOP_REFUSED_INPUT."""
    if not 1 <= max_units <= MAX_UNITS_CEILING:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"--max-units must lie in 1..{MAX_UNITS_CEILING}"
        )
    return max_units


@dataclass(frozen=True)
class DocumentText:
    """A decoded document text with the digest of its exact bytes."""

    text: str
    sha256: str
    byte_size: int


def decode_document(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, name: str = "input"
) -> DocumentText:
    """Decode a document's bytes as UTF-8 (a BOM is dropped), refusing empty,
    oversize and non-UTF-8 input with its own STOP code, and NUL bytes (no
    PostgreSQL text can hold one; UTF-16 text without a BOM is full of them)."""
    name = sanitize_echo(name)
    if len(data) > max_bytes:
        raise CutterStop(
            StopCode.STOP_TOO_LARGE,
            f"{name} is {len(data)} bytes; the limit is {max_bytes} bytes",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CutterStop(
            StopCode.STOP_NOT_UTF8,
            f"{name} is not UTF-8 (invalid byte at offset {err.start})",
        ) from None
    if "\x00" in text:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"{name} holds a NUL byte (offset {data.index(0)}); text cannot hold NUL",
        )
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CutterStop(StopCode.STOP_EMPTY_INPUT, f"{name} holds no text")
    return DocumentText(text=text, sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data))


def read_input_file(path: Path | str, cap: int = READ_CAP_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``cap`` (never more
    than READ_CAP_BYTES), read without ever blocking.

    Refused with one STOP: anything but a regular file (a FIFO, a device, a
    directory, a socket) is detected after a non-blocking open, before any
    read; a path that passes through a symlink is refused when the file it
    resolves to lies outside the current working directory (a link into
    /etc is not a document); a plain path outside the working directory,
    given as it is, is read. More than ``cap`` bytes is STOP_TOO_LARGE.
    """
    path = os.fspath(path)
    name = sanitize_echo(os.path.basename(path) or path)
    cap = min(cap, READ_CAP_BYTES)
    if "\x00" in path:  # no argv can carry one; a caller in process can
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"the file name {name!r} holds a NUL")
    real = os.path.realpath(path)
    if real != os.path.abspath(path) and not _is_inside(real, os.path.realpath(os.getcwd())):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"{name} is a link to a file outside the working directory"
        )
    try:
        # O_NOFOLLOW: the resolved path must not have become a link since.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"cannot read {name}: {err.strerror or 'refused'}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode)
            raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"{name} is {kind}, not a regular file")
        # The size is checked before reading, and once more after: the file may grow.
        data = b"" if info.st_size > cap else _read_at_most(fd, cap + 1)
    finally:
        os.close(fd)
    if info.st_size > cap:
        raise CutterStop(
            StopCode.STOP_TOO_LARGE, f"{name} is {info.st_size} bytes; the limit is {cap} bytes"
        )
    if len(data) > cap:
        raise CutterStop(
            StopCode.STOP_TOO_LARGE, f"{name} grew past the limit of {cap} bytes while read"
        )
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(limit - size, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _is_inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, for a refusal's line."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"
