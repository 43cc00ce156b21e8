"""The public surface: vocabulary, Unit, units_frame, normalize_body, number
reading, argument refusals, the extractor registry."""

from __future__ import annotations

import dataclasses
import re

import pytest

from cutter_assets.core import legal
from cutter_assets.core.legal import (
    DEFAULT_MAX_UNITS,
    EXTRACTORS,
    SECTION_TYPES,
    UNIT_KINDS,
    Unit,
    extract_units,
    normalize_body,
    register_extractor,
    units_frame,
)
from cutter_assets.core.legal.normalize import roman_to_int, vi_number_words, vi_ordinal
from cutter_assets.core.legal.vocab import SECTION_TYPE_OF
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import REPO

TEXT = "LUẬT\n\nĐiều 1. A\n\n1. Một:\n\na) Điểm a;\n\nđ) sai\n"
SMALL = "LUẬT\n\nĐiều 1. A\n\n1. Một:\n\na) Điểm a;\n\nb) Điểm b.\n"


def _seeded(table: str) -> list[str]:
    """The values the schema files insert into ``public.<table>``, in file order."""
    found: list[str] = []
    for path in sorted((REPO / "sql" / "deploy").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        for values in re.findall(rf"INSERT INTO public\.{table}\b[^;]*?VALUES(.*?);", sql, re.S):
            found += re.findall(r"\(\s*'([a-z_]+)'", values)
    return found


def test_vocabulary_is_exactly_what_the_database_seeds() -> None:
    kinds = _seeded("unit_kind_vocab")
    assert kinds[:9] == [
        "preamble", "part", "chapter", "section", "subsection",
        "article", "clause", "point", "closing",
    ]  # fmt: skip
    assert sorted(UNIT_KINDS) == sorted(kinds)
    assert sorted(SECTION_TYPES) == sorted(_seeded("section_type_vocab"))
    assert DEFAULT_MAX_UNITS == 1000
    assert set(SECTION_TYPE_OF) == set(UNIT_KINDS)
    assert set(SECTION_TYPE_OF.values()) == set(SECTION_TYPES)


def test_public_names() -> None:
    for name in (
        "Unit", "Extraction", "ExtractWarning", "extract_units", "units_frame",
        "normalize_body", "content_hash", "region_sha", "manifest_digest", "writer_digest",
        "idempotency_key", "UNIT_KINDS", "SECTION_TYPES", "DEFAULT_MAX_UNITS",
    ):  # fmt: skip
        assert hasattr(legal, name), name


def test_units_frame_columns_and_rows() -> None:
    extraction = extract_units(SMALL, doc_code="VN-T")
    frame = units_frame(extraction)
    assert list(frame.columns) == [
        "canonical_address", "unit_kind", "section_type", "number", "raw_heading", "title",
        "body", "parent_address", "sort_order", "content_hash",
    ]  # fmt: skip
    assert frame["canonical_address"].tolist() == [
        "VN-T/preamble", "VN-T/art_1", "VN-T/art_1/para_1",
        "VN-T/art_1/para_1/point_a", "VN-T/art_1/para_1/point_b",
    ]  # fmt: skip
    assert frame["sort_order"].tolist() == [1, 2, 3, 4, 5]
    assert frame["parent_address"].tolist()[:3] == [None, None, "VN-T/art_1"]
    assert set(frame["unit_kind"]) <= set(UNIT_KINDS)
    assert set(frame["section_type"]) <= set(SECTION_TYPES)


def test_units_are_frozen_and_from_values_equals_the_constructor() -> None:
    unit = extract_units(SMALL, doc_code="VN-T").units[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        unit.body = "x"  # type: ignore[misc]
    values = [getattr(unit, f.name) for f in dataclasses.fields(Unit)]
    assert Unit(*values) == unit == Unit.from_values(*values)
    assert hash(Unit(*values)) == hash(unit)


def test_normalize_body() -> None:
    raw = "\n\n  Dòng   một\t có\u00a0 khoảng  \r\n\r\n\r\n\rDo\u0300ng hai  \n\n\n\u00d0iều\n  \n"
    assert normalize_body(raw) == "Dòng một có khoảng\n\nDòng hai\n\nĐiều"
    assert normalize_body(normalize_body(raw)) == normalize_body(raw)
    assert normalize_body("") == ""
    assert normalize_body("Một  hai   ba") == "Một hai ba"  # spaces only: the fast path


def test_extracted_bodies_collapse_inner_spaces() -> None:
    text = "LUẬT\n\nĐiều 1.  Phạm   vi\n\n1. Một  hai   ba.\n\n2. Bốn\tnăm.\n"
    units = extract_units(text, doc_code="VN-T").units
    assert units[1].title == "Phạm vi"
    assert [u.body for u in units[2:]] == ["Một hai ba.", "Bốn năm."]
    units = extract_units(text.replace("\t", " "), doc_code="VN-T").units
    assert units[3].body == "Bốn năm."


def test_number_reading() -> None:
    assert [roman_to_int(r) for r in ("I", "IV", "IX", "XIV", "XXXVI", "XL")] == [
        1, 4, 9, 14, 36, 40,
    ]  # fmt: skip
    assert roman_to_int("IIII") is None and roman_to_int("VX") is None
    words = {"NHẤT": 1, "TƯ": 4, "BẢY": 7, "MƯỜI": 10, "MƯỜI LĂM": 15, "HAI MƯƠI MỐT": 21}
    for text, value in words.items():
        assert vi_number_words(text.split()) == value
    assert vi_number_words(["KẾT"]) is None
    for value in range(1, 100):
        assert vi_number_words(vi_ordinal(value).split()) == value


def test_argument_refusals() -> None:
    with pytest.raises(CutterStop) as err:
        extract_units(SMALL, doc_code="bad code")
    assert err.value.code is StopCode.STOP_BAD_DOC_CODE
    with pytest.raises(CutterStop) as err:
        extract_units(SMALL, doc_code="VN-T", language="fr")
    assert err.value.code is StopCode.STOP_REFUSED_INPUT
    with pytest.raises(CutterStop) as err:
        extract_units(SMALL, doc_code="VN-T", max_units=0)
    assert err.value.code is StopCode.STOP_REFUSED_INPUT
    with pytest.raises(CutterStop) as err:
        extract_units(" \n\t\n", doc_code="VN-T")
    assert err.value.code is StopCode.STOP_EMPTY_INPUT


def test_declared_language_overrides_detection() -> None:
    # Read as English, a Vietnamese law has no article heading: a stop, not a guess.
    with pytest.raises(CutterStop) as err:
        extract_units(SMALL, doc_code="VN-T", language="en")
    assert "no article heading" in err.value.detail


def test_registry_is_pluggable() -> None:
    class Shouting:
        """The Vietnamese grammar behind another language code."""

        def __init__(self) -> None:
            self.inner = EXTRACTORS["vi"]
            self.language = "xx"

        def __getattr__(self, name):
            return getattr(self.inner, name)

    register_extractor("xx", Shouting())
    try:
        extraction = extract_units(SMALL, doc_code="VN-T", language="xx")
        assert extraction.language == "xx" and extraction.counts["point"] == 2
    finally:
        del EXTRACTORS["xx"]
