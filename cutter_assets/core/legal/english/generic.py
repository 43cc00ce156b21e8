"""The generic English grammar, for a text that shows none of the drafting
conventions ``conventions.py`` reads (no enacting formula, no ``§`` heading):
Part, Chapter, Section, Article, numbered paragraphs (``(1)`` or ``1.``),
lettered points (``(a)`` or ``a)``), read by ``tree.py`` like Vietnamese.

Titles sit either on the heading line (``Article 5 - Scope``, ``CHAPTER II:
DEFINITIONS``) or on the next line (``Article 5`` / ``Scope``). Roman-numbered
sub-points such as ``(i)`` under a point are not modelled: they stop the cut
rather than being guessed.
"""

from __future__ import annotations

import functools
import re

from cutter_assets.core.legal.normalize import EN_NUMBER_WORDS, clean_inline, roman_to_int
from cutter_assets.core.legal.tree import (
    BodyLine,
    CleanForm,
    Heading,
    MarkerForm,
    RunIn,
    Tolerance,
    read_odd_marker,
    reference_line,
)
from cutter_assets.core.legal.vocab import EN_POINT_LETTERS

_KIND_OF = {
    "part": "part",
    "chapter": "chapter",
    "section": "section",
    "article": "article",
}
_HEADING = re.compile(
    r"(PART|Part|CHAPTER|Chapter|SECTION|Section|ARTICLE|Article)(\s*)([0-9]+|[A-Za-z]+)(?![^\W_])(.*)$"
)
_PARAGRAPH = re.compile(r"(?:\((\d{1,3})\)|(\d{1,3})(?!\d)(\.))(\s*)(.*)$")
_POINT = re.compile(r"(?:\(([a-z])\)|([a-z])\))(\s*)(.*)$")
_PUNCT_TITLE = re.compile(r"([.:\-–—](?:\s*[.:\-–—])*)(\s*)(.*)$")
_CLOSING = re.compile(
    r"(?:Done at\b|IN WITNESS WHEREOF|In witness whereof"
    r"|This (?:Regulation|Directive|Decision|Act|Law|Code) shall be binding)"
)
_POINT_INDEX = {letter: i for i, letter in enumerate(EN_POINT_LETTERS, 1)}
# "(1)", "1.", "(a)", "a)"
_CLEAN_MARKERS: frozenset[MarkerForm] = frozenset(
    {(True, True, ")"), (False, True, "."), (True, False, ")"), (False, False, ")")}
)


class EnglishGrammar:
    language = "en"
    title_kinds = frozenset({"part", "chapter", "section", "article"})
    multi_line_titles = False
    capital_titles = False
    clean_forms: dict[str, CleanForm] = {}  # every line is classified

    def classify(self, s: str) -> Heading | BodyLine | None:
        c = s[0]
        if c == "(":
            if s[1:2].isdigit():
                return self._paragraph(s)
            return self._point(s) if s[2:3] == ")" else None
        if "0" <= c <= "9":
            return self._paragraph(s)
        if "a" <= c <= "z":
            return self._point(s) if s[1:2] == ")" else None
        if c in "PCSA":
            return self._heading(s)
        return None

    def _heading(self, s: str) -> Heading | BodyLine | None:
        m = _HEADING.match(s)
        if m is None:
            return None
        word, space, token, tail = m.groups()
        kind = _KIND_OF[word.lower()]
        if token.isdigit():
            value: int | None = int(token)
        else:
            value = roman_to_int(token) or EN_NUMBER_WORDS.get(token.lower())
        if not value:
            return None  # "Part of", "Articles": ordinary words
        tolerances: tuple[Tolerance, ...] = ()
        if not space:
            tolerances = (("heading_missing_space", "no space before the number"),)
        rest = tail.strip()
        if rest and rest[0] in ".:-–—":
            rest = _PUNCT_TITLE.match(rest).group(3)
        elif rest and not (tail[0].isspace() and (rest[0].isupper() or rest[0] == "(")):
            return reference_line(
                f"a cross-reference, not a{'n' if kind == 'article' else ''} {kind}"
            )
        title = clean_inline(rest) or None
        return Heading(kind, value, str(value), title, tolerances=tolerances)

    def _paragraph(self, s: str) -> Heading | None:
        m = _PARAGRAPH.match(s)
        if m is None:
            return None
        in_parens, dotted, dot, space, rest = m.groups()
        if dot and not space and rest[:1].isdigit():
            return None  # 1.4: a decimal, not a paragraph
        tolerances: tuple[Tolerance, ...] = ()
        if rest and not space:
            tolerances = (("marker_punctuation", "no space after the number"),)
        number = int(in_parens or dotted)
        return Heading("clause", number, str(number), text=rest, tolerances=tolerances)

    def _point(self, s: str) -> Heading | None:
        m = _POINT.match(s)
        if m is None:
            return None
        in_parens, bare, space, rest = m.groups()
        letter = in_parens or bare
        tolerances: tuple[Tolerance, ...] = ()
        if rest and not space:
            tolerances = (("marker_punctuation", "no space after the letter"),)
        return Heading("point", _POINT_INDEX[letter], letter, text=rest, tolerances=tolerances)

    def is_title_line(self, s: str) -> bool:
        return len(s) <= 200 and s[0].isupper() and s[-1] not in ".;:,"

    def is_closing(self, s: str) -> bool:
        return _CLOSING.match(s) is not None

    def is_closing_paragraph(self, text: str) -> bool:
        return False

    def is_signed_marker(self, s: str) -> bool:
        return False

    def is_signer_name(self, s: str) -> bool:
        return False

    def display(self, kind: str, ordinal: int) -> str:
        if kind == "point":
            return EN_POINT_LETTERS[ordinal - 1] if 0 < ordinal <= len(EN_POINT_LETTERS) else "?"
        return str(ordinal)

    def number_of(self, kind: str, ordinal: int) -> str:
        return self.display(kind, ordinal)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - grammars are module-level singletons
    def embedded_marker(self, kind: str, ordinal: int) -> RunIn | None:
        """``<text>[;.:]<marker> <text>``: a marker run into the previous line."""
        if kind == "point" and 0 < ordinal <= len(EN_POINT_LETTERS):
            letter = EN_POINT_LETTERS[ordinal - 1]
            needle, marker = f"{letter})", rf"(?:\({letter}\)|{letter}\))"
        elif kind == "clause":
            needle, marker = str(ordinal), rf"(?:\({ordinal}\)|{ordinal}\.)"
        else:
            return None
        return needle, re.compile(rf"(.*?[;.:])\s*{marker}\s*(\S.*)$")

    def odd_marker(self, s: str) -> tuple[str, int] | None:
        return read_odd_marker(s, _CLEAN_MARKERS, _POINT_INDEX, capitalised=False)
