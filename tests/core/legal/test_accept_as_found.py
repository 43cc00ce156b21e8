"""A text with true structural defects cut as found (``core/legal/acceptance.py``).

Damaged copies of real laws (a marker dropped, a number repeated, the last
letter of a list skipped, a chapter number skipped, the first marker of an
article lost) are cut as found only under an acknowledgment of exactly their
anomalies: each class of defect gives the as-found tree and addresses the
acceptance rules say, the same every time; an acknowledgment that names another
text, another line, one anomaly fewer or one more is refused or stops the cut.
The defects are made here and the lines and their sha256 found in the damaged
text itself (``test_anomalies.py``'s helpers), never taken from the extractor.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import replace

import pytest

from cutter_assets.core.legal import (
    Acknowledgment,
    AnomalyKey,
    extract_as_found,
    extract_units,
    writer_digest,
)
from cutter_assets.core.legal.acceptance import (
    DUPLICATE_MARK,
    MAX_REVIEWED,
    accepted_records,
    disambiguated,
    unit_anomalies,
)
from cutter_assets.core.legal.model import TAIL_MARK
from cutter_assets.core.stops import CutterStop, StopCode, StructureStop
from tests.core.legal.corpus import corpus_text
from tests.core.legal.test_anomalies import (
    DROP_A_MARKER,
    EN_DEFECTS,
    EN_LAW,
    REPEAT_A_NUMBER,
    SKIP_A_CHAPTER,
    SKIP_THE_LAST_LETTER,
    VI_LAW,
    Defect,
    _damaged,
    _law,
    _sha256,
)

CODE = "T-ASFOUND"
# Article 6 loses the "1. " of its first clause: that paragraph is the article's own text.
LOSE_THE_FIRST_MARKER = Defect("1. Xây dựng, tổ chức thực hiện", "Xây dựng, tổ chức thực hiện",
                               "gap", "1", "2", "2. ")  # fmt: skip
VI_DEFECTS = [SKIP_THE_LAST_LETTER, REPEAT_A_NUMBER, DROP_A_MARKER, SKIP_A_CHAPTER]


def _text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _acknowledgment(text: str, located) -> Acknowledgment:
    """What a person acknowledges of ``text``: each defect made, at its line."""
    keys = tuple(AnomalyKey(d.kind, at, _sha256(text, at)) for d, at in located)
    return Acknowledgment(_text_sha(text), keys)


def _cut(defects: list[Defect], source: str = "vi"):
    original = corpus_text(VI_LAW) if source == "vi" else EN_LAW.read_text(encoding="utf-8")
    text, located = _damaged(original, defects)
    extraction = extract_units(text, doc_code=CODE, accept=_acknowledgment(text, located))
    return text, located, extraction, {u.canonical_address: u for u in extraction.units}


def _line(text: str, at: int) -> str:
    return unicodedata.normalize("NFC", text.split("\n")[at - 1])


# ---- each class of defect, as found ----------------------------------------------------
def test_a_gap_at_the_end_of_a_list_keeps_the_published_letter() -> None:
    text, ((_, at),), extraction, units = _cut([SKIP_THE_LAST_LETTER])
    clause = f"{CODE}/chp_2/sec_1/art_16/para_4"
    point = units[f"{clause}/point_d"]
    assert f"{clause}/point_c" not in units
    assert (point.number, point.parent_address) == ("d", clause)
    assert point.raw_heading == _line(text, at)
    (record,) = accepted_records(extraction)
    assert (record["expected"], record["found"], record["units"]) == (
        "c",
        "d",
        [f"{clause}/point_d"],
    )


def test_a_repeated_number_keeps_its_number_and_heading_under_a_disambiguated_address() -> None:
    text, ((_, at),), extraction, units = _cut([REPEAT_A_NUMBER])
    article = f"{CODE}/chp_1/art_3"
    first, second = units[f"{article}/para_1"], units[f"{article}/para_1{DUPLICATE_MARK}2"]
    assert f"{article}/para_2" not in units
    assert first.number == second.number == "1"
    assert second.raw_heading == _line(text, at) and first.raw_heading != second.raw_heading
    assert second.sort_order > first.sort_order and second.parent_address == article
    assert accepted_records(extraction)[0]["units"] == [second.canonical_address]


def test_a_lost_marker_leaves_its_paragraph_with_the_unit_before_it() -> None:
    text, ((_, at),), _, units = _cut([DROP_A_MARKER])
    article = f"{CODE}/chp_1/art_5"
    assert f"{article}/para_3" not in units
    assert units[f"{article}/para_2"].body.endswith("Khuyến khích đầu tư cho lĩnh vực công nghệ "
                                                     "thông tin.")  # fmt: skip
    assert units[f"{article}/para_4"].raw_heading == _line(text, at)


def test_a_lost_first_marker_makes_the_paragraph_the_articles_own_text() -> None:
    text, ((_, at),), _, units = _cut([LOSE_THE_FIRST_MARKER])
    article = units[f"{CODE}/chp_1/art_6"]
    assert article.body.startswith("Xây dựng, tổ chức thực hiện chiến lược")
    assert f"{CODE}/chp_1/art_6/para_1" not in units
    assert units[f"{CODE}/chp_1/art_6/para_2"].raw_heading == _line(text, at)


def test_an_out_of_sequence_chapter_keeps_its_number_and_its_articles() -> None:
    text, ((_, at),), _, units = _cut([SKIP_A_CHAPTER])
    chapters = [u for u in units.values() if u.unit_kind == "chapter"]
    assert [c.number for c in chapters] == ["1", "2", "4", "5", "6", "7"]
    assert units[f"{CODE}/chp_4"].raw_heading == _line(text, at) == "Chương IV"
    assert any(a.startswith(f"{CODE}/chp_4/") for a in units)
    assert not any(a.startswith(f"{CODE}/chp_3") for a in units)


def test_english_defects_are_cut_as_found_too() -> None:
    text, located, extraction, units = _cut(EN_DEFECTS, source="en")
    section_12, section_13 = f"{CODE}/part_3/sec_12", f"{CODE}/part_3/sec_13"
    assert f"{section_12}/subsec_1/para_f" in units and f"{section_12}/subsec_1/para_e" not in units
    assert f"{section_13}/subsec_3" in units and f"{section_13}/subsec_2" not in units
    assert units[f"{section_13}/subsec_4{DUPLICATE_MARK}2"].number == "4"
    assert [r["line"] for r in accepted_records(extraction)] == [at for _, at in located]


def test_every_defect_at_once_and_the_units_each_affects() -> None:
    text, located, extraction, units = _cut(VI_DEFECTS)
    records = accepted_records(extraction)
    assert [(r["kind"], r["line"], r["sha256"]) for r in records] == [
        (d.kind, at, _sha256(text, at)) for d, at in located
    ]
    for record in records:  # each names the unit its line opens
        (address,) = record["units"]
        index = next(i for i, u in enumerate(extraction.units) if u.canonical_address == address)
        assert extraction.unit_lines[index] == record["line"]
    assert len(units) == len(extraction.units)  # every address unique


# The unit each defect's line opens in the damaged law, read off the text by hand.
OPENED_BY = {
    SKIP_THE_LAST_LETTER: f"{CODE}/chp_2/sec_1/art_16/para_4/point_d",
    REPEAT_A_NUMBER: f"{CODE}/chp_1/art_3/para_1{DUPLICATE_MARK}2",
    DROP_A_MARKER: f"{CODE}/chp_1/art_5/para_4",
    SKIP_A_CHAPTER: f"{CODE}/chp_4",
}


def test_each_unit_holds_exactly_the_anomalies_that_affect_it() -> None:
    text, located, extraction, units = _cut(VI_DEFECTS)
    want = {
        OPENED_BY[defect]: [
            {
                "kind": defect.kind,
                "line": at,
                "sha256": _sha256(text, at),
                "expected": defect.expected,
                "found": defect.found,
            }
        ]
        for defect, at in located
    }
    assert unit_anomalies(accepted_records(extraction)) == want
    for defect, at in located:
        assert units[OPENED_BY[defect]].raw_heading == _line(text, at)
    assert unit_anomalies([]) == {}


def test_a_unit_two_anomalies_affect_holds_both_in_line_order() -> None:
    first = {"kind": "gap", "line": 9, "sha256": "a" * 64, "expected": "c", "found": "d"}
    second = {**first, "kind": "duplicate", "line": 3}
    records = [{**first, "units": ["D/a", "D/b"]}, {**second, "units": ["D/b"]}]
    assert unit_anomalies(records) == {"D/a": [first], "D/b": [second, first]}


# ---- exact match ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def damaged() -> tuple[str, Acknowledgment]:
    text, located = _damaged(corpus_text(VI_LAW), VI_DEFECTS)
    return text, _acknowledgment(text, located)


def _refused(text: str, acknowledgment: Acknowledgment) -> CutterStop:
    with pytest.raises(CutterStop) as err:
        extract_units(text, doc_code=CODE, accept=acknowledgment)
    return err.value


def test_a_missing_anomaly_stops_naming_it(damaged) -> None:
    text, acknowledgment = damaged
    left_out = acknowledgment.anomalies[1]
    stop = _refused(text, replace(acknowledgment, anomalies=acknowledgment.anomalies[::2]))
    assert isinstance(stop, StructureStop) and stop.code is StopCode.STOP_STRUCTURE
    assert [AnomalyKey(a.kind, a.line, a.sha256) for a in stop.anomalies] == list(
        acknowledgment.anomalies[1::2]
    )
    assert f"at line {left_out.line}" in stop.detail and stop.exit_code == 14


@pytest.mark.parametrize("wrong", ["extra anomaly", "other line", "other line sha", "twice"])
def test_an_acknowledgment_naming_what_the_text_does_not_have_is_refused(damaged, wrong) -> None:
    text, acknowledgment = damaged
    keys = list(acknowledgment.anomalies)
    if wrong == "extra anomaly":
        keys.append(AnomalyKey("gap", 10, _sha256(text, 10)))
    elif wrong == "other line":
        keys[0] = AnomalyKey(keys[0].kind, keys[0].line + 1, _sha256(text, keys[0].line + 1))
    elif wrong == "other line sha":
        keys[0] = replace(keys[0], sha256=_sha256(text, keys[0].line - 1))
    else:
        keys.append(keys[0])
    stop = _refused(text, replace(acknowledgment, anomalies=tuple(keys)))
    assert stop.code is StopCode.STOP_APPROVAL_INVALID
    if wrong != "twice":
        assert f"at line {keys[0 if wrong != 'extra anomaly' else -1].line}" in stop.detail


def test_an_acknowledgment_of_another_text_is_refused(damaged) -> None:
    text, acknowledgment = damaged
    other = replace(acknowledgment, text_sha256=_text_sha(corpus_text(VI_LAW)))
    stop = _refused(text, other)
    assert stop.code is StopCode.STOP_APPROVAL_INVALID and "another text" in stop.detail


def test_a_clean_text_is_cut_alike_with_an_empty_acknowledgment_and_refuses_any_other() -> None:
    text = corpus_text(VI_LAW)
    strict = extract_units(text, doc_code=CODE)
    empty = extract_units(text, doc_code=CODE, accept=Acknowledgment(_text_sha(text), ()))
    assert empty.units == strict.units and empty.anomalies == ()
    stray = Acknowledgment(_text_sha(text), (AnomalyKey("gap", 92, _sha256(text, 92)),))
    assert _refused(text, stray).code is StopCode.STOP_APPROVAL_INVALID


def test_without_an_acknowledgment_the_damaged_text_still_stops_with_every_anomaly(damaged):
    text, acknowledgment = damaged
    with pytest.raises(StructureStop) as strict:
        extract_units(text, doc_code=CODE)
    found = [AnomalyKey(a.kind, a.line, a.sha256) for a in strict.value.anomalies]
    assert found == list(acknowledgment.anomalies)
    stop = _refused(text, replace(acknowledgment, anomalies=()))
    assert [a.line for a in stop.anomalies] == [k.line for k in acknowledgment.anomalies]


# ---- determinism ------------------------------------------------------------------------
def test_the_as_found_cut_is_the_same_every_time_and_the_acknowledged_one(damaged) -> None:
    text, acknowledgment = damaged
    first = extract_units(text, doc_code=CODE, accept=acknowledgment)
    again = extract_units(text, doc_code=CODE, accept=acknowledgment)
    surveyed = extract_as_found(text, doc_code=CODE)
    assert first.units == again.units == surveyed.units
    assert first.anomalies == surveyed.anomalies
    records = accepted_records(first)
    assert records == accepted_records(again)
    rows = [vars(u) for u in first.units]
    assert writer_digest(rows, records) == writer_digest(rows, accepted_records(again))
    assert writer_digest(rows, records) != writer_digest(rows)
    assert writer_digest(rows, records) != writer_digest(rows, records[1:])


def test_duplicates_are_numbered_in_document_order_and_their_sub_units_follow() -> None:
    text = _law("Điều 1. A", "Điều 2. B", "Điều 2. C", "Điều 2. D", "Điều 3. E")
    text = text.replace("Điều 2. C\n\nNội dung của điều.", "Điều 2. C\n\n1. Một.\n2. Hai.")
    extraction = extract_as_found(text, doc_code=CODE)
    addresses = [u.canonical_address for u in extraction.units if u.unit_kind != "preamble"]
    dup = DUPLICATE_MARK
    assert addresses == [
        f"{CODE}/art_1", f"{CODE}/art_2", f"{CODE}/art_2{dup}2", f"{CODE}/art_2{dup}2/para_1",
        f"{CODE}/art_2{dup}2/para_2", f"{CODE}/art_2{dup}3", f"{CODE}/art_3",
    ]  # fmt: skip
    assert [a.kind for a in extraction.anomalies] == ["duplicate", "duplicate"]
    assert disambiguated(extraction.units) == extraction.units  # unique already: unchanged


# ---- what no cut takes as found -----------------------------------------------------------
def _not_acceptable(text: str) -> StructureStop:
    with pytest.raises(StructureStop) as err:
        extract_as_found(text, doc_code=CODE)
    assert err.value.acceptable is False
    return err.value


def test_a_heading_after_the_closing_block_cannot_be_cut_as_found() -> None:
    stop = _not_acceptable(_law("Điều 1. A", "Điều 2. B", "+", "Điều 3. C"))
    assert [a.kind for a in stop.anomalies] == ["misplaced"]


def test_a_tail_mark_cannot_be_cut_as_found() -> None:
    text = _law("Điều 1. A", "Điều 3. C").replace("Nội dung của điều.", TAIL_MARK, 1)
    assert "tail_mark" in [a.kind for a in _not_acceptable(text).anomalies]


def test_more_anomalies_than_a_review_takes_is_likely_the_wrong_file() -> None:
    text = _law("Điều 1. A", *(["Điều 1. A"] * (MAX_REVIEWED + 1)))
    stop = _not_acceptable(text)
    assert len(stop.anomalies) == MAX_REVIEWED + 1 and "right text" in stop.detail
