"""The cut plan: the exact rowset the writer will create, with per-row
idempotency keys and the writer digest that pins it (seed doc 04 §6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cutter_assets.core.legal import Unit, idempotency_key, writer_digest
from cutter_assets.core.legal.acceptance import unit_anomalies
from cutter_assets.core.legal.model import ACCEPTED_FIELD, UNIT_COLUMNS
from cutter_assets.core.stops import CutterStop, StopCode


def plan_rows(
    units: Sequence[Unit], doc_code: str, accepted: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """One write row per unit in document order, whatever order ``units`` came in.

    Each row carries the anomalies its unit was cut as found with (``accepted``:
    ``acceptance.accepted_records``, as mark pinned them; [] for a unit none
    affects), so the writer digest, the persisted plan and the unit row hold
    them. STOP_DRIFT when ``accepted`` names a unit the units lack: they were
    not cut from the text mark accepted."""
    on_unit = unit_anomalies(accepted)
    missing = sorted(set(on_unit) - {u.canonical_address for u in units})
    if missing:
        raise CutterStop(
            StopCode.STOP_DRIFT,
            f"the accepted anomalies name units the plan lacks: {', '.join(missing[:5])}",
        )
    rows = [
        {
            **{column: getattr(u, column) for column in UNIT_COLUMNS},
            "idempotency_key": idempotency_key(doc_code, u.canonical_address, u.content_hash),
            ACCEPTED_FIELD: on_unit.get(u.canonical_address, []),
        }
        for u in units
    ]
    rows.sort(key=lambda row: row["sort_order"])
    return rows


def two_pass_digests(
    units: Sequence[Unit], doc_code: str, accepted: Sequence[Mapping[str, Any]] = ()
) -> tuple[str, str]:
    """The writer digest of the plan built from the units, and from the units
    reversed: equal digests show the plan does not depend on input order (the
    digest covers every written column, sort_order and parent_address too, and
    the anomalies the units were ``accepted`` as found with, per row and in all)."""
    forward = writer_digest(plan_rows(units, doc_code, accepted), accepted)
    backward = writer_digest(plan_rows(list(reversed(units)), doc_code, accepted), accepted)
    return forward, backward


def vocab_violations(
    rows: Sequence[Mapping[str, Any]], vocab: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every unit_kind / section_type value in the plan that the live vocab lacks."""
    missing = []
    for column in ("unit_kind", "section_type"):
        known = set(vocab.get(column, ()))
        for value in sorted({row[column] for row in rows} - known):
            missing.append(f"{column}={value}")
    return missing


def duplicate_keys(rows: Sequence[Mapping[str, Any]]) -> int:
    keys = [row["idempotency_key"] for row in rows]
    return len(keys) - len(set(keys))
