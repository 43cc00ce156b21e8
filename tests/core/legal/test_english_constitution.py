"""The US Constitution convention: an excerpt of the National Archives
transcription (fixtures/us-constitution.txt) is detected as a constitution,
cut into articles (Roman numerals) > sections (numbered from 1 again in each
article), its preamble, closing and amendments; the five real English
instruments are never taken for one; every numbering defect stops, all of
them reported in one pass; its AKN validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutter_assets.core.legal import Extraction, extract_units
from cutter_assets.core.legal.akn import Source, valid_akn_xml
from cutter_assets.core.legal.english import detect_convention
from cutter_assets.core.stops import StopCode, StructureStop
from tests.core.legal.test_akn import NS, eids, parse

CODE = "US-CONST"
FIXTURE = Path(__file__).parent / "fixtures" / "us-constitution.txt"
EN_CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "en"

# The tree written by hand from the fixture: Articles I-VII, their sections
# counted from 1 in each, Articles V-VII without sections; the amendments'
# annex after the closing, Amendments XIII and XIV with sections.
BODY_TREE = [
    "preamble",
    "art_1", "art_1/sec_1", "art_1/sec_2", "art_1/sec_3",
    "art_2", "art_2/sec_1",
    "art_3", "art_3/sec_1",
    "art_4", "art_4/sec_1", "art_4/sec_2", "art_4/sec_3", "art_4/sec_4",
    "art_5", "art_6", "art_7",
    "closing",
]  # fmt: skip
AMENDMENTS_TREE = [
    "annex_1",
    *(f"annex_1/art_{n}" for n in range(1, 14)),
    "annex_1/art_13/sec_1", "annex_1/art_13/sec_2",
    "annex_1/art_14", "annex_1/art_14/sec_1", "annex_1/art_14/sec_2",
]  # fmt: skip


def constitution() -> str:
    """The fixture's text after its header of comment lines."""
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return "\n".join(lines[start:])


TEXT = constitution()


def cut(text: str = TEXT) -> Extraction:
    return extract_units(text, doc_code=CODE)


def addresses(extraction: Extraction) -> list[str]:
    return [u.canonical_address.removeprefix(f"{CODE}/") for u in extraction.units]


def unit(extraction: Extraction, address: str):
    return next(u for u in extraction.units if u.canonical_address == f"{CODE}/{address}")


def line_of(text: str, line: str, after: str = "") -> int:
    """The 1-based number of the first line ``line`` after the line ``after``."""
    lines = text.split("\n")
    start = lines.index(after) if after else 0
    return lines.index(line, start) + 1


def stop_of(text: str) -> StructureStop:
    with pytest.raises(StructureStop) as err:
        cut(text)
    assert err.value.code is StopCode.STOP_STRUCTURE
    return err.value


def found(stop: StructureStop) -> list[tuple[int, str]]:
    return [(a.line, a.kind) for a in stop.anomalies]


# ---- detection ----------------------------------------------------------------
def test_the_constitution_is_detected_as_one() -> None:
    assert detect_convention(TEXT).name == "us-constitution"


@pytest.mark.parametrize("path", sorted(EN_CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_no_corpus_instrument_is_taken_for_a_constitution(path: Path) -> None:
    convention = detect_convention(path.read_text(encoding="utf-8"))
    assert convention is not None
    assert convention.name != "us-constitution"


def test_the_five_corpus_files_are_there() -> None:
    assert len(list(EN_CORPUS.glob("*.txt"))) == 5


# ---- the tree ---------------------------------------------------------------------
def test_the_constitution_is_cut_into_its_tree() -> None:
    extraction = cut()
    assert addresses(extraction) == BODY_TREE + AMENDMENTS_TREE
    for u in extraction.units:
        parent = u.canonical_address.rsplit("/", 1)[0]
        assert u.parent_address == (parent if parent != CODE else None)
    assert extraction.warnings == []


def test_articles_are_numbered_from_their_roman_numerals() -> None:
    extraction = cut()
    articles = [u for u in extraction.units if u.unit_kind == "article" and not u.parent_address]
    assert [(u.raw_heading, u.number) for u in articles] == [
        (f"Article. {roman}.", str(n))
        for n, roman in enumerate(["I", "II", "III", "IV", "V", "VI", "VII"], start=1)
    ]
    assert {u.section_type for u in articles} == {"heading"}


def test_sections_are_numbered_from_one_in_each_article() -> None:
    extraction = cut()
    sections = [u for u in extraction.units if u.unit_kind == "section"]
    by_article = {}
    for u in sections:
        by_article.setdefault(u.parent_address.removeprefix(f"{CODE}/"), []).append(u.number)
    assert by_article == {
        "art_1": ["1", "2", "3"],
        "art_2": ["1"],
        "art_3": ["1"],
        "art_4": ["1", "2", "3", "4"],
        "annex_1/art_13": ["1", "2"],
        "annex_1/art_14": ["1", "2"],
    }
    assert {u.section_type for u in sections} == {"provision"}
    second = unit(extraction, "art_1/sec_2")
    assert second.raw_heading == "Section. 2."
    assert second.body.startswith("The House of Representatives shall be composed of Members")
    assert second.body.endswith("shall have the sole Power of Impeachment.")
    assert second.body.count("\n\n") == 4  # its five paragraphs, text: never cut


def test_an_article_without_sections_holds_its_text() -> None:
    extraction = cut()
    sixth = unit(extraction, "art_6")
    paragraphs = sixth.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("All Debts contracted and Engagements entered into")
    assert paragraphs[2].endswith("any Office or public Trust under the United States.")
    assert unit(extraction, "art_7").body == (
        "The Ratification of the Conventions of nine States, shall be sufficient for the "
        "Establishment of this Constitution between the States so ratifying the Same."
    )
    assert unit(extraction, "art_1").body == ""  # its text is in its sections


def test_the_preamble_and_the_closing() -> None:
    extraction = cut()
    assert unit(extraction, "preamble").body == TEXT.split("\n")[0]
    assert unit(extraction, "preamble").body.startswith("We the People of the United States")
    closing = unit(extraction, "closing").body.split("\n\n")
    assert closing[0].startswith('The Word, "the," being interlined')
    assert closing[1] == "Attest William Jackson Secretary"
    assert closing[2].startswith("done in Convention by the Unanimous Consent of the States")
    assert closing[3] == "G°. Washington\nPresidt and deputy from Virginia"
    assert closing[-1].split("\n")[0] == "Pennsylvania"
    assert closing[-1].endswith("Gouv Morris")


def test_the_amendments_are_articles_of_one_annex_after_the_closing() -> None:
    extraction = cut()
    annex = unit(extraction, "annex_1")
    assert (annex.unit_kind, annex.raw_heading, annex.body) == ("annex", "Amendment I", "")
    first = unit(extraction, "annex_1/art_1")
    assert (first.unit_kind, first.raw_heading) == ("article", "Amendment I")
    assert first.body.startswith("Congress shall make no law respecting an establishment")
    fourteenth = unit(extraction, "annex_1/art_14/sec_1")
    assert fourteenth.body.startswith("All persons born or naturalized in the United States")
    kinds = [u.unit_kind for u in extraction.units]
    assert kinds.index("annex") == kinds.index("closing") + 1


def test_the_plain_heading_forms_read_the_same() -> None:
    """``Article I`` > ``Section 1.`` (and ``AMENDMENT I``) as well as the
    transcription's ``Article. I.`` > ``Section. 1.``."""
    plain = re.sub(r"^Article\. ([IVX]+)\.$", r"Article \1", TEXT, flags=re.M)
    plain = re.sub(r"^Section\. (\d+)\.$", r"Section \1.", plain, flags=re.M)
    plain = re.sub(r"^Amendment ", "AMENDMENT ", plain, flags=re.M)
    assert plain.count("\nArticle IV\nSection 1.\n") == 1
    assert plain.count("\nAMENDMENT XIV\n") == 1
    assert addresses(cut(plain)) == BODY_TREE + AMENDMENTS_TREE


# ---- what stops -----------------------------------------------------------------
# name -> (the edits made to the text, the line at fault (and the line after
# which it is found), the anomaly, the stop's detail).
OUT_OF_SEQUENCE = {
    "a skipped section number": (
        [("Section. 3.\nThe Senate", "Section. 4.\nThe Senate")],
        ("Section. 4.", ""),
        "gap",
        "section numbering gap (expected 3, found 4)",
    ),
    "Article II's sections numbered on from Article I's (no restart)": (
        [("Article. II.\nSection. 1.", "Article. II.\nSection. 4.")],
        ("Section. 4.", "Article. II."),
        "gap",
        "section numbering gap (expected 1, found 4)",
    ),
    "Article III before Article II": (
        [("Article. II.", "@"), ("Article. III.", "Article. II."), ("@", "Article. III.")],
        ("Article. III.", ""),
        "gap",
        "article numbering gap (expected II, found III)",
    ),
    "an article number behind the last": (
        [("Article. V.", "Article. III.")],
        ("Article. III.", "Article. IV."),
        "out_of_order",
        "article out of order (expected V, found III)",
    ),
    "an amendment out of its sequence": (
        [("Amendment XII\n", "Amendment XIII\n")],
        ("Amendment XIII", ""),
        "gap",
        "article numbering gap (expected XII, found XIII)",
    ),
}


@pytest.mark.parametrize("name", OUT_OF_SEQUENCE)
def test_a_number_out_of_its_sequence_stops(name: str) -> None:
    edits, (heading, after), kind, detail = OUT_OF_SEQUENCE[name]
    text = TEXT
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    stop = stop_of(text)
    assert found(stop) == [(line_of(text, heading, after), kind)]
    assert stop.detail.startswith(detail)


def test_a_duplicated_section_heading_stops_with_all_it_breaks() -> None:
    """The repeated heading leaves the first section 2 empty: both reported."""
    text = TEXT.replace("Section. 2.\nThe House", "Section. 2.\nSection. 2.\nThe House")
    stop = stop_of(text)
    first = line_of(text, "Section. 2.")
    assert found(stop) == [(first, "empty_unit"), (first + 1, "duplicate")]
    assert stop.anomalies[1].expected == "3"
    assert stop.anomalies[1].found == "2"


def test_every_anomaly_is_reported_in_one_pass() -> None:
    text = TEXT.replace("Section. 3.\nThe Senate", "Section. 4.\nThe Senate")
    text = text.replace("Article. V.", "Article. VIII.").replace("Amendment IV\n", "Amendment V\n")
    stop = stop_of(text)
    assert found(stop) == [
        (line_of(text, "Section. 4."), "gap"),
        (line_of(text, "Article. VIII."), "gap"),
        (line_of(text, "Amendment V"), "gap"),
    ]


def test_an_article_without_text_or_sections_stops() -> None:
    start = TEXT.index("Article. III.\n") + len("Article. III.\n")
    text = TEXT[:start] + TEXT[TEXT.index("Article. IV.") :]
    stop = stop_of(text)
    assert found(stop) == [(line_of(text, "Article. III."), "empty_unit")]


def test_a_lettered_item_stops_rather_than_being_guessed() -> None:
    text = TEXT.replace("Section. 4.\nThe United States", "Section. 4.\n(a) The United States")
    stop = stop_of(text)
    item = next(n for n, line in enumerate(text.split("\n"), start=1) if line.startswith("(a) "))
    assert found(stop) == [(item, "misplaced")]


def test_an_article_after_the_signatures_stops() -> None:
    text = TEXT.replace("Gouv Morris\n", "Gouv Morris\n\nArticle. VIII.\nMore.\n")
    stop = stop_of(text)
    assert found(stop) == [(line_of(text, "Article. VIII."), "misplaced")]


# ---- Akoma Ntoso --------------------------------------------------------------
def test_the_constitution_as_akn_validates() -> None:
    extraction = cut()
    xml = valid_akn_xml(extraction.units, Source(CODE, "en", "ab" * 32))
    assert eids(xml) == [a.replace("/", "__") for a in addresses(extraction)]
    root = parse(xml)
    body = root.find("a:act/a:body", NS)
    assert [a.get("eId") for a in body.findall("a:article", NS)] == [
        f"art_{n}" for n in range(1, 8)
    ]
    sections = body.findall("a:article[@eId='art_1']/a:section", NS)
    assert [s.get("eId") for s in sections] == ["art_1__sec_1", "art_1__sec_2", "art_1__sec_3"]
    assert len(body.findall("a:article[@eId='art_6']/a:content/a:p", NS)) == 3
    amendments = root.find("a:act/a:attachments/a:attachment[@eId='annex_1']/a:doc", NS)
    assert amendments.get("name") == "annex"
    fourteenth = amendments.find("a:mainBody/a:article[@eId='annex_1__art_14']", NS)
    assert [s.get("eId") for s in fourteenth.findall("a:section", NS)] == [
        "annex_1__art_14__sec_1",
        "annex_1__art_14__sec_2",
    ]
