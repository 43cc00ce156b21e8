"""Mutations of the Constitution (hien-phap): a deleted, duplicated or swapped
article must stop the cut with STOP_STRUCTURE naming the offending line.

The expected line is found in the mutated text itself, by searching for the
heading line (composed to NFC only for the search), not from the extractor.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from cutter_assets.core.legal import extract_units
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import corpus_text

NAME = "hien-phap.txt"


def _lines() -> list[str]:
    return corpus_text(NAME).split("\n")


def _heading_index(lines: list[str], number: int, start: int = 0) -> int:
    """0-based index of the line 'Điều <number>.' at or after ``start``."""
    for i in range(start, len(lines)):
        if unicodedata.normalize("NFC", lines[i]).strip() == f"Điều {number}.":
            return i
    raise AssertionError(f"no 'Điều {number}.' heading in the text")


def _article_block(lines: list[str], number: int) -> tuple[int, int]:
    """[start, end) of article ``number``: its heading up to the next heading."""
    start = _heading_index(lines, number)
    return start, _heading_index(lines, number + 1)


def _stop_of(text: str) -> CutterStop:
    with pytest.raises(CutterStop) as stop:
        extract_units(text, doc_code="VN-HP-2013")
    assert stop.value.code is StopCode.STOP_STRUCTURE
    return stop.value


def _reported_line(stop: CutterStop) -> int:
    match = re.search(r"at line (\d+): ", stop.detail)
    assert match, stop.detail
    return int(match.group(1))


def test_the_unmutated_text_passes() -> None:
    assert extract_units(corpus_text(NAME), doc_code="VN-HP-2013").counts["article"] == 120


@pytest.mark.parametrize("number", [10, 65, 119])  # 65 is one of the NFD articles
def test_deleted_article_stops_at_the_next_heading(number: int) -> None:
    lines = _lines()
    start, end = _article_block(lines, number)
    mutated = lines[:start] + lines[end:]
    stop = _stop_of("\n".join(mutated))
    expected_line = _heading_index(mutated, number + 1) + 1
    assert _reported_line(stop) == expected_line
    assert f"article numbering gap (expected {number}, found {number + 1})" in stop.detail
    assert f"Điều {number + 1}." in unicodedata.normalize("NFC", stop.detail)


@pytest.mark.parametrize("number", [10, 66])
def test_duplicated_article_stops_at_the_copy(number: int) -> None:
    lines = _lines()
    start, end = _article_block(lines, number)
    mutated = lines[:end] + lines[start:end] + lines[end:]
    stop = _stop_of("\n".join(mutated))
    copy_line = _heading_index(mutated, number, start=start + 1) + 1
    assert copy_line == end + 1  # the copy begins where the original ended
    assert _reported_line(stop) == copy_line
    assert f"duplicate article {number} (expected {number + 1})" in stop.detail


def test_swapped_articles_stop_at_the_first_one_out_of_place() -> None:
    lines = _lines()
    start10, end10 = _article_block(lines, 10)
    start11, end11 = _article_block(lines, 11)
    assert end10 == start11
    mutated = lines[:start10] + lines[start11:end11] + lines[start10:end10] + lines[end11:]
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == _heading_index(mutated, 11) + 1 == start10 + 1
    assert "article numbering gap (expected 10, found 11)" in stop.detail


def test_swapped_chapters_stop_on_the_chapter_heading() -> None:
    lines = _lines()
    text = "\n".join(lines)
    # Rename "Chương II." and "Chương III." headings into each other's numbers.
    two = lines.index("Chương II.")
    three = lines.index("Chương III.")
    mutated = list(lines)
    mutated[two], mutated[three] = "Chương III.", "Chương II."
    assert "\n".join(mutated) != text
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == two + 1
    assert "chapter numbering gap (expected 2, found 3)" in stop.detail


def test_removed_clause_stops_inside_the_article() -> None:
    lines = _lines()
    start, end = _article_block(lines, 2)
    clause2 = next(i for i in range(start, end) if lines[i].startswith("2. "))
    mutated = lines[:clause2] + lines[clause2 + 2 :]  # the clause and its blank line
    stop = _stop_of("\n".join(mutated))
    clause3 = next(i for i in range(start, end) if mutated[i].startswith("3. "))
    assert _reported_line(stop) == clause3 + 1
    assert "clause numbering gap (expected 2, found 3)" in stop.detail


# ---- last units and wrapped lines: nothing later contradicts a lost last unit, so
# a damaged last heading must stop, and a wrapped line must never become a unit.
FAMILY, PROPERTY = "luat-hon-nhan-va-gia-dinh.txt", "CHẾ ĐỘ TÀI SẢN CỦA VỢ CHỒNG"


def _replaced(name: str, old: str, new: str) -> tuple[str, int]:
    """The text of ``name`` with the line ``old`` replaced; the 1-based line."""
    lines = corpus_text(name).split("\n")
    index = next(i for i, line in enumerate(lines) if line.strip() == old)
    lines[index] = new
    return "\n".join(lines), index + 1


def _addresses(text: str, code: str = "VN-HP-2013") -> list[str]:
    return [u.canonical_address for u in extract_units(text, doc_code=code).units]


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        (NAME, "Điều 120.", "Dieu 120."),
        (NAME, "Điều 120.", "Điều l20."),
        (NAME, "Chương XI.", "CHƯONG XI."),
        (NAME, "Chương XI.", "Chương Xl."),
        (FAMILY, f"Mục 3: {PROPERTY}", f"Muc 3: {PROPERTY}"),
        (FAMILY, f"Mục 3: {PROPERTY}", f"Mục 3; {PROPERTY}"),
    ],
)  # fmt: skip
def test_a_damaged_last_heading_stops_at_its_line(name: str, old: str, new: str) -> None:
    text, line = _replaced(name, old, new)
    stop = _stop_of(text)
    assert _reported_line(stop) == line
    assert "cannot be read" in stop.detail or "heading with" in stop.detail


UNFINISHED = " theo quy định tại"  # the clause's line then ends mid-sentence: the next one wraps


@pytest.mark.parametrize(
    "wrapped",
    [
        "Mục 1 Chương này và Điều 75 của Hiến pháp;",  # would open a section
        "Phần I Phụ lục ban hành kèm theo Hiến pháp này;",  # would open a part
        "4. tháng 7 năm 2015 hoặc trước đó.",  # would open a clause (6 is due)
        "b) và các trường hợp khác.",  # would open a point (a is due)
    ],
)
def test_a_wrapped_line_in_the_last_article_stays_body_text(wrapped: str) -> None:
    lines = _lines()
    start = _heading_index(lines, 120)
    clause5 = next(i for i in range(start, len(lines)) if lines[i].startswith("5. "))
    unfinished = lines[clause5].rstrip(".") + UNFINISHED
    mutated = lines[:clause5] + [unfinished, wrapped] + lines[clause5 + 1 :]
    result = extract_units("\n".join(mutated), doc_code="VN-HP-2013")
    assert [u.canonical_address for u in result.units] == _addresses(corpus_text(NAME))
    (clause,) = [u for u in result.units if u.canonical_address.endswith("art_120/para_5")]
    assert clause.body == f"{unfinished[3:]}\n{wrapped}"
    assert any(w.kind == "reference_line" and w.line == clause5 + 2 for w in result.warnings)


# ---- a marker whose capital was lost on an accented initial ("4. ủy ban …"): after a
# sentence end it is the unit where it is the next one; anywhere else it never hides one.
def _lower_first(line: str, marker: str) -> str:
    """``line`` (a marker line) with the first letter of its text in lower case."""
    text = line[len(marker) :].lstrip()
    return f"{marker} {text[0].lower()}{text[1:]}"


def test_a_due_marker_in_lower_case_after_a_sentence_end_is_that_unit() -> None:
    original = extract_units(corpus_text(FAMILY), doc_code="VN-HNGD")
    lines = corpus_text(FAMILY).split("\n")
    cases = 0
    for index, unit in enumerate(original.units):
        marker = unit.raw_heading.split(" ", 1)[0]
        if unit.unit_kind not in ("clause", "point") or not unit.body[:1].isalpha():
            continue
        if index % 7:  # a spread of the law's clauses and points
            continue
        line = original.unit_lines[index] - 1
        mutated = [*lines[:line], _lower_first(lines[line], marker), *lines[line + 1 :]]
        result = extract_units("\n".join(mutated), doc_code="VN-HNGD")
        body = unit.body[0].lower() + unit.body[1:]
        expected = [(u.canonical_address, u.body) for u in original.units]
        expected[index] = (unit.canonical_address, body)
        assert [(u.canonical_address, u.body) for u in result.units] == expected
        new = set((w.kind, w.line) for w in result.warnings) - set(
            (w.kind, w.line) for w in original.warnings
        )
        assert new == {("marker_lower_case", line + 1)}
        cases += 1
    assert cases > 50


@pytest.mark.parametrize("marker", ["7.", "3.", "b)"])  # 6 is due, or point a
def test_a_lower_case_marker_that_is_not_due_after_a_sentence_end_stops(marker: str) -> None:
    lines = _lines()
    clause5 = _last_clause_of_120(lines)
    mutated = (
        lines[: clause5 + 1]
        + ["", f"{marker} ủy ban nhân dân tỉnh quyết định."]
        + lines[clause5 + 1 :]
    )
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == clause5 + 3
    assert "in lower case at the start of a paragraph" in stop.detail


@pytest.mark.parametrize("marker", ["6.", "a)"])
def test_a_due_lower_case_marker_after_an_unfinished_sentence_stops(marker: str) -> None:
    lines = _lines()
    clause5 = _last_clause_of_120(lines)
    unfinished = lines[clause5].rstrip(".") + UNFINISHED
    mutated = (
        lines[:clause5] + [unfinished, f"{marker} ủy ban nhân dân tỉnh."] + lines[clause5 + 1 :]
    )
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == clause5 + 2
    assert "after an unfinished sentence" in stop.detail


def test_a_passing_sentence_in_the_last_article_is_not_the_closing() -> None:
    lines = _lines()
    start = _heading_index(lines, 120)
    clause5 = next(i for i in range(start, len(lines)) if lines[i].startswith("5. "))
    sentence = "Hiến pháp này được áp dụng cho văn bản đã được Hội đồng nhân dân thông qua."
    mutated = (
        lines[: clause5 + 1] + [sentence, "Đoạn tiếp theo của khoản 5."] + lines[clause5 + 1 :]
    )
    result = extract_units("\n".join(mutated), doc_code="VN-HP-2013")
    assert [u.canonical_address for u in result.units] == _addresses(corpus_text(NAME))
    (clause,) = [u for u in result.units if u.canonical_address.endswith("art_120/para_5")]
    assert sentence in clause.body and "Đoạn tiếp theo" in clause.body


# ---- the last clause or point of a sequence: a marker written another way, or run
# into the line before, must never be folded silently into the sibling before it.
def _last_clause_of_120(lines: list[str]) -> int:
    start = _heading_index(lines, 120)
    return next(i for i in range(start, len(lines)) if lines[i].startswith("5. "))


@pytest.mark.parametrize("marker", ["5)", "(5)", "5:", "(5.", "5-", "5 -", "5/", "5;", "(5"])
def test_the_last_clause_with_an_odd_marker_stops_at_its_line(marker: str) -> None:
    lines = _lines()
    clause5 = _last_clause_of_120(lines)
    mutated = list(lines)
    mutated[clause5] = marker + lines[clause5][2:]
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == clause5 + 1
    assert "clause 5 marker in a form that cannot be read" in stop.detail


@pytest.mark.parametrize("marker", ["c.", "(c)", "c:", "c,", "c/", "c-", "C)"])
def test_the_last_point_with_an_odd_marker_stops_at_its_line(marker: str) -> None:
    old = "c) Tài sản đang là nguồn tạo ra thu nhập chủ yếu của gia đình."
    text, line = _replaced(FAMILY, old, marker + old[2:])
    stop = _stop_of(text)
    assert _reported_line(stop) == line
    assert "point c marker in a form that cannot be read" in stop.detail


def test_an_odd_marker_that_is_not_the_next_number_stays_body_text() -> None:
    lines = _lines()
    clause5 = _last_clause_of_120(lines)
    mutated = lines[: clause5 + 1] + ["(2) Đoạn trích dẫn."] + lines[clause5 + 1 :]
    result = extract_units("\n".join(mutated), doc_code="VN-HP-2013")
    assert [u.canonical_address for u in result.units] == _addresses(corpus_text(NAME))
    (clause,) = [u for u in result.units if u.canonical_address.endswith("art_120/para_5")]
    assert "(2) Đoạn trích dẫn." in clause.body


def _joined_to_the_line_before(lines: list[str], index: int, glue: str) -> list[str]:
    """``lines`` with line ``index`` appended to the last line with text before it."""
    before = max(i for i in range(index) if lines[i].strip())
    joined = lines[before].rstrip() + glue + lines[index].strip()
    return lines[:before] + [joined] + lines[index + 1 :]


@pytest.mark.parametrize("glue", ["", " "])
def test_the_last_clause_run_into_its_sibling_s_marker_line_is_split_and_reported(
    glue: str,
) -> None:
    # "4. Text. 5. Text" on one marker line: a chain of two markers, read as both
    lines = _lines()
    clause5 = _last_clause_of_120(lines)
    assert lines[clause5 - 2].startswith("4. ")  # the line it joins is clause 4's marker line
    mutated = _joined_to_the_line_before(lines, clause5, glue)
    result = extract_units("\n".join(mutated), doc_code="VN-HP-2013")
    original = extract_units(corpus_text(NAME), doc_code="VN-HP-2013")
    assert [(u.canonical_address, u.body) for u in result.units] == [
        (u.canonical_address, u.body) for u in original.units
    ]
    (warning,) = [w for w in result.warnings if w.kind == "missing_line_break"]
    assert warning.line == clause5 - 1  # the joined line, 1-based
    assert "holds clause 5 after its text; split there" in warning.message


def _with_second_paragraph_in_clause_4(lines: list[str]) -> tuple[list[str], int]:
    clause5 = _last_clause_of_120(lines)
    return lines[:clause5] + ["Đoạn thứ hai của khoản 4.", ""] + lines[clause5:], clause5 + 2


def test_the_last_clause_run_into_a_paragraph_with_no_space_is_split() -> None:
    lines, clause5 = _with_second_paragraph_in_clause_4(_lines())
    original = extract_units("\n".join(lines), doc_code="VN-HP-2013")
    result = extract_units(
        "\n".join(_joined_to_the_line_before(lines, clause5, "")), doc_code="VN-HP-2013"
    )
    assert [(u.canonical_address, u.body) for u in result.units] == [
        (u.canonical_address, u.body) for u in original.units
    ]
    (warning,) = [w for w in result.warnings if w.kind == "missing_line_break"]
    assert warning.line == clause5 - 1 and "the last clause" in warning.message


def test_the_last_clause_run_into_a_paragraph_after_a_space_stops() -> None:
    lines, clause5 = _with_second_paragraph_in_clause_4(_lines())
    stop = _stop_of("\n".join(_joined_to_the_line_before(lines, clause5, " ")))
    assert _reported_line(stop) == clause5 - 1
    assert "clause 5 run into the text before it" in stop.detail


def test_the_last_article_run_into_the_one_before_stops() -> None:
    lines = corpus_text(FAMILY).split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("Điều 133. "))
    mutated = _joined_to_the_line_before(lines, heading, "")
    stop = _stop_of("\n".join(mutated))
    assert _reported_line(stop) == heading - 1
    assert "article 133 run into the text before it" in stop.detail


LAST_ARTICLE = "Điều 133. Quy định chi tiết và hướng dẫn thi hành"


@pytest.mark.parametrize(
    "damaged",
    [
        "Điều l33 Quy định chi tiết và hướng dẫn thi hành",  # a look-alike and no dot
        "Điều, 133. Quy định chi tiết và hướng dẫn thi hành",
        "Điều",
    ],
)
def test_the_last_article_heading_damaged_further_stops_at_its_line(damaged: str) -> None:
    text, line = _replaced(FAMILY, LAST_ARTICLE, damaged)
    stop = _stop_of(text)
    assert _reported_line(stop) == line
    assert "article heading that cannot be read" in stop.detail


@pytest.mark.parametrize("damaged", ["Chươg IX", "Chuong ix", None])  # None: the line is lost
def test_a_lost_last_chapter_heading_stops_at_its_title(damaged: str | None) -> None:
    lines = corpus_text(FAMILY).split("\n")
    index = lines.index("Chương IX")
    title = lines.index("ĐIỀU KHOẢN THI HÀNH")
    if damaged is None:
        del lines[index]
        title -= 1
    else:
        lines[index] = damaged
    stop = _stop_of("\n".join(lines))
    assert _reported_line(stop) == title + 1
    assert "a line in capitals inside" in stop.detail


FORMULA = (
    "Luật này đã được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XIII, "
    "kỳ họp thứ 7 thông qua ngày 19 tháng 6 năm 2014."
)


@pytest.mark.parametrize(
    "written",
    [
        FORMULA.replace(" Nam khóa", "\nNam khóa"),  # wrapped
        FORMULA.replace("thông qua", "thông  qua"),
        FORMULA.replace("Quốc hội", "Quốc Hội"),
    ],
)
def test_a_loosely_written_passing_formula_still_opens_the_closing(written: str) -> None:
    text = corpus_text(FAMILY)
    assert FORMULA in text
    original = extract_units(text, doc_code="VN-HNGD")
    result = extract_units(text.replace(FORMULA, written), doc_code="VN-HNGD")
    assert [(u.canonical_address, u.body) for u in result.units[:-1]] == [
        (u.canonical_address, u.body) for u in original.units[:-1]
    ]
    closing = result.units[-1]
    assert closing.canonical_address == "VN-HNGD/closing"
    assert closing.body.startswith(" ".join(written.split("\n")[0].split()))
    line = text.split("\n").index(FORMULA) + 1
    assert _new_warnings(result, original) == [("closing_formula", line)]


def _new_warnings(result, original) -> list[tuple[str, int]]:
    """The warnings of ``result`` that the un-mutated law did not have (before the change)."""
    before = {(w.kind, w.line) for w in original.warnings}
    return [(w.kind, w.line) for w in result.warnings if (w.kind, w.line) not in before]


def test_the_formula_as_an_article_s_own_text_is_not_moved() -> None:
    # the law's last paragraph is the formula only when a signature follows it
    lines = corpus_text(FAMILY).split("\n")
    end = lines.index(FORMULA)
    mutated = [*lines[:end], FORMULA.replace("thông qua", "thông  qua")]
    result = extract_units("\n".join(mutated), doc_code="VN-HNGD")
    assert result.units[-1].canonical_address.endswith("art_133")
    assert _new_warnings(result, extract_units(corpus_text(FAMILY), doc_code="VN-HNGD")) == []


def test_a_passing_formula_in_capitals_stops_rather_than_joining_the_last_article() -> None:
    text, line = _replaced(FAMILY, FORMULA, FORMULA.upper())
    stop = _stop_of(text)
    assert _reported_line(stop) == line
    assert "a line in capitals inside article 133" in stop.detail


def test_a_section_title_run_into_its_number_is_read_where_due_and_stops_otherwise() -> None:
    heading, title = f"Mục 3: {PROPERTY}", PROPERTY
    text, line = _replaced(FAMILY, heading, f"Mục 3{title}")
    result = extract_units(text, doc_code="VN-HNGD")
    original = extract_units(corpus_text(FAMILY), doc_code="VN-HNGD")
    assert [(u.canonical_address, u.title) for u in result.units] == [
        (u.canonical_address, u.title) for u in original.units
    ]
    assert _new_warnings(result, original) == [("heading_punctuation", line)]
    text, line = _replaced(FAMILY, heading, f"Mục 4{title}")  # 3 is due: never read as 4
    stop = _stop_of(text)
    assert _reported_line(stop) == line and "not tolerated" in stop.detail
