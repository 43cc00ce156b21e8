"""Reading a completed cut back for export: the run, its document version and
its units, in one read-only snapshot taken as a lane role that may read units.

Only a live run that reached COMPLETED is exported: a rehearsal committed no
units, and a run that is still open, stopped or voided has no enacted cut.
Nothing here writes (the transaction is READ ONLY, so the database refuses
any write as well).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from cutter_assets.core.legal.acceptance import UnitAcceptance
from cutter_assets.core.legal.model import UNIT_COLUMNS, Unit
from cutter_assets.core.phases import Mode, Role, RunState
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger

# The verifier's lane reads documents, units and the ledger, and writes only its
# own verification records, which a READ ONLY transaction refuses too.
EXPORT_ROLE = Role.VERIFY

# One snapshot for every read below: the run, its version and its units agree.
READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

SOURCE_OF_VERSION = """
SELECT d.title, d.language, v.version_no, v.text_sha256
  FROM public.source_version v
  JOIN public.source_document d ON d.id = v.source_document_id
 WHERE v.id = %(version_id)s
"""

# The Unit's columns in its own order (the body is the unit's first and only
# version), then what it was cut as found with: its anomalies and their decision.
UNITS_OF_RUN = f"""
SELECT {", ".join("uv.body" if c == "body" else f"iu.{c}" for c in UNIT_COLUMNS)},
       iu.accepted_anomalies, iu.structure_decision_id::text
  FROM cutter_governance.cut_change_set c
  JOIN public.information_unit iu ON iu.change_set_id = c.change_set_id
  JOIN public.unit_version uv ON uv.information_unit_id = iu.id AND uv.version_no = 1
 WHERE c.run_id = %(run_id)s
 ORDER BY iu.sort_order
"""


@dataclass(frozen=True)
class CompletedCut:
    """A completed live cut as stored: where it came from, its units in order
    and, by address, what each was cut as found with (every unit has an entry,
    most of them with no anomaly)."""

    run_id: str
    doc_code: str
    title: str
    language: str
    version_no: int
    text_sha256: str
    completed_at: str  # ISO 8601 UTC: when the run reached COMPLETED (final, never moves)
    units: list[Unit]
    accepted: dict[str, UnitAcceptance] = field(default_factory=dict)


def read_completed_cut(conn, run_id: str) -> CompletedCut:
    """The cut of ``run_id``, read in one REPEATABLE READ, READ ONLY transaction
    (the first statement on ``conn``); STOP_RUN_UNKNOWN or STOP_STATE unless the
    run exists, is live, completed and not voided."""
    with conn.cursor() as cur:
        cur.execute(READ_ONLY_SNAPSHOT)
    run = ledger.get_run(conn, run_id)
    check_exportable(run)
    with conn.cursor() as cur:
        cur.execute(SOURCE_OF_VERSION, {"version_id": run.source_version_id})
        title, language, version_no, text_sha256 = cur.fetchone()
        cur.execute(UNITS_OF_RUN, {"run_id": run.run_id})
        rows = cur.fetchall()
    units = [Unit.from_values(*row[: len(UNIT_COLUMNS)]) for row in rows]
    accepted = {
        unit.canonical_address: UnitAcceptance(tuple(row[-2]), row[-1])
        for unit, row in zip(units, rows, strict=True)
    }
    source = (title, language, version_no, text_sha256)
    return CompletedCut(run.run_id, run.doc_code, *source, _utc(run.updated_at), units, accepted)


def check_exportable(run: ledger.Run) -> None:
    """Refuse, with STOP_STATE, every run but a completed live one."""
    if run.state == RunState.VOIDED:
        why = "was voided; a voided cut is never exported"
    elif run.mode == Mode.DRYRUN:
        why = "is a dryrun rehearsal: it committed no units to export"
    elif run.state != RunState.COMPLETED:
        why = f"is {run.state}; only a COMPLETED live cut is exported"
    else:
        return
    raise CutterStop(StopCode.STOP_STATE, f"cut run {run.run_id} {why}")


def _utc(moment: datetime) -> str:
    """The same instant whatever the session's time zone (same run, same bytes)."""
    return moment.astimezone(UTC).isoformat()
