"""How Vietnamese legal texts look: Phần, Chương, Mục, Tiểu mục, Điều, khoản
(``1.``), điểm (``a)``), the closing formula, the signature block and the
annexes (``PHỤ LỤC``) after it.

``classify`` is context-free: it reads one stripped, NFC line and says which
unit it would open and which irregularities it carries. Whether the unit is
accepted (its number is exactly the next one) is decided in ``tree.py``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from cutter_assets.core.legal import grammar
from cutter_assets.core.legal.normalize import (
    clean_inline,
    is_upper_title,
    one_edit,
    roman_to_int,
    vi_number_words,
)
from cutter_assets.core.legal.vocab import VI_POINT_LETTERS

_POINT_SLUG = {"đ": "dd"}
# Clauses "1." and points "a)", their text in capitals (``odd_marker``).
_POINTS = grammar.Points(
    VI_POINT_LETTERS,
    clean=frozenset({(False, True, "."), (False, False, ")")}),
    capitalised=True,
    slugs=_POINT_SLUG,
)
_POINT_INDEX = _POINTS.index

# The clean forms, matched first (most lines): "Điều 5. Title", "1. Text", "a) Text".
_ARTICLE_CLEAN = re.compile(r"Điều (\d+)\.(?: +(\S.*))?$")
_CLAUSE_CLEAN = re.compile(r"(\d{1,3})\. +(\S.*)$")
_POINT_CLEAN = re.compile(r"([a-zđ])\) +(\S.*)$")
_ARTICLE = re.compile(r"([ĐD][^\W\d_]{1,5})(\s*)(\d+)(?!\d)([^\W\d_]*)(.*)$")
_CLAUSE = re.compile(r"(\d{1,3})(?!\d)(\s*)([.,]*)(\s*)(.*)$")
_POINT = re.compile(r"([a-zđ])(\s?)\)(\s*)(.*)$")
_NUMBERED_WORDS = {
    "chapter": "Chương|CHƯƠNG",
    "section": "Mục|MỤC",
    "subsection": "Tiểu mục|TIỂU MỤC",
}
_NUMBERED = {
    kind: re.compile(rf"(?:{words})([.:]?)(\s*)([IVXLCDM]+|\d+)(?![^\W_])(.*)$")
    for kind, words in _NUMBERED_WORDS.items()
}
# "Mục 2ĐIỀU KIỆN ...": a decimal number with the title run into it.
_GLUED_TITLE = {
    kind: re.compile(rf"(?:{words})(\s*)(\d+)([^\W\d_].*)$")
    for kind, words in _NUMBERED_WORDS.items()
}
_PART = re.compile(r"(?:Phần|PHẦN)(\s*)(?:([IVXLCDM]+|\d+)(?![^\W_])|(?:THỨ|Thứ|thứ)\s+)(.*)$")
# Clause and point text starts with a capital or a digit (every one in the corpus
# does): "4. tháng 7 năm 2015" or "a) và ..." at the start of a line is a sentence
# wrapped at a number or letter, or a unit whose capital was lost on an accented
# initial ("4. ủy ban ..."): the builder decides from the line before it.
# Markers in another convention, taken where a whole list is written that way:
# "1)", "1-" for clauses, "a.", "a-" for points (then a capital).
_CLAUSE_FORM = re.compile(r"(\d{1,3})\s?([)\-–—])\s*(\S.*)$")
_POINT_FORM = re.compile(r"([a-zđ])\s?([.\-–—])\s+(\S.*)$")
_FORM_PUNCT = {")": ")", ".": ".", "-": "-", "–": "-", "—": "-"}


def _capitalised(pattern: re.Pattern[str]) -> Callable[[str], re.Match[str] | None]:
    """``pattern.match``, taking only a marker whose text (group 2) is not lower case."""

    def match(s: str) -> re.Match[str] | None:
        m = pattern.match(s)
        return None if m is None or m.group(2)[0].islower() else m

    return match


_clause_clean = _capitalised(_CLAUSE_CLEAN)
_point_clean = _capitalised(_POINT_CLEAN)


_WRAPPED = "a sentence wrapped at a number or letter (the text after it starts in lower case)"
_LOWER = ("marker_lower_case", "its text starts in lower case: a capital lost")
# "l." where the clause 1. is due: a look-alike the next clause must confirm.
_DIGIT_LOOKALIKE = ("number_typo", "'l.' read as '1.'")
_DASHES = "-–—"


def _dash_title(tail: str) -> bool:
    """``- Title`` after an article number: a title in capitals follows the dash
    (``Điều 5 - 7 của Luật này`` is a range in a wrapped reference)."""
    return grammar.TITLE_MARKS.match(tail).group(3)[:1].isupper()


# The passing formula: passed by the National Assembly or its Standing Committee
# ("Luật này được áp dụng ... đã được Hội đồng nhân dân thông qua" inside an
# article is no closing).
_PASSED = (
    r"(?:Hiến pháp|Bộ luật|Luật|Pháp lệnh|Nghị quyết|Nghị định|Sắc lệnh|Lệnh) này "
    r"(?:(?:đã )?được|do) (?:Quốc hội|Ủy ban [Tt]hường vụ Quốc hội)\b"
)
_CLOSING = re.compile(rf"(?:{_PASSED}.*thông qua|(?:PHÓ )?CHỦ TỊCH\b|TM\.|T/M|KT\.|Nơi nhận\s*:)")
# The same formula read in the paragraph just before the signature, in any case,
# spaces collapsed: "thông qua" may be cut off there.
_LOOSE_CLOSING = re.compile(_PASSED, re.IGNORECASE)
_SIGNED = re.compile(r"\(?(?:Đã|đã) ký\)?")
# "PHỤ LỤC", "Phụ lục II", "PHỤ LỤC SỐ 01. TITLE" after the signature: an annex
# (a title, if any, in capitals: "Phụ lục ban hành kèm theo ..." is a sentence).
_ANNEX = re.compile(r"(?:PHỤ LỤC|Phụ lục)(?:\s*(?:SỐ|Số|số)?\s*([IVXLC]+|\d+))?(?![^\W_])(.*)$")
# A paragraph naming "this article" ("… theo quy định tại Điều này.") or "this
# clause": not "khoản 2 Điều này" or "điểm a khoản này", which name a part of it.
# Delegating its details ("Chính phủ quy định chi tiết Điều này.") speaks for the
# whole unit: only the unit itself says that.
_THIS = {"article": "[ĐđD]iều", "clause": "[Kk]hoản", "point": "[Đđ]iểm"}
_SELF_REFERENCE = {
    kind: re.compile(rf"(?<!\w)(?<!\d )(?<!\s[a-zđ] ){word}\s+này(?!\w)")
    for kind, word in _THIS.items()
}
_DELEGATION = {
    kind: re.compile(
        rf"(?:quy định|hướng dẫn) (?:chi tiết|cụ thể|thi hành|việc thi hành)(?!\w)[^.;:]*?"
        rf"(?<!\w)(?<!\d )(?<!\s[a-zđ] ){word}\s+này(?!\w)"
    )
    for kind, word in _THIS.items()
}

_KEYWORDS = ("Điều", "ĐIỀU")
# A line shaped like a heading whose keyword or number is damaged ("Dieu 133.",
# "Điều l33.", "CHƯONG IX", "Chương lX", "Muc 3: TITLE"): a keyword (see _damaged),
# a number or numeral with OCR look-alikes, then nothing, or a dot or colon. It
# cannot be read, and as body text it would silently fold the unit into the one
# before (nothing later contradicts a lost last unit): it stops.
_DAMAGED_FIRST = frozenset("DĐCMPdđcmp")  # the first letters of those keywords
_DAMAGED = re.compile(r"([^\s,;]+?)[,;]?\s*(?:([0-9IVXLCDMlOo]+)\s*(?:[.:].*|\s+(\S).*)?)?$")
# Letters typed for one another (d/đ differ by a stroke, i/l by a hook); each may
# stand for the other, and only where that is exactly the next letter.
_LOOKALIKE = {
    a: (_POINT_INDEX[b], _POINT_SLUG.get(b, b), ("point_letter", f"'{a})' where '{b})' is due"))
    for a, b in (("đ", "d"), ("d", "đ"), ("i", "l"), ("l", "i"))
}


def _letters_and_marks(word: str) -> tuple[str, frozenset[str]]:
    """The base letters (lower case, đ as d) and the accent marks of a word."""
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return letters, frozenset(ch for ch in decomposed if unicodedata.combining(ch))


# Each keyword's letters and the marks it carries: a damaged keyword has the same
# letters and at most those marks (lost accents, changed case), so "Mức" (level),
# "Chuông" (bell) or "Phán" never read as one.
_DAMAGED_KEYWORDS = {
    _letters_and_marks(word)[0]: (kind, _letters_and_marks(word)[1])
    for word, kind in (
        ("Điều", "article"),
        ("Chương", "chapter"),
        ("Mục", "section"),
        ("Phần", "part"),
    )
}


def _damaged(s: str) -> grammar.Heading | None:
    m = _DAMAGED.match(s)
    if m is None:
        return None
    word, token, title = m.groups()
    if title is not None and not title.isupper():
        return None  # "Muc 3 chương này ...": words after a number, not a title
    letters, marks = _letters_and_marks(word)
    known = _DAMAGED_KEYWORDS.get(letters)
    if known is None or not marks <= known[1]:
        return None
    kind = known[0]
    return grammar.Heading(
        kind,
        0,
        token or "",
        refusal=f"{kind} heading that cannot be read (damaged keyword or number)",
    )


class VietnameseGrammar(grammar.LetteredGrammar):
    """Vietnamese laws: headings and titles in capitals, titles that may take
    several lines, and every optional reading of ``grammar.Grammar``."""

    language = "vi"
    title_kinds = frozenset({"part", "chapter", "section", "subsection"})
    multi_line_titles = True
    capital_titles = True
    sentence_titles = True
    confirmed_typos = True
    marker_chains = True
    table_rows = True
    points = _POINTS
    # "Điều 5. Title", "1. Text", "a) Text": the clean forms ``classify`` tries first,
    # read the same way by the builder without building a Heading (most lines).
    clean_forms = {
        "Đ": ("article", _ARTICLE_CLEAN.match, None),
        **dict.fromkeys("0123456789", ("clause", _clause_clean, None)),
        **dict.fromkeys(
            VI_POINT_LETTERS,
            (
                "point",
                _point_clean,
                {k: (i, _POINT_SLUG.get(k, k)) for k, i in _POINT_INDEX.items()},
            ),
        ),
    }

    def classify(self, s: str) -> grammar.Classified:
        found = self._read(s)
        if found is None and s[0] in _DAMAGED_FIRST:
            return _damaged(s)
        return found

    def _read(self, s: str) -> grammar.Classified:
        c = s[0]
        if "0" <= c <= "9":
            return self._clause(s)
        if "a" <= c <= "z" or c == "đ":
            second = s[1:2]
            if second == ")" or (second == " " and s[2:3] == ")"):
                return self._point(s)
            if second in _FORM_PUNCT or (second == " " and s[2:3] in _FORM_PUNCT):
                return self._point_form(s)
            return None
        if c == "Đ" or c == "D":
            return self._article(s)
        if c == "C":
            return self._numbered(s, "chapter") if s.startswith(("Chương", "CHƯƠNG")) else None
        if c == "M":
            return self._numbered(s, "section") if s.startswith(("Mục", "MỤC")) else None
        if c == "T":
            if s.startswith(("Tiểu mục", "TIỂU MỤC")):
                return self._numbered(s, "subsection")
            return None
        if c == "P":
            return self._part(s) if s.startswith(("Phần", "PHẦN")) else None
        return None

    # -- Điều -----------------------------------------------------------------
    def _article(self, s: str) -> grammar.Classified:
        m = _ARTICLE_CLEAN.match(s)
        if m is not None:
            digits, title = m.groups()
            return grammar.Heading(
                "article", int(digits), str(int(digits)), clean_inline(title or "")
            )
        m = _ARTICLE.match(s)
        if m is None:
            return None
        word, space, digits, suffix, tail = m.groups()
        tolerances: list[grammar.Tolerance] = []
        if word not in _KEYWORDS:
            if not (one_edit(word, "Điều") or one_edit(word, "ĐIỀU")):
                return None
            titled = tail[:1].isspace() and tail.lstrip()[:1].isupper()
            if suffix or not (tail[:1] in (".", ":") or titled):
                return None  # "Điền 3 bản": a word, not a heading
            tolerances.append(("heading_typo", f"'{word}' for 'Điều'"))
        elif suffix:
            return grammar.Heading(
                "article", 0, digits, refusal=f"article number '{digits}{suffix}' is not supported"
            )
        if not space:
            tolerances.append(("heading_missing_space", "no space before the number"))
        number = int(digits)
        if not tail:
            tolerances.append(("heading_missing_dot", "no dot after the number"))
            return grammar.Heading("article", number, str(number), "", tolerances=tuple(tolerances))
        first = tail[0]
        if first in ".:" or (first in _DASHES and _dash_title(tail)):
            punct, gap, rest = grammar.TITLE_MARKS.match(tail).groups()
            if punct != ".":
                tolerances.append(("heading_punctuation", f"'{punct}' after the number"))
            elif rest and not gap:
                tolerances.append(("heading_punctuation", "no space after the dot"))
            title = rest
        elif first.isspace():
            rest = tail.lstrip()
            if rest[0] in ".:" or (rest[0] in _DASHES and _dash_title(rest)):
                punct, _, title = grammar.TITLE_MARKS.match(rest).groups()
                tolerances.append(("heading_punctuation", f"space before '{punct}'"))
            elif rest[0].isupper():
                tolerances.append(("heading_missing_dot", "no dot after the number"))
                title = rest
            else:
                return grammar.reference_line("a cross-reference, not an article heading")
        else:
            return grammar.reference_line("a cross-reference, not an article heading")
        return grammar.Heading(
            "article", number, str(number), clean_inline(title), tolerances=tuple(tolerances)
        )

    # -- khoản, điểm -------------------------------------------------------
    def _clause(self, s: str) -> grammar.Classified:
        m = _clause_clean(s)
        if m is not None and not m.group(2)[0].isdigit():
            number = int(m.group(1))
            return grammar.Heading("clause", number, str(number), None, m.group(2))
        m = _CLAUSE_FORM.match(s)
        if m is not None and m.group(3)[0].isupper():
            digits, punct, rest = m.groups()
            number = int(digits)
            return grammar.Heading(
                "clause", number, str(number), text=rest, form=f"N{_FORM_PUNCT[punct]}"
            )
        m = _CLAUSE.match(s)
        if m is None:
            return None
        digits, space1, dots, space2, rest = m.groups()
        odd: list[str] = []
        if not dots:
            if not (space1 and rest and rest[0].isupper()):
                return None
            odd.append("no dot after the number")
        elif "," in dots:
            if dots != "," or not (space2 and rest[:1].isupper()):
                return None  # "1, 2 và 3", "1,5": numbers in running text
            odd.append("',' for '.'")
        else:
            if not space2 and rest and rest[0].isdigit():
                return None  # 1.4 is a decimal point or a sub-numbering, not a clause
            if space1:
                odd.append("space before the dot")
            if len(dots) > 1:
                odd.append(f"'{dots}' after the number")
            if rest and not space2:
                odd.append("no space after the dot")
        number = int(digits)
        tolerances = (("marker_punctuation", ", ".join(odd)),) if odd else ()
        if rest[:1].islower():
            unit = grammar.Heading(
                "clause", number, str(number), text=rest, tolerances=(*tolerances, _LOWER)
            )
            return grammar.BodyLine(grammar.reference_line(_WRAPPED).tolerance, unit)
        return grammar.Heading("clause", number, str(number), text=rest, tolerances=tolerances)

    def _point(self, s: str) -> grammar.Classified:
        m = _point_clean(s)
        if m is not None:
            letter, rest = m.groups()
            index = _POINT_INDEX.get(letter)
            if index is not None:
                number = _POINT_SLUG.get(letter, letter)
                return grammar.Heading(
                    "point", index, number, None, rest, (), None, _LOOKALIKE.get(letter)
                )
        m = _POINT.match(s)
        if m is None:
            return None
        letter, space1, space2, rest = m.groups()
        index = _POINT_INDEX.get(letter)
        if rest[:1].islower():
            wrapped = grammar.reference_line(_WRAPPED)
            if index is None:
                return wrapped
            number = _POINT_SLUG.get(letter, letter)
            unit = grammar.Heading(
                "point", index, number, None, rest, (_LOWER,), None, _LOOKALIKE.get(letter)
            )
            return grammar.BodyLine(wrapped.tolerance, unit)
        if index is None:
            return grammar.Heading(
                "point",
                0,
                letter,
                refusal=f"point letter '{letter}' is not in the Vietnamese order",
            )
        odd = []
        if space1:
            odd.append("space before ')'")
        if rest and not space2:
            odd.append("no space after ')'")
        tolerances = (("marker_punctuation", ", ".join(odd)),) if odd else ()
        number = _POINT_SLUG.get(letter, letter)
        return grammar.Heading(
            "point",
            index,
            number,
            text=rest,
            tolerances=tolerances,
            alternative=_LOOKALIKE.get(letter),
        )

    def _point_form(self, s: str) -> grammar.Heading | None:
        """``a. Text``, ``a- Text``: a point marker in another convention (``l.``
        may also be the clause ``1.`` typed with a letter)."""
        m = _POINT_FORM.match(s)
        if m is None or not m.group(3)[0].isupper():
            return None
        letter, punct, rest = m.groups()
        index = _POINT_INDEX.get(letter)
        if index is None:
            return None
        reread = None
        if letter == "l" and punct == ".":
            reread = grammar.Heading(
                "clause", 1, "1", text=rest, tolerances=(_DIGIT_LOOKALIKE,), confirm=True
            )
        number = _POINT_SLUG.get(letter, letter)
        form = f"a{_FORM_PUNCT[punct]}"
        return grammar.Heading("point", index, number, text=rest, form=form, reread=reread)

    # -- Phần, Chương, Mục, Tiểu mục ---------------------------------------------
    def _numbered(self, s: str, kind: str) -> grammar.Classified:
        m = _NUMBERED[kind].match(s)
        if m is None:
            return self._glued_title(s, kind)
        punct, space, token, tail = m.groups()
        value = int(token) if token.isdigit() else roman_to_int(token)
        if value is None or value == 0:
            return grammar.Heading(kind, 0, token, refusal=f"unreadable {kind} number '{token}'")
        # "Mục.2": the dot stands where the space would (one tolerance, not two)
        found = self._titled(kind, value, space or punct, tail)
        if punct and type(found) is grammar.Heading:
            what = f"'{punct}' between the word and the number"
            found.tolerances = (*found.tolerances, ("heading_punctuation", what))
        return found

    def _part(self, s: str) -> grammar.Classified:
        m = _PART.match(s)
        if m is None:
            return None
        space, token, tail = m.groups()
        if token is not None:
            value = int(token) if token.isdigit() else roman_to_int(token)
            if not value:
                return grammar.Heading(
                    "part", 0, token, refusal=f"unreadable part number '{token}'"
                )
            return self._titled("part", value, space, tail)
        # PHẦN THỨ <ordinal words> [title]: the longest prefix of words that reads.
        words = tail.split()
        for n in (3, 2, 1):
            value = (
                vi_number_words([w.rstrip(".:") for w in words[:n]]) if len(words) >= n else None
            )
            if value:
                rest = tail.split(None, n)[n] if len(words) > n else ""
                return self._titled("part", value, " ", rest and " " + rest)
        shown = " ".join(words[:3])
        return grammar.Heading("part", 0, shown, refusal=f"unreadable part number 'THỨ {shown}'")

    def _glued_title(self, s: str, kind: str) -> grammar.Heading | None:
        """``Mục 2ĐIỀU KIỆN ...``: read where the number is due, as with any
        tolerance; otherwise (or in lower case) the line is left alone."""
        m = _GLUED_TITLE[kind].match(s)
        if m is None or not is_upper_title(m.group(3)):
            return None
        space, digits, title = m.groups()
        tolerances: tuple[grammar.Tolerance, ...] = (
            ("heading_punctuation", "no space between the number and the title"),
        )
        if not space:
            tolerances = (("heading_missing_space", "no space before the number"), *tolerances)
        value = int(digits)
        return grammar.Heading(kind, value, str(value), clean_inline(title), tolerances=tolerances)

    def _titled(
        self, kind: str, value: int, space: str, tail: str
    ) -> grammar.Heading | grammar.BodyLine:
        tolerances, rest, marked = grammar.heading_tail(space, tail)
        if rest and not marked:
            if not tail[0].isspace():
                if is_upper_title(rest.lstrip(",;)/ ")):  # "Mục 3; CHẾ ĐỘ ...": damaged
                    refusal = f"{kind} heading with '{rest[0]}'"
                    return grammar.Heading(kind, 0, str(value), refusal=refusal)
                return grammar.reference_line(f"not a {kind} heading")
            if not (rest[0].isupper() or rest[0].isdigit()):
                return grammar.reference_line(f"a cross-reference, not a {kind} heading")
            if not is_upper_title(rest):
                # A title on the heading's own line after a space only is written in
                # capitals; "Mục 1 Chương này và Điều 75 ..." is a wrapped reference.
                return grammar.reference_line(
                    f"a cross-reference, not a {kind} heading (title not in capitals)"
                )
        title = clean_inline(rest) or None
        return grammar.Heading(kind, value, str(value), title, tolerances=tolerances)

    # -- titles, closing ---------------------------------------------------------
    def is_title_line(self, s: str) -> bool:
        return is_upper_title(s)

    def is_closing(self, s: str) -> bool:
        if _CLOSING.match(s) is None:
            return False
        return not s.startswith(("CHỦ", "PHÓ")) or is_upper_title(s)

    def is_closing_paragraph(self, text: str) -> bool:
        return _LOOSE_CLOSING.match(" ".join(text.split())) is not None

    def is_signed_marker(self, s: str) -> bool:
        return _SIGNED.fullmatch(s) is not None

    def annex_heading(self, s: str) -> tuple[int | None, str] | None:
        """The number (None: not written) and title of an annex heading."""
        m = _ANNEX.match(s)
        if m is None:
            return None
        token, tail = m.groups()
        title = tail.strip().lstrip(".:-–— ")
        if title and not is_upper_title(title):
            return None
        if token is None:
            return None, clean_inline(title)
        value = int(token) if token.isdigit() else roman_to_int(token)
        return None if not value else (value, clean_inline(title))

    def refers_to(self, kind: str, text: str) -> int:
        """How ``text`` names "this" unit of ``kind``: 0 not at all, 1 ``… tại Điều
        này``, 2 delegating its details (``quy định chi tiết Điều này``)."""
        pattern = _SELF_REFERENCE.get(kind)
        if pattern is None or "này" not in text or pattern.search(text) is None:
            return 0
        return 2 if _DELEGATION[kind].search(text) is not None else 1

    def is_signer_name(self, s: str) -> bool:
        words = s.split()
        return 2 <= len(words) <= 6 and all(w[0].isupper() and w.isalpha() for w in words)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - grammars are module-level singletons
    def embedded_marker(self, kind: str, ordinal: int) -> grammar.RunIn | None:
        """``<text>[;.:]<marker> <text>``: a marker run into the previous line."""
        if kind == "point" and 0 < ordinal <= len(VI_POINT_LETTERS):
            marker, text = f"{VI_POINT_LETTERS[ordinal - 1]})", r"\S.*"
        elif kind == "clause":
            marker, text = f"{ordinal}.", r"\S.*"
        elif kind == "article":
            marker, text = f"Điều {ordinal}.", ".*"  # the title may be missing
        else:
            return None
        return marker, re.compile(rf"(.*?[;.:])\s*{re.escape(marker)}\s*({text})$")
