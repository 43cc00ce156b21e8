"""Intake rules for untrusted input: document codes and document text.

Pure functions; the CLI and the database layer call them before anything is
written, so a refusal never leaves a half-registered document behind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cutter_assets.core.stops import CutterStop, StopCode

DOC_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{1,63}$")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
LANGUAGES = ("vi", "en")


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
    oversize and non-UTF-8 input with its own STOP code."""
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
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CutterStop(StopCode.STOP_EMPTY_INPUT, f"{name} holds no text")
    return DocumentText(text=text, sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data))
