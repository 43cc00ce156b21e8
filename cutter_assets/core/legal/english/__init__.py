"""English legal texts: the drafting convention is read from the document
(``conventions.py``), then its hierarchy (``builder.py``); a text that shows
none of the conventions is read by the generic grammar (``generic.py``:
Part, Chapter, Section, Article, numbered paragraphs, lettered points)."""

from __future__ import annotations

from cutter_assets.core.legal.english.builder import EnglishReader, english_extraction, odd_lines
from cutter_assets.core.legal.english.conventions import CONVENTIONS, detect_convention
from cutter_assets.core.legal.english.generic import EnglishGrammar
from cutter_assets.core.legal.model import Extraction, PreparedText
from cutter_assets.core.legal.tree import read_with_grammar

__all__ = ["CONVENTIONS", "EnglishExtractor", "EnglishGrammar", "detect_convention"]


class EnglishExtractor:
    """The ``en`` extractor: a convention's reader, or the generic grammar."""

    language = "en"
    generic = EnglishGrammar()

    def read_document(self, prepared: PreparedText) -> Extraction:
        """Cut a prepared text into its units; a convention's reader finds
        quotations itself (``prepared.quotes`` is the generic grammar's)."""
        text = prepared.text
        convention = detect_convention(text)
        if convention is None:
            return read_with_grammar(self.generic, prepared)
        odd = odd_lines(text) if prepared.odd_space else frozenset()
        lines = text.split("\n")
        reader = EnglishReader(
            convention, prepared.doc_code, lines, prepared.warnings, odd, prepared.as_found
        )
        return english_extraction(reader, reader.read(), prepared.max_units)
