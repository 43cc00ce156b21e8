"""The entry point: normalise the text, pick the extractor, build the tree.

Extractors are pluggable: ``EXTRACTORS`` maps a language code to a grammar
object (see ``grammar.Grammar``), whose lines ``tree.build_extraction`` reads, or
to a reader of whole documents (``DocumentReader``: English, whose hierarchy
depends on the drafting convention); ``register_extractor`` adds one.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from cutter_assets.core.intake import check_doc_code, sanitize_echo
from cutter_assets.core.legal.acceptance import (
    Acknowledgment,
    check_reviewable,
    disambiguated,
    settle,
)
from cutter_assets.core.legal.detect import detect_language
from cutter_assets.core.legal.english import EnglishExtractor
from cutter_assets.core.legal.grammar import Grammar
from cutter_assets.core.legal.model import Extraction, ExtractWarning, PreparedText
from cutter_assets.core.legal.normalize import (
    has_lookalike,
    has_odd_space,
    nfc_line,
    normalize_line,
    plain_end,
)
from cutter_assets.core.legal.quotes import has_quote_mark
from cutter_assets.core.legal.tree import read_with_grammar
from cutter_assets.core.legal.vietnamese import VietnameseGrammar
from cutter_assets.core.legal.vocab import DEFAULT_MAX_UNITS
from cutter_assets.core.stops import CutterStop, StopCode


class DocumentReader(Protocol):
    """An extractor that reads a whole prepared text (see ``EnglishExtractor``)."""

    language: str

    def read_document(self, prepared: PreparedText) -> Extraction: ...


EXTRACTORS: dict[str, Grammar | DocumentReader] = {
    "vi": VietnameseGrammar(),
    "en": EnglishExtractor(),
}


def register_extractor(language: str, grammar: Grammar | DocumentReader) -> None:
    """Make ``grammar`` the extractor for ``language`` (tests, new languages)."""
    EXTRACTORS[language] = grammar


def prepare_text(text: str) -> tuple[str, list[ExtractWarning], bool]:
    """LF line ends, and every line composed to NFC with look-alike letters fixed,
    reporting each line that needed it; also whether the result holds whitespace
    other than spaces (``has_odd_space``).

    Only a line holding a character outside ``PLAIN_RANGES`` can need a fix or hold
    odd whitespace, so only those lines are looked at: most texts hold none.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    end = len(text)
    at = plain_end(text)
    if at == end:
        return text, [], False
    lookalikes = has_lookalike(text)
    composed: dict[str, str] = {}  # nfc_line's pieces, for this text only
    warnings: list[ExtractWarning] = []
    pieces: list[str] = []
    copied = 0  # text[:copied] is in pieces
    lineno, counted = 1, 0  # the line number of text[counted]
    looked_at: list[str] = []  # the lines looked at, prepared: the only ones with odd spaces
    while at < end:
        start = text.rfind("\n", 0, at) + 1
        stop = text.find("\n", at)
        if stop < 0:
            stop = end
        lineno += text.count("\n", counted, start)
        counted = start
        line = text[start:stop]
        fixed = nfc_line(line, composed)
        if fixed != line:
            warnings.append(
                ExtractWarning(lineno, "unicode_nfd", "decomposed text composed to NFC")
            )
        if lookalikes and has_lookalike(fixed):
            warnings.append(ExtractWarning(lineno, "lookalike_letter", "Ð/ð (eth) read as Đ/đ"))
            fixed = normalize_line(fixed)
        if fixed != line:
            pieces.append(text[copied:start])
            pieces.append(fixed)
            copied = stop
        looked_at.append(fixed)
        at = plain_end(text, stop)
    pieces.append(text[copied:])
    return "".join(pieces), warnings, has_odd_space("\n".join(looked_at))


def extract_units(
    text: str,
    *,
    doc_code: str,
    language: str | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
    accept: Acknowledgment | None = None,
) -> Extraction:
    """Cut a legal text into its units (DESIGN §5b), or stop with STOP_STRUCTURE.

    ``language`` None detects vi/en. Tolerances applied are in
    ``Extraction.warnings``; anything inconsistent is an anomaly, and any
    anomaly stops with all of them (``anomalies.py``, ``StructureStop``) unless
    ``accept`` acknowledges exactly those of this text: the text is then cut as
    found (``acceptance.py``), its anomalies in ``Extraction.anomalies``.
    """
    if accept is None:
        return _extract(text, doc_code, language, max_units, as_found=False)
    return settle(extract_as_found(text, doc_code=doc_code, language=language,
                                   max_units=max_units), accept, text)  # fmt: skip


def extract_as_found(
    text: str, *, doc_code: str, language: str | None = None, max_units: int = DEFAULT_MAX_UNITS
) -> Extraction:
    """The text cut as found, with every anomaly it has (none: the ordinary cut):
    what a structure review puts to a person. STOP_STRUCTURE where no as-found
    cut exists (reading stopped, an anomaly no cut takes as found, too many)."""
    extraction = _extract(text, doc_code, language, max_units, as_found=True)
    if not extraction.anomalies:
        return extraction
    check_reviewable(extraction.anomalies)
    return dataclasses.replace(extraction, units=disambiguated(extraction.units))


def _extract(
    text: str, doc_code: str, language: str | None, max_units: int, *, as_found: bool
) -> Extraction:
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
    text, warnings, odd_space = prepare_text(text)
    if language is None:
        language = detect_language(text)
    extractor = EXTRACTORS[language]
    prepared = PreparedText(
        text, doc_code, warnings, max_units, odd_space, has_quote_mark(text), as_found
    )
    read_document = getattr(extractor, "read_document", None)
    if read_document is not None:
        return read_document(prepared)
    return read_with_grammar(extractor, prepared)
