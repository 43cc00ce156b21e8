"""A document's structure accepted as found (gate SG_0, the structure review).

A published law may carry true defects: a point lettered "g)" where "e)" is
due, a clause number repeated, a clause whose "1." was lost, "Chương 5." where
4 is due. Editing the official text would break the chain to the source, so a
person acknowledges the defects instead, and the text is cut as found. The
extractor reads such a text on past its anomalies (``anomalies.py``: the tree
the builders keep while collecting them is the as-found cut); this module says
when that cut may be used and what it is.

Exact match. An acknowledgment names the text (its sha256) and each anomaly by
kind, line and the line's sha256. The as-found cut is used only when the text
is that text and its anomalies are exactly the acknowledged ones: a listed
anomaly the text does not have refuses the acknowledgment
(STOP_APPROVAL_INVALID, naming it); an anomaly it does not list stops the cut
(STOP_STRUCTURE, naming every one not listed).

As found, per class of defect (what the builders do, recorded here):

- a gap keeps the published numbering: ``point_g`` after ``point_d``, the
  anomaly recording "expected e, found g";
- a duplicate number keeps its number and raw heading, and its address gets
  ``-dup<n>`` on its last segment (``para_2-dup2`` for the second clause 2 of
  an article, ``-dup3`` for a third): the addresses stay unique, one token per
  level (the Akoma Ntoso ``eId`` joins levels with ``__``, which a suffix must
  not hold), and the n-th unit with a number among its siblings is named the
  same way in every cut (document order);
- a lost marker leaves its paragraph where the text puts it: the body of the
  unit before it (the parent's, when the first marker was lost), the next
  sibling keeping its own number (a gap);
- an out-of-sequence container keeps its number (``chp_5`` after ``chp_3``).

Each anomaly affects the unit its line opens, or the unit whose text holds
the line (``affected_units``); that is recorded with it wherever the cut shows
its anomalies (``accepted_records``), and each unit's plan row, then its unit
row, holds the anomalies that affect it (``unit_anomalies``; migration 018).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cutter_assets.core.legal.digests import text_digest_holds
from cutter_assets.core.legal.model import Anomaly, Extraction, Unit
from cutter_assets.core.legal.normalize import shorten
from cutter_assets.core.legal.vocab import DUPLICATE_MARK
from cutter_assets.core.stops import CutterStop, StopCode, StructureStop

# A review lists every anomaly in one doc a person reads; a text with more is far
# more likely the wrong file than a law with that many defects.
MAX_REVIEWED = 100
# What a unit row stores of each anomaly it was cut as found with (the entries of
# public.information_unit.accepted_anomalies; the database checks their shape).
UNIT_ANOMALY_FIELDS = ("kind", "line", "sha256", "expected", "found")


@dataclass(frozen=True)
class AnomalyKey:
    """What an acknowledgment pins of one anomaly: its kind, its line and the
    sha256 of that line."""

    kind: str
    line: int
    sha256: str

    @classmethod
    def of(cls, anomaly: Anomaly) -> AnomalyKey:
        return cls(anomaly.kind, anomaly.line, anomaly.sha256)

    def shown(self) -> str:
        return f"{self.kind} at line {self.line} (sha256 {self.sha256[:12]})"


@dataclass(frozen=True)
class Acknowledgment:
    """The anomalies of the text whose sha256 is ``text_sha256``, accepted as found."""

    text_sha256: str
    anomalies: tuple[AnomalyKey, ...]


def check_reviewable(anomalies: Sequence[Anomaly]) -> None:
    """STOP_STRUCTURE when there are too many anomalies for one review."""
    if len(anomalies) > MAX_REVIEWED:
        raise StructureStop(
            f"{len(anomalies)} structural anomalies, more than a structure review takes "
            f"({MAX_REVIEWED}): is this the right text? The first: {anomalies[0].detail}",
            tuple(anomalies),
            acceptable=False,
        )


def settle(extraction: Extraction, acknowledgment: Acknowledgment, text: str) -> Extraction:
    """``extraction`` (read as found from ``text``) when its anomalies are exactly
    the acknowledged ones; otherwise the refusal or the stop (module docstring)."""
    if not text_digest_holds(text, acknowledgment.text_sha256):
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID,
            "the structure acknowledgment is for another text "
            f"(text_sha256 {acknowledgment.text_sha256[:12]})",
        )
    listed = acknowledgment.anomalies
    if len(set(listed)) != len(listed):
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID, "the structure acknowledgment lists an anomaly twice"
        )
    found = {AnomalyKey.of(anomaly): anomaly for anomaly in extraction.anomalies}
    absent = [key for key in listed if key not in found]
    if absent:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID,
            "the structure acknowledgment lists what the text does not have: "
            + "; ".join(key.shown() for key in absent),
        )
    unlisted = tuple(anomaly for key, anomaly in found.items() if key not in set(listed))
    if unlisted:
        raise StructureStop(
            f"{len(unlisted)} anomaly(ies) not acknowledged; the first: {unlisted[0].detail}",
            unlisted,
        )
    return extraction


def disambiguated(units: Sequence[Unit]) -> list[Unit]:
    """The units with every address unique: the n-th unit (n > 1, document order)
    of an address gets ``-dup<n>`` on its last segment, and its sub-units'
    addresses follow it."""
    seen: dict[str, int] = {}
    moved: dict[str, str] = {}  # an address as built -> as it is now (a parent renamed)
    out = []
    for unit in units:
        parent = moved.get(unit.parent_address, unit.parent_address)
        address = unit.canonical_address
        if parent != unit.parent_address:
            address = parent + address[len(unit.parent_address) :]
        copies = seen.get(address, 0) + 1
        seen[address] = copies
        if copies > 1:
            address = f"{address}{DUPLICATE_MARK}{copies}"
            seen[address] = 1
        if address != unit.canonical_address:  # addresses nest: a moved parent moves it
            moved[unit.canonical_address] = address
            unit = dataclasses.replace(unit, canonical_address=address, parent_address=parent)
        out.append(unit)
    return out


def affected_units(extraction: Extraction) -> list[tuple[Anomaly, tuple[str, ...]]]:
    """Each anomaly with the addresses of the units it affects: those its line
    opens, else the unit whose text holds the line (the last one opened before it)."""
    lines, units = extraction.unit_lines, extraction.units
    out = []
    for anomaly in extraction.anomalies:
        opened = tuple(
            u.canonical_address for u, at in zip(units, lines, strict=True) if at == anomaly.line
        )
        if not opened:
            before = [(at, index) for index, at in enumerate(lines) if at < anomaly.line]
            opened = (units[max(before)[1]].canonical_address,) if before else ()
        out.append((anomaly, opened))
    return out


def anomaly_record(anomaly: Anomaly) -> dict[str, Any]:
    """An anomaly as a request payload and an acknowledgment show it."""
    return {
        "kind": anomaly.kind,
        "line": anomaly.line,
        "sha256": anomaly.sha256,
        "text": shorten(anomaly.text, 200),
        "expected": anomaly.expected,
        "found": anomaly.found,
        "accept_as_found": anomaly.accept_as_found,
    }


def accepted_records(extraction: Extraction) -> list[dict[str, Any]]:
    """The anomalies a cut was made as found with, each with the units it affects:
    what the cut plan, the mark pins and the writer digest carry."""
    return [
        {
            "kind": anomaly.kind,
            "line": anomaly.line,
            "sha256": anomaly.sha256,
            "expected": anomaly.expected,
            "found": anomaly.found,
            "units": list(units),
        }
        for anomaly, units in affected_units(extraction)
    ]


def unit_anomalies(accepted: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The anomalies each unit was cut as found with, by address: every record of
    ``accepted_records`` on each unit it names, as ``UNIT_ANOMALY_FIELDS``, in
    line order. A unit no anomaly affects is absent (its rows carry [])."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in accepted:
        entry = {field: record[field] for field in UNIT_ANOMALY_FIELDS}
        for address in record["units"]:
            out.setdefault(address, []).append(dict(entry))
    for entries in out.values():
        entries.sort(key=lambda e: (e["line"], e["kind"], e["sha256"]))
    return out


@dataclass(frozen=True)
class UnitAcceptance:
    """What a stored unit was cut as found with, as an export shows it: its
    anomalies (``UNIT_ANOMALY_FIELDS`` each, line order) and the SG_0 decision
    that accepted them (None when there are none)."""

    anomalies: tuple[Mapping[str, Any], ...] = ()
    decision_id: str | None = None


def acknowledgment_of(text_sha256: str, records: Iterable[dict[str, Any]]) -> Acknowledgment:
    """The acknowledgment of anomaly records (``anomaly_record``'s keys)."""
    return Acknowledgment(
        text_sha256,
        tuple(AnomalyKey(r["kind"], int(r["line"]), r["sha256"]) for r in records),
    )
