"""The unit vocabulary the database seeds, and the fixed facts every extractor
shares: hierarchy levels, address segments, numbering scopes, warning kinds.

Change a kind here and the database seeds must change with it (the cutplan
check refuses any unit_kind/section_type outside these tuples).
"""

from __future__ import annotations

UNIT_KINDS: tuple[str, ...] = (
    "preamble",
    "part",
    "chapter",
    "section",
    "subsection",
    "article",
    "clause",
    "point",
    "closing",
)
SECTION_TYPES: tuple[str, ...] = ("preamble", "heading", "provision", "closing")

SECTION_TYPE_OF: dict[str, str] = {
    "preamble": "preamble",
    "part": "heading",
    "chapter": "heading",
    "section": "heading",
    "subsection": "heading",
    "article": "provision",
    "clause": "provision",
    "point": "provision",
    "closing": "closing",
}

DEFAULT_MAX_UNITS = 1000

# Depth in the hierarchy: a unit's parent is the nearest open unit of a smaller level.
LEVEL: dict[str, int] = {
    "part": 1,
    "chapter": 2,
    "section": 3,
    "subsection": 4,
    "article": 5,
    "clause": 6,
    "point": 7,
}

# Akoma-Ntoso style path segments: <prefix>_<number>.
ADDRESS_PREFIX: dict[str, str] = {
    "part": "part",
    "chapter": "chp",
    "section": "sec",
    "subsection": "subsec",
    "article": "art",
    "clause": "para",
    "point": "point",
}

# Vietnamese points run in the Vietnamese alphabet without f, j, w, z; đ follows d.
VI_POINT_LETTERS: tuple[str, ...] = tuple("abcd") + ("đ",) + tuple("eghiklmnopqrstuvxy")
EN_POINT_LETTERS: tuple[str, ...] = tuple("abcdefghijklmnopqrstuvwxyz")

# Every tolerance the extractors apply is reported under one of these kinds.
WARNING_KINDS: tuple[str, ...] = (
    "unicode_nfd",  # a line was not in NFC; it was composed
    "lookalike_letter",  # Ð (U+00D0) / ð (U+00F0) read as Đ / đ
    "heading_missing_space",  # Điều15.
    "heading_missing_dot",  # Điều 5 Chính sách
    "heading_punctuation",  # Điều 2.Đối tượng, Điều 24:Nguyên tắc
    "heading_typo",  # Điền 23. when 23 is the next article
    "marker_punctuation",  # 1.Text, 2..Text, 5 . Text, 1 Text, c)Text
    "reference_line",  # a wrapped cross-reference such as "Điều 11 của Luật này."
    "quoted_provision",  # a heading-like line inside quotation marks (amending text)
    "point_letter",  # đ) read as d) (or d) as đ)) where only that restores the order
    "missing_line_break",  # "...quy định;c) Giấy..." split where the marker c) is expected
    "closing_formula",  # "Luật này đã được Quốc hội ..." wrapped or spaced: the closing
)
