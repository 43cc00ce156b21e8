"""From a builder's checked nodes to the extraction, the one way both builders
(``tree.py`` for the grammars, ``english/builder.py`` for the English
conventions) make units: the cap on their number, each unit's row and content
hash, the counts by kind.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import count
from typing import Protocol

from cutter_assets.core.commands import command
from cutter_assets.core.legal.anomalies import structure_stop
from cutter_assets.core.legal.model import Anomaly, Extraction, ExtractWarning, Unit
from cutter_assets.core.legal.vocab import UNIT_KINDS

_hexdigest = type(hashlib.sha256()).hexdigest  # sha256(...).hexdigest(), mapped without a call


class UnitNode(Protocol):
    """What a builder's node holds that a unit shows as it is."""

    kind: str
    address: str
    parent_address: str | None
    raw_heading: str  # "" for the preamble and the closing
    title: str
    line: int  # the 1-based input line it starts on


def check_cap(nodes: Sequence[UnitNode], max_units: int, lines: list[str]) -> None:
    """Stop where the unit past the operator's cap starts: a text far larger than
    expected is more likely a wrong file than a law."""
    if len(nodes) <= max_units:
        return
    over = nodes[max_units]
    raise structure_stop(
        f"the document has {len(nodes)} units, more than the cap of {max_units}; "
        f"raise max_units ({command('extract --max-units N')}) if this size is expected. "
        f"Unit {max_units + 1} starts",
        over.line,
        over.raw_heading or lines[over.line - 1],
    )


def extraction_of(
    nodes: Sequence[UnitNode],
    *,
    bodies: list[str],
    numbers: Iterable[str],
    section_types: Iterable[str],
    doc_code: str,
    language: str,
    warnings: list[ExtractWarning],
    region_text: str,
    anomalies: tuple[Anomaly, ...] = (),
) -> Extraction:
    """The extraction of ``nodes`` in document order, with their normalised
    ``bodies`` (hashed here), address ``numbers`` and ``section_types``, and
    the ``anomalies`` read past (as found)."""
    hashes = map(_hexdigest, map(hashlib.sha256, map(str.encode, bodies)))
    make = Unit.from_values
    units = [
        make(
            node.address,
            node.kind,
            section_type,
            number,
            node.raw_heading,
            node.title,
            body,
            node.parent_address,
            order,
            content_hash,
        )
        for order, node, section_type, number, body, content_hash in zip(
            count(1), nodes, section_types, numbers, bodies, hashes
        )
    ]
    by_kind = Counter(node.kind for node in nodes)
    return Extraction(
        doc_code=doc_code,
        language=language,
        units=units,
        warnings=warnings,
        counts={kind: by_kind[kind] for kind in UNIT_KINDS},
        unit_lines=[node.line for node in nodes],
        region_text=region_text,
        anomalies=anomalies,
    )
