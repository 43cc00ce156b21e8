"""The defects found in laws the extractor had never seen, each injected into
real corpus laws: where the document still says what it means, the cut is the
un-mutated law's cut (derived from it here, not from the code under test) with
the reading reported; where it does not, the cut stops at the defective line.

The family law (``luat-hon-nhan-va-gia-dinh``) is the base: it needs no
tolerance, so every warning beyond its own few undecided closing paragraphs is
the mutation's. The Constitution (``hien-phap``), whose articles have no titles,
is the base for text on an article's heading line.
"""

from __future__ import annotations

import re

import pytest

from cutter_assets.core.legal import Extraction, Unit, extract_units
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import corpus_text

FAMILY, CODE = "luat-hon-nhan-va-gia-dinh.txt", "VN-HNGD"
CONSTITUTION = "hien-phap.txt"


def _cut(text: str, code: str = CODE) -> Extraction:
    return extract_units(text, doc_code=code)


def _stop(text: str, code: str = CODE) -> tuple[int, str]:
    with pytest.raises(CutterStop) as stop:
        _cut(text, code)
    assert stop.value.code is StopCode.STOP_STRUCTURE
    match = re.search(r"at line (\d+): ", stop.value.detail)
    assert match, stop.value.detail
    return int(match.group(1)), stop.value.detail


def _original(name: str = FAMILY, code: str = CODE) -> tuple[list[str], Extraction]:
    text = corpus_text(name)
    return text.split("\n"), _cut(text, code)


def _tree(extraction: Extraction) -> list[tuple[str, str, str]]:
    return [(u.canonical_address, u.title, u.body) for u in extraction.units]


def _bodies(extraction: Extraction) -> list[tuple[str, str]]:
    return [(u.canonical_address, u.body) for u in extraction.units]


def _new_warnings(result: Extraction, original: Extraction, shift: int = 0, after: int = 0):
    """The warnings of ``result`` the un-mutated law did not have; its own moved by
    ``shift`` lines after line ``after`` (lines added or removed there)."""
    known = {(w.kind, w.line + shift if w.line > after else w.line) for w in original.warnings}
    return sorted((w.kind, w.line) for w in result.warnings if (w.kind, w.line) not in known)


def _line(original: Extraction, unit: Unit) -> int:
    """The 0-based input line where ``unit`` starts, from the un-mutated cut."""
    return original.unit_lines[original.units.index(unit)] - 1


def _children(original: Extraction, parent: Unit, kind: str) -> list[Unit]:
    return [
        u
        for u in original.units
        if u.parent_address == parent.canonical_address and u.unit_kind == kind
    ]


def _unit(original: Extraction, address: str) -> Unit:
    return next(u for u in original.units if u.canonical_address == f"{CODE}/{address}")


def _replace_marker(lines: list[str], index: int, old: str, new: str) -> list[str]:
    assert lines[index].startswith(old), lines[index]
    return [*lines[:index], new + lines[index][len(old) :], *lines[index + 1 :]]


# -- markers in another convention used across a whole list --------------------------------
def _lists(original: Extraction, parent_kind: str, kind: str) -> list[tuple[Unit, list[Unit]]]:
    """(parent, its sub-units of ``kind``) for lists of two or more whose texts start
    with a letter (a list a convention can be read from)."""
    out = []
    for parent in original.units:
        if parent.unit_kind != parent_kind:
            continue
        items = _children(original, parent, kind)
        if len(items) >= 2 and all(u.body[:1].isalpha() for u in items):
            out.append((parent, items))
    return out


@pytest.mark.parametrize(
    ("kind", "parent_kind", "clean", "forms"),
    [
        ("point", "clause", ")", (".", "-", " -")),
        ("clause", "article", ".", (")", "-", " -")),
    ],
)
def test_a_list_written_in_another_convention_is_read_and_reported(
    kind: str, parent_kind: str, clean: str, forms: tuple[str, ...]
) -> None:
    lines, original = _original()
    lists = _lists(original, parent_kind, kind)[::4]
    assert len(lists) >= 4
    for form in forms:
        for _, items in lists:
            mutated = list(lines)
            for item in items:
                mark = item.raw_heading.split(" ", 1)[0]
                mutated = _replace_marker(mutated, _line(original, item), mark, mark[:-1] + form)
            result = _cut("\n".join(mutated))
            assert _bodies(result) == _bodies(original)
            marked = [("marker_convention", _line(original, item) + 1) for item in items]
            assert _new_warnings(result, original) == marked


def test_a_lone_marker_in_another_convention_stops_at_its_line() -> None:
    lines, original = _original()
    for _, items in _lists(original, "clause", "point")[::5]:
        middle = items[len(items) // 2]  # neither sibling is written that way
        mark = middle.raw_heading.split(" ", 1)[0]
        index = _line(original, middle)
        line, detail = _stop("\n".join(_replace_marker(lines, index, mark, mark[:-1] + ".")))
        assert line == index + 1
        assert f"point {middle.number} marker in a form that cannot be read" in detail


def test_a_list_in_another_convention_that_skips_a_number_stops() -> None:
    lines, original = _original()
    clause = _unit(original, "chp_1/art_5/para_2")
    items = _children(original, clause, "point")
    mutated = list(lines)
    for item in items:
        mutated = _replace_marker(
            mutated, _line(original, item), f"{item.raw_heading[0]})", f"{item.raw_heading[0]}."
        )
    gap = _line(original, items[2])
    del mutated[gap : gap + 2]  # point c and its blank line
    line, detail = _stop("\n".join(mutated))
    assert line == gap + 1 and "point numbering gap (expected c, found d)" in detail


# -- a typo both neighbours confirm -----------------------------------------------------------
def _typo_cases(original: Extraction) -> list[tuple[Unit, str, str]]:
    """(unit, its marker, the typo) for clauses and points between two siblings: the
    number of the sibling before, or a letter one stroke away."""
    out = []
    for parent in original.units:
        for kind in ("clause", "point"):
            items = _children(original, parent, kind)
            for before, unit in zip(items[1:-1], items[2:-1], strict=False):
                mark = unit.raw_heading.split(" ", 1)[0]
                out.append((unit, mark, before.raw_heading.split(" ", 1)[0]))
    return out


def test_a_number_repeated_between_its_neighbours_is_read_as_the_one_due() -> None:
    lines, original = _original()
    cases = _typo_cases(original)[::6]
    assert len(cases) > 10
    for unit, mark, typo in cases:
        index = _line(original, unit)
        result = _cut("\n".join(_replace_marker(lines, index, mark, typo)))
        assert _bodies(result) == _bodies(original)
        assert _new_warnings(result, original) == [("number_typo", index + 1)]


@pytest.mark.parametrize(
    ("address", "mark", "typo"),
    [
        ("chp_1/art_5/para_2/point_d", "d)", "b)"),  # b) between c) and đ)
        ("chp_1/art_2/para_3", "3.", "8."),  # one stroke from 3, between 2 and 4
        ("chp_1/art_5/para_1", "1.", "l."),  # the letter l before 2.
    ],
)
def test_a_typo_between_its_neighbours_is_read_and_reported(
    address: str, mark: str, typo: str
) -> None:
    lines, original = _original()
    unit = _unit(original, address)
    index = _line(original, unit)
    result = _cut("\n".join(_replace_marker(lines, index, mark, typo)))
    assert _bodies(result) == _bodies(original)
    assert _new_warnings(result, original) == [("number_typo", index + 1)]


@pytest.mark.parametrize(
    ("address", "mark", "typo", "problem"),
    [
        ("chp_1/art_5/para_2/point_i", "i)", "h)", "duplicate point h (expected i)"),  # the last
        ("chp_1/art_5/para_2", "2.", "l.", "clause 1 read from a look-alike"),  # l. not before 2.
        (
            "chp_1/art_5/para_1",
            "1.",
            "7.",
            "clause numbering gap (expected 1, found 7)",
        ),  # no sibling before
    ],
)
def test_a_typo_a_neighbour_does_not_confirm_stops(
    address: str, mark: str, typo: str, problem: str
) -> None:
    lines, original = _original()
    unit = _unit(original, address)
    index = _line(original, unit)
    mutated = _replace_marker(lines, index, mark, typo)
    if typo == "l.":  # clause 1 gone, "l." where 2 stood: 1 is due, 3 follows
        first = _line(original, _unit(original, "chp_1/art_5/para_1"))
        del mutated[first : first + 2]
        index -= 2
    line, detail = _stop("\n".join(mutated))
    assert line == index + 1 and problem in detail


def test_a_typo_next_to_a_gap_stops_at_the_typo() -> None:
    lines, original = _original()
    items = _children(original, _unit(original, "chp_1/art_5/para_2"), "point")
    typo = _line(original, items[2])  # "b)" where c) is due, then e) after a lost d)
    mutated = _replace_marker(lines, typo, "c)", "b)")
    gone = _line(original, items[3])
    del mutated[gone : gone + 2]
    line, detail = _stop("\n".join(mutated))
    assert line == typo + 1 and "duplicate point b (expected c)" in detail


def test_a_section_number_after_a_dot_is_read_where_due() -> None:
    lines, original = _original()
    index = lines.index("Mục 2: ĐẠI DIỆN GIỮA VỢ VÀ CHỒNG")
    result = _cut("\n".join(_replace_marker(lines, index, "Mục 2", "Mục.2")))
    assert _tree(result) == _tree(original)
    assert _new_warnings(result, original) == [("heading_punctuation", index + 1)]
    line, detail = _stop("\n".join(_replace_marker(lines, index, "Mục 2", "Mục.3")))
    assert line == index + 1 and "(expected 2, found 3); not tolerated" in detail


# -- d) read as đ) where the sibling before swallowed a d) line -----------------------------
def test_a_look_alike_letter_where_the_due_marker_was_swallowed_stops() -> None:
    lines, original = _original()
    items = _children(original, _unit(original, "chp_1/art_5/para_2"), "point")
    c, d = _line(original, items[2]), _line(original, items[3])
    # a stray quotation mark opened in c) and closed in d): d)'s line is quoted text of c)
    mutated = list(lines)
    mutated[c] = mutated[c].replace("mà kết hôn", 'mà "kết hôn', 1)
    mutated[d] = mutated[d].rstrip(";") + '";'
    line, detail = _stop("\n".join(mutated))
    assert line == _line(original, items[4]) + 1  # đ): it could be read as d), but d) is in c)
    assert "point c holds a line starting with its marker" in detail


# -- markers run into one line ----------------------------------------------------------------
def test_points_run_into_one_marker_line_are_split_and_reported() -> None:
    lines, original = _original()
    items = _children(original, _unit(original, "chp_1/art_5/para_2"), "point")
    b, c, d = (_line(original, item) for item in items[1:4])
    for glue in ("", " "):
        joined = glue.join([lines[b], lines[c], lines[d]])
        mutated = [*lines[:b], joined, *lines[d + 1 :]]
        result = _cut("\n".join(mutated))
        assert _bodies(result) == _bodies(original)
        removed = d - b
        warnings = _new_warnings(result, original, -removed, b)
        assert warnings == [("missing_line_break", b + 1)] * 2


# -- a title in capitals continued on the next line ------------------------------------------
def test_a_title_in_capitals_continued_on_the_next_line_is_one_title() -> None:
    lines, original = _original()
    index = lines.index("Mục 2: ĐẠI DIỆN GIỮA VỢ VÀ CHỒNG")
    mutated = [*lines[:index], "Mục 2: ĐẠI DIỆN GIỮA", "VỢ VÀ CHỒNG", *lines[index + 1 :]]
    result = _cut("\n".join(mutated))
    assert _tree(result) == _tree(original)
    assert _new_warnings(result, original, 1, index) == [("title_continued", index + 2)]
    # after a blank line it is no continuation: a lost heading's title
    mutated = [*lines[:index], "Mục 2: ĐẠI DIỆN GIỮA", "", "VỢ VÀ CHỒNG", *lines[index + 1 :]]
    line, detail = _stop("\n".join(mutated))
    assert line == index + 3 and "a line in capitals inside section 2" in detail


# -- text on an article's heading line ---------------------------------------------------------
def test_a_sentence_on_the_heading_line_of_a_law_without_titles_is_its_text() -> None:
    lines, original = _original(CONSTITUTION, "VN-HP")
    joined = []
    mutated = list(lines)
    for unit in original.units[::9]:
        index = _line(original, unit)
        if (
            unit.unit_kind != "article"
            or not lines[index + 1] == ""
            or lines[index + 2][:1].isdigit()
        ):
            continue
        # "Điều 9." + its first paragraph on one line: "Điều 9. Mặt trận Tổ quốc ..."
        joined.append(index)
    for index in reversed(joined):
        mutated[index : index + 3] = [f"{mutated[index]} {mutated[index + 2].strip()}"]
    assert len(joined) > 3
    result = _cut("\n".join(mutated), "VN-HP")
    assert _tree(result) == _tree(original)
    shifts = {index: 2 * sum(1 for j in joined if j < index) for index in joined}
    assert sorted(
        (w.kind, w.line) for w in result.warnings if w.kind == "heading_text_body"
    ) == sorted(("heading_text_body", index + 1 - shifts[index]) for index in joined)


def test_a_sentence_on_the_heading_line_of_a_titled_law_is_its_text() -> None:
    lines, original = _original()
    articles = [
        u for u in original.units
        if u.unit_kind == "article" and u.body.endswith(":") and "\n" not in u.body
    ]  # fmt: skip
    assert len(articles) >= 3
    for article in articles:
        index = _line(original, article)
        intro = lines.index(article.body, index)
        mutated = [
            *lines[:index],
            f"Điều {article.number}. {article.body}",
            *lines[index + 1 : intro],
            *lines[intro + 1 :],
        ]
        result = _cut("\n".join(mutated))
        expected = [
            (a, "" if a == article.canonical_address else t, b) for a, t, b in _tree(original)
        ]
        assert _tree(result) == expected
        assert _new_warnings(result, original, -1, index) == [("heading_text_body", index + 1)]


def test_a_sentence_on_the_heading_line_wrapped_in_lower_case_is_its_text() -> None:
    lines, original = _original()
    article = _unit(original, "chp_1/art_1")
    index = _line(original, article)
    sentence = article.body  # one paragraph: "Luật này quy định chế độ hôn nhân và gia đình; ..."
    cut = sentence.index(" ", 40)
    mutated = [
        *lines[:index],
        f"Điều 1. {sentence[:cut]}",
        sentence[cut + 1 :],
        *lines[index + 3 :],
    ]
    assert mutated[index + 1][0].islower()
    result = _cut("\n".join(mutated))
    expected = [
        (a, "", f"{sentence[:cut]}\n{sentence[cut + 1 :]}")
        if a == article.canonical_address
        else (a, t, b)
        for a, t, b in _tree(original)
    ]
    assert _tree(result) == expected
    assert _new_warnings(result, original, -1, index) == [("heading_text_body", index + 1)]


def test_a_title_ending_in_a_dot_in_a_titled_law_is_kept_and_reported() -> None:
    lines, original = _original()
    article = _unit(original, "chp_1/art_1")
    index = _line(original, article)
    mutated = [*lines[:index], lines[index] + ".", *lines[index + 1 :]]
    result = _cut("\n".join(mutated))
    expected = [
        (a, t + "." if a == article.canonical_address else t, b) for a, t, b in _tree(original)
    ]
    assert _tree(result) == expected
    assert _new_warnings(result, original) == [("title_or_sentence", index + 1)]


# -- the passing formula, the annexes after the signature --------------------------------------
def test_a_passing_formula_with_do_opens_the_closing() -> None:
    lines, original = _original()
    index = next(i for i, line in enumerate(lines) if line.startswith("Luật này đã được Quốc hội"))
    mutated = [
        *lines[:index],
        lines[index].replace("đã được Quốc hội", "do Quốc hội"),
        *lines[index + 1 :],
    ]
    result = _cut("\n".join(mutated))
    assert [u.canonical_address for u in result.units] == [
        u.canonical_address for u in original.units
    ]
    assert result.units[-1].body.startswith("Luật này do Quốc hội")
    assert _new_warnings(result, original) == []


ANNEX = [
    "PHỤ LỤC I",
    "",
    "DANH MỤC GIẤY TỜ",
    "",
    "(Ban hành kèm theo Luật Hôn nhân và gia đình)",
    "",
    "1. Tờ khai đăng ký kết hôn.",
    "",
    "2. Giấy xác nhận tình trạng hôn nhân.",
    "",
    "STT\tGiấy tờ\tSố bản",
    "1\tTờ khai\t01",
]


def test_an_annex_after_the_signature_is_an_annex_not_clauses() -> None:
    lines, original = _original()
    second = ["", "Phụ lục II. MẪU TỜ KHAI", "", "Điều 1. Họ và tên vợ, chồng."]
    result = _cut("\n".join([*lines, "", *ANNEX, *second]))
    assert _tree(result)[:-2] == _tree(original)
    annexes = result.units[-2:]
    assert [
        (u.canonical_address, u.unit_kind, u.number, u.title, u.parent_address) for u in annexes
    ] == [
        (f"{CODE}/annex_1", "annex", "1", "DANH MỤC GIẤY TỜ", None),
        (f"{CODE}/annex_2", "annex", "2", "MẪU TỜ KHAI", None),
    ]
    assert annexes[0].body == (
        "(Ban hành kèm theo Luật Hôn nhân và gia đình)\n\n1. Tờ khai đăng ký kết hôn.\n\n"
        "2. Giấy xác nhận tình trạng hôn nhân.\n\nSTT Giấy tờ Số bản\n1 Tờ khai 01"
    )
    assert annexes[1].body == "Điều 1. Họ và tên vợ, chồng."
    assert result.counts["annex"] == 2 and _new_warnings(result, original) == []


@pytest.mark.parametrize(
    ("annex", "problem"),
    [
        (["PHỤ LỤC II", "", "Nội dung."], "annex numbering (expected 1, found 2)"),
        (["PHỤ LỤC I", "", "DANH MỤC"], "empty annex"),
    ],
)
def test_an_annex_out_of_order_or_empty_stops(annex: list[str], problem: str) -> None:
    lines, _ = _original()
    line, detail = _stop("\n".join([*lines, "", *annex]))
    assert line == len(lines) + 2 and problem in detail


# -- a table inside an article ------------------------------------------------------------------
TABLE = [
    "BẢNG MỨC CẤP DƯỠNG",
    "",
    "STT | Người được cấp dưỡng | Mức",
    "1 | Con chưa thành niên | 1.000.000",
    "2 | Cha, mẹ | 500.000",
]


@pytest.mark.parametrize("separator", [" | ", "\t"])
def test_a_table_inside_an_article_is_its_text(separator: str) -> None:
    lines, original = _original()
    clause = _unit(original, "chp_1/art_5/para_1")
    index = _line(original, clause) + 1
    table = [row.replace(" | ", separator) for row in TABLE]
    result = _cut("\n".join([*lines[:index], "", *table, *lines[index:]]))
    rows = "\n".join(" ".join(row.split()) if separator == "\t" else row for row in table[2:])
    expected = [
        (a, t, f"{b}\n\n{TABLE[0]}\n\n{rows}") if a == clause.canonical_address else (a, t, b)
        for a, t, b in _tree(original)
    ]
    assert _tree(result) == expected
    added = len(table) + 1
    assert _new_warnings(result, original, added, index) == [("table_text", index + 4)]


def test_a_table_without_cell_separators_stops_at_its_title() -> None:
    lines, original = _original()
    index = _line(original, _unit(original, "chp_1/art_5/para_1")) + 1
    table = [row.replace(" | ", " ") for row in TABLE]
    line, detail = _stop("\n".join([*lines[:index], "", *table, *lines[index:]]))
    assert line == index + 2 and "a line in capitals inside clause 1" in detail


def test_a_chapter_typo_waits_for_the_next_chapter_whatever_the_articles_do() -> None:
    lines, original = _original()
    chapter = lines.index("Chương IV")
    result = _cut("\n".join(_replace_marker(lines, chapter, "Chương IV", "Chương III")))
    assert _tree(result) == _tree(original)
    assert _new_warnings(result, original) == [("number_typo", chapter + 1)]
    # Chapter V written VI: nothing confirms the typo, though an article typo in
    # between is confirmed by its own next article.
    mutated = _replace_marker(lines, chapter, "Chương IV", "Chương III")
    article = _line(original, _unit(original, "chp_4/sec_1/art_52"))
    mutated = _replace_marker(mutated, article, "Điều 52.", "Điều 51.")
    mutated[lines.index("Chương V")] = "Chương VI"
    line, detail = _stop("\n".join(mutated))
    assert line == chapter + 1 and "duplicate chapter 3 (expected 4)" in detail
