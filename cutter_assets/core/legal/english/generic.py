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

from cutter_assets.core.legal import grammar
from cutter_assets.core.legal.normalize import EN_NUMBER_WORDS, clean_inline, roman_to_int
from cutter_assets.core.legal.vocab import EN_POINT_LETTERS

_HEADING = re.compile(
    r"(PART|Part|CHAPTER|Chapter|SECTION|Section|ARTICLE|Article)(\s*)([0-9]+|[A-Za-z]+)(?![^\W_])(.*)$"
)
_PARAGRAPH = re.compile(r"(?:\((\d{1,3})\)|(\d{1,3})(?!\d)(\.))(\s*)(.*)$")
_POINT = re.compile(r"(?:\(([a-z])\)|([a-z])\))(\s*)(.*)$")
_CLOSING = re.compile(
    r"(?:Done at\b|IN WITNESS WHEREOF|In witness whereof"
    r"|This (?:Regulation|Directive|Decision|Act|Law|Code) shall be binding)"
)
# Clauses "(1)" or "1.", points "(a)" or "a)" (``odd_marker``).
_POINTS = grammar.Points(
    EN_POINT_LETTERS,
    clean=frozenset(
        {(True, True, ")"), (False, True, "."), (True, False, ")"), (False, False, ")")}
    ),
)


class EnglishGrammar(grammar.LetteredGrammar):
    """English text in no drafting convention: titles on the heading line or the
    next one, in any case; none of the optional readings of ``grammar.Grammar``."""

    language = "en"
    title_kinds = frozenset({"part", "chapter", "section", "article"})
    multi_line_titles = False
    capital_titles = False
    points = _POINTS

    def classify(self, s: str) -> grammar.Classified:
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

    def _heading(self, s: str) -> grammar.Classified:
        m = _HEADING.match(s)
        if m is None:
            return None
        word, space, token, tail = m.groups()
        kind = word.lower()  # part, chapter, section, article
        if token.isdigit():
            value: int | None = int(token)
        else:
            value = roman_to_int(token) or EN_NUMBER_WORDS.get(token.lower())
        if not value:
            return None  # "Part of", "Articles": ordinary words
        tolerances, rest, marked = grammar.heading_tail(space, tail)
        set_off = marked or (tail[:1].isspace() and (rest[:1].isupper() or rest[:1] == "("))
        if rest and not set_off:
            return grammar.reference_line(
                f"a cross-reference, not a{'n' if kind == 'article' else ''} {kind}"
            )
        title = clean_inline(rest) or None
        return grammar.Heading(kind, value, str(value), title, tolerances=tolerances)

    def _paragraph(self, s: str) -> grammar.Heading | None:
        m = _PARAGRAPH.match(s)
        if m is None:
            return None
        in_parens, dotted, dot, space, rest = m.groups()
        if dot and not space and rest[:1].isdigit():
            return None  # 1.4: a decimal, not a paragraph
        tolerances: tuple[grammar.Tolerance, ...] = ()
        if rest and not space:
            tolerances = (("marker_punctuation", "no space after the number"),)
        number = int(in_parens or dotted)
        return grammar.Heading("clause", number, str(number), text=rest, tolerances=tolerances)

    def _point(self, s: str) -> grammar.Heading | None:
        m = _POINT.match(s)
        if m is None:
            return None
        in_parens, bare, space, rest = m.groups()
        letter = in_parens or bare
        tolerances: tuple[grammar.Tolerance, ...] = ()
        if rest and not space:
            tolerances = (("marker_punctuation", "no space after the letter"),)
        return grammar.Heading(
            "point", _POINTS.index[letter], letter, text=rest, tolerances=tolerances
        )

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

    @functools.lru_cache(maxsize=256)  # noqa: B019 - grammars are module-level singletons
    def embedded_marker(self, kind: str, ordinal: int) -> grammar.RunIn | None:
        """``<text>[;.:]<marker> <text>``: a marker run into the previous line."""
        if kind == "point" and 0 < ordinal <= len(EN_POINT_LETTERS):
            letter = EN_POINT_LETTERS[ordinal - 1]
            needle, marker = f"{letter})", rf"(?:\({letter}\)|{letter}\))"
        elif kind == "clause":
            needle, marker = str(ordinal), rf"(?:\({ordinal}\)|{ordinal}\.)"
        else:
            return None
        return needle, re.compile(rf"(.*?[;.:])\s*{marker}\s*(\S.*)$")
