"""The batch ledger (seed O5): a batch, its members and the cut run each one
started, and the documents a failed member quarantined.

Every write is a SECURITY DEFINER function of ``sql/deploy/016_batch.sql``
(the lane roles hold no INSERT or UPDATE on these tables); a refusal is a
STOP with the database's reason, as for the cut-run ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cutter_assets.db.ledger import call, row_by_id

QUARANTINE, STRICT, CONTINUE = "quarantine", "strict", "continue"
POLICIES = (QUARANTINE, STRICT, CONTINUE)

OPEN_BATCH = """
SELECT cutter_governance.fn_batch_open(%(batch_id)s, %(mode)s, %(on_failure)s,
                                       %(max_concurrent)s, %(actor)s, %(doc_codes)s)
"""
START_MEMBER = """
SELECT cutter_governance.fn_batch_member_start(%(batch_id)s, %(doc_code)s, %(run_id)s,
                                               %(dagster_run_id)s)
"""
QUARANTINE_RUN = "SELECT cutter_governance.fn_quarantine(%(run_id)s)"
RELEASE = "SELECT cutter_governance.fn_quarantine_release(%(doc_code)s, %(actor)s)"
BATCH_BY_ID = """
SELECT batch_id::text, mode, on_failure, max_concurrent, actor, created_at
  FROM cutter_governance.batch WHERE batch_id = %(batch_id)s
"""
BATCH_OF_RUN = "SELECT batch_id::text FROM cutter_governance.batch_member WHERE run_id = %(run_id)s"
MEMBERS = """
SELECT m.seq, m.doc_code, m.run_id::text, m.dagster_run_id, r.state, r.stop_code, r.stop_detail,
       held.reason, q.run_id IS NOT NULL
  FROM cutter_governance.batch_member m
  LEFT JOIN cutter_governance.orchestrator_run r ON r.run_id = m.run_id
  LEFT JOIN cutter_governance.quarantine q ON q.run_id = m.run_id
  LEFT JOIN cutter_governance.quarantine held
         ON held.doc_code = m.doc_code AND held.released_at IS NULL
 WHERE m.batch_id = %(batch_id)s
 ORDER BY m.seq
"""
QUARANTINED = """
SELECT doc_code, reason, batch_id::text FROM cutter_governance.quarantine
 WHERE released_at IS NULL AND doc_code = ANY (%(doc_codes)s)
"""
# The latest version of each document is pending a cut in ``mode`` when no run
# holds it (an open run, or a live run that completed) and it is not
# quarantined: for a rehearsal, when no rehearsal of it is green yet; for a
# live cut, when one is (a live cut needs a green rehearsal before it writes).
PENDING = """
SELECT d.doc_code
  FROM public.source_document d
  JOIN LATERAL (SELECT v.id FROM public.source_version v
                 WHERE v.source_document_id = d.id
                 ORDER BY v.version_no DESC LIMIT 1) v ON true
 WHERE NOT EXISTS (SELECT 1 FROM cutter_governance.orchestrator_run r
                    WHERE r.source_version_id = v.id AND r.blocks_recut)
   AND NOT EXISTS (SELECT 1 FROM cutter_governance.quarantine q
                    WHERE q.doc_code = d.doc_code AND q.released_at IS NULL)
   AND EXISTS (SELECT 1 FROM cutter_governance.orchestrator_run r
                WHERE r.source_version_id = v.id AND r.mode = 'dryrun'
                  AND r.state = 'COMPLETED') = (%(mode)s = 'live')
 ORDER BY d.doc_code
"""


@dataclass(frozen=True)
class Batch:
    batch_id: str
    mode: str
    on_failure: str
    max_concurrent: int
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class Member:
    """A member as the ledger holds it: its cut run (None before it started)
    and that run's state; why its document is quarantined now (None: it is
    not, or no longer), and whether this run's quarantine was ever recorded
    (its batch's policy met, even if released since)."""

    seq: int
    doc_code: str
    run_id: str | None
    dagster_run_id: str | None
    state: str | None
    stop_code: str | None
    stop_detail: str | None
    quarantined: str | None
    quarantine_recorded: bool


@dataclass(frozen=True)
class Quarantine:
    doc_code: str
    reason: str
    batch_id: str


def open_batch(conn, **batch) -> int:
    """Insert the batch (batch_id, mode, on_failure, max_concurrent, actor)
    and its members (doc_codes, in order); the number of members."""
    return call(conn, OPEN_BATCH, batch)[0]


def start_member(conn, **member: str) -> None:
    """Link the member (batch_id, doc_code) to the cut run just opened for it
    (run_id) and the Dagster run that will carry it (dagster_run_id), once."""
    call(conn, START_MEMBER, member)


def get_batch(conn, batch_id: str) -> Batch:
    return Batch(*row_by_id(conn, BATCH_BY_ID, "batch_id", batch_id, "batch"))


def batch_of_run(conn, run_id: str) -> str | None:
    """The batch whose member the cut run is, if any."""
    with conn.cursor() as cur:
        cur.execute(BATCH_OF_RUN, {"run_id": run_id})
        row = cur.fetchone()
    return row[0] if row else None


def members(conn, batch_id: str) -> list[Member]:
    with conn.cursor() as cur:
        cur.execute(MEMBERS, {"batch_id": batch_id})
        return [Member(*row) for row in cur.fetchall()]


def quarantine(conn, run_id: str) -> bool:
    """Quarantine the document of this STOPPED member run (its STOP is the
    reason); false when this run's quarantine is recorded already."""
    return bool(call(conn, QUARANTINE_RUN, {"run_id": run_id})[0])


def release(conn, doc_code: str, actor: str) -> int:
    """Release the document's quarantine; how many were released (0 or 1)."""
    return call(conn, RELEASE, {"doc_code": doc_code, "actor": actor})[0]


def quarantined(conn, doc_codes: list[str]) -> dict[str, Quarantine]:
    """The open quarantines of these documents, by document."""
    with conn.cursor() as cur:
        cur.execute(QUARANTINED, {"doc_codes": doc_codes})
        return {row[0]: Quarantine(*row) for row in cur.fetchall()}


def pending(conn, mode: str) -> list[str]:
    """Every registered document whose latest version waits for a cut in ``mode``."""
    with conn.cursor() as cur:
        cur.execute(PENDING, {"mode": mode})
        return [row[0] for row in cur.fetchall()]
