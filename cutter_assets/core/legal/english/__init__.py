"""English legal texts: the drafting convention is read from the document
(``conventions.py``), then its hierarchy (``builder.py``); a text that shows
none of the conventions is read by the generic grammar (``generic.py``:
Part, Chapter, Section, Article, numbered paragraphs, lettered points)."""

from __future__ import annotations

from cutter_assets.core.legal.english.builder import EnglishReader, extraction_of, odd_lines
from cutter_assets.core.legal.english.conventions import CONVENTIONS, detect_convention
from cutter_assets.core.legal.english.generic import EnglishGrammar
from cutter_assets.core.legal.model import Extraction, ExtractWarning
from cutter_assets.core.legal.tree import build_extraction

__all__ = ["CONVENTIONS", "EnglishExtractor", "EnglishGrammar", "detect_convention"]


class EnglishExtractor:
    """The ``en`` extractor: a convention's reader, or the generic grammar."""

    language = "en"
    generic = EnglishGrammar()

    def read_document(
        self,
        text: str,
        *,
        doc_code: str,
        warnings: list[ExtractWarning],
        max_units: int,
        odd_space: bool,
        quotes: bool,
    ) -> Extraction:
        """Cut a prepared text (LF line ends, NFC) into its units. ``odd_space``
        and ``quotes`` are ``prepare_text``'s promises (no tab or Unicode space,
        no quotation mark); a convention's reader finds quotations itself."""
        lines = text.split("\n")
        convention = detect_convention(text)
        if convention is None:
            return build_extraction(
                self.generic,
                doc_code=doc_code,
                lines=lines,
                warnings=warnings,
                max_units=max_units,
                odd_space=odd_space,
                quotes=quotes,
            )
        odd = odd_lines(text) if odd_space else frozenset()
        reader = EnglishReader(convention, doc_code, lines, warnings, odd)
        return extraction_of(reader, reader.read(), max_units)
