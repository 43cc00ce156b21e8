"""The entry point: normalise the lines, pick the grammar, build the tree.

Grammars are pluggable: ``EXTRACTORS`` maps a language code to a grammar
object (see ``tree.Grammar``); ``register_extractor`` adds one.
"""

from __future__ import annotations

import unicodedata

from cutter_assets.core.intake import check_doc_code, sanitize_echo
from cutter_assets.core.legal.detect import detect_language
from cutter_assets.core.legal.english import EnglishGrammar
from cutter_assets.core.legal.model import Extraction, ExtractWarning
from cutter_assets.core.legal.normalize import (
    has_lookalike,
    has_odd_space,
    normalize_line,
    split_lines,
)
from cutter_assets.core.legal.tree import Grammar, build_extraction
from cutter_assets.core.legal.vietnamese import VietnameseGrammar
from cutter_assets.core.legal.vocab import DEFAULT_MAX_UNITS
from cutter_assets.core.stops import CutterStop, StopCode

EXTRACTORS: dict[str, Grammar] = {"vi": VietnameseGrammar(), "en": EnglishGrammar()}


def register_extractor(language: str, grammar: Grammar) -> None:
    """Make ``grammar`` the extractor for ``language`` (tests, new languages)."""
    EXTRACTORS[language] = grammar


def prepare_lines(text: str) -> tuple[list[str], list[ExtractWarning]]:
    """Split into lines (LF, CRLF, CR) and compose each to NFC with look-alike
    letters fixed, reporting every line that needed it."""
    lines = split_lines(text)
    warnings: list[ExtractWarning] = []
    if text.isascii():
        return lines, warnings
    nfc = unicodedata.normalize
    lookalikes = has_lookalike(text)
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        fixed = nfc("NFC", line)  # returns at once when the quick check says NFC
        if fixed != line:
            warnings.append(ExtractWarning(i + 1, "unicode_nfd", "decomposed text composed to NFC"))
        if lookalikes and has_lookalike(fixed):
            warnings.append(ExtractWarning(i + 1, "lookalike_letter", "Ð/ð (eth) read as Đ/đ"))
            fixed = normalize_line(fixed)
        lines[i] = fixed
    return lines, warnings


def extract_units(
    text: str,
    *,
    doc_code: str,
    language: str | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
) -> Extraction:
    """Cut a legal text into its units (DESIGN §5b), or stop with STOP_STRUCTURE.

    ``language`` None detects vi/en. Tolerances applied are in
    ``Extraction.warnings``; anything inconsistent stops with the line.
    """
    check_doc_code(doc_code)
    if language is not None and language not in EXTRACTORS:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"language {sanitize_echo(str(language))!r} is not one of {', '.join(EXTRACTORS)}",
        )
    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 1:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, "max_units must be a positive integer")
    if not text.strip():
        raise CutterStop(StopCode.STOP_EMPTY_INPUT, f"document {doc_code} holds no text")
    lines, warnings = prepare_lines(text)
    joined = "\n".join(lines)
    if language is None:
        language = detect_language(joined)
    return build_extraction(
        EXTRACTORS[language],
        doc_code=doc_code,
        lines=lines,
        warnings=warnings,
        max_units=max_units,
        odd_space=has_odd_space(joined),
    )
