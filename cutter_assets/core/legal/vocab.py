"""The unit vocabulary the database seeds, and the fixed facts every extractor
shares: hierarchy levels, address segments, numbering scopes, warning and
anomaly kinds.

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
    # English (Akoma Ntoso names; English depth is read from the document, not LEVEL)
    "title",
    "subtitle",
    "subchapter",
    "crossheading",
    "paragraph",
    "subparagraph",
    "schedule",
    "annex",
    "recital",
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
    "title": "heading",
    "subtitle": "heading",
    "subchapter": "heading",
    "crossheading": "heading",
    "paragraph": "provision",
    "subparagraph": "provision",
    "schedule": "heading",
    "annex": "heading",
    "recital": "preamble",
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
    "annex": "annex",  # Vietnamese: "PHỤ LỤC II" after the signature (not in LEVEL: top level)
}

# English addresses use the Akoma Ntoso names throughout: an English clause is AKN's
# clause (cl_), where a Vietnamese clause (khoản) is AKN's paragraph (para_).
EN_ADDRESS_PREFIX: dict[str, str] = {
    **ADDRESS_PREFIX,
    "clause": "cl",
    "title": "title",
    "subtitle": "subtitle",
    "subchapter": "subchp",
    "crossheading": "crossheading",
    "paragraph": "para",
    "subparagraph": "subpara",
    "schedule": "sch",
    "annex": "annex",
    "recital": "rec",
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
    "marker_lower_case",  # "4. ủy ban ..." where 4 is due after a sentence end: capital lost
    "parent_tail",  # "Chính phủ quy định chi tiết Điều này." after the last clause: the article's
    "tail_undecided",  # a paragraph after a last sub-unit: its own, or its parent's closing text?
    "heading_text_body",  # "Điều 54. <sentence>" (or a law without titles): text, not a title
    "title_or_sentence",  # "Điều 163. Khiếu nại." in a titled law: kept as the title, reported
    "title_continued",  # a title in capitals (or an article title) wrapped onto the next line
    "marker_convention",  # "1)", "1-", "a.", "a-" used across a list (a lone one stops)
    "number_typo",  # "2" between 2 and 4, "l." before "2.": the neighbours confirm it
    "table_text",  # table rows (tab or "|" cells) and their title: text of the unit, never units
    "amendment_mark",  # India Code's "1[4." / "5[(1)]": a footnote number before the number
    "repealed_provision",  # "[Repealed.]", "[Omitted.]": a unit with its heading only
    "editorial_note",  # a page's footnotes ("1. Subs. by Act ...") kept as body text
    "numbering_jump",  # a container starts at the number its analysis or own number gives
    "ambiguous_marker",  # (i) after (h): the next letter, or Roman one below it
)

# Every structural anomaly the extractors find (``model.Anomaly``; any one stops
# the cut with STOP_STRUCTURE) is of one of these kinds.
ANOMALY_KINDS: tuple[str, ...] = (
    "gap",  # a number skips ahead of the one due (Điều 7 after Điều 5)
    "duplicate",  # a number repeats the one before it
    "out_of_order",  # a number falls behind the one due
    "numbering_style",  # a container numbered in another way than the one before (NINE after VIII)
    "unreadable_number",  # a heading or marker whose number cannot be read ("Điều l33.")
    "odd_marker",  # the due marker in a form the text does not use ("3)" among "1." "2.")
    "lowercase_marker",  # "4. ủy ban": a marker in lower case, not told from a wrapped line
    "run_in_marker",  # the next unit's marker run into the text before it, nothing confirming it
    "folded_unit",  # the due unit's marker found inside the unit before it
    "lost_heading",  # what only a lost heading leaves: a title line, a list with no heading
    "empty_unit",  # a unit with no text and no sub-units
    "misplaced",  # a heading where no unit of its kind can stand (after the closing block)
    "analysis",  # the provisions differ from the document's own analysis of them
    "quotation",  # a quotation mark that closes nothing, or a quotation never closed
    "tail_mark",  # a line holding only the mark that separates a unit's text from its tail
)
# A duplicate number cut as found: the n-th unit of an address gets this and n on its
# last segment (``para_2-dup2``; ``acceptance.disambiguated``).
DUPLICATE_MARK = "-dup"
# Anomalies no cut can take as found (a structure review cannot accept them): the
# mark in a unit's text would make its tail ambiguous.
UNACCEPTABLE_KINDS: tuple[str, ...] = ("tail_mark",)
