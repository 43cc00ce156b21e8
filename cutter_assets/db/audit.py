"""Reading one cut run's whole record for an audit: the run, its phases, the
sovereign's decisions and every approval attempt, and the service signatures
on its manifest envelope and verify result, in one read-only snapshot taken
as a lane role that reads the ledger.

The gated assets show the decision they passed under as their metadata
(``decision``, ``signer_uid``); ``cutter audit`` reads everything at once
(``read_run_record``). Nothing here writes: the transaction is READ ONLY, so
the database refuses any write as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cutter_assets.core.phases import Role
from cutter_assets.db import ledger
from cutter_assets.db.export import READ_ONLY_SNAPSHOT
from cutter_assets.signing.gpg import open_gpg

# The verifier's lane reads the whole ledger and writes only its own records,
# which a READ ONLY transaction refuses too.
AUDIT_ROLE = Role.VERIFY

_DECISION_COLUMNS = """
SELECT id::text, gate, payload_sha, approval_doc_path, approval_doc_sha256, signature_sha256,
       provider, approver, signer_fingerprint, signed_utc, recorded_at, consumed_at, consumed_by,
       approval_text
  FROM cutter_governance.review_decision
"""
DECISION_BY_ID = _DECISION_COLUMNS + " WHERE id = %(decision_id)s"
DECISIONS_OF_RUN = _DECISION_COLUMNS + " WHERE run_id = %(run_id)s ORDER BY recorded_at, id"

# An attempt refused before its doc named a run it awaits has no run_id: the
# docs placed in the run's KB folder are its attempts too.
ATTEMPTS_OF_RUN = """
SELECT evaluated_at, doc_path, doc_sha256, gate, outcome, reason, channel
  FROM cutter_governance.approval_attempt
 WHERE run_id = %(run_id)s
    OR (%(kb_folder)s::text IS NOT NULL AND starts_with(doc_path, %(kb_folder)s || '/'))
 ORDER BY id
"""

# The executor's signature on the manifest envelope and the verifier's on the
# verify result: the record's own payload sha beside the signature's.
SERVICE_SIGNATURES_OF_RUN = """
SELECT r.kind, r.id::text, r.principal, r.payload_sha, s.id::text, s.principal,
       s.payload_sha, s.provider, s.signature, s.signature_sha256, s.created_by, s.created_at
  FROM cutter_governance.cut_change_set c
  JOIN (SELECT 'manifest_envelope' AS kind, id, 'executor' AS principal, payload_sha,
               executor_signature_id AS signature_id, change_set_id
          FROM cutter_governance.manifest_envelope
        UNION ALL
        SELECT 'verify_result', id, 'verifier', payload_sha, verifier_signature_id, change_set_id
          FROM cutter_governance.verify_result) r ON r.change_set_id = c.change_set_id
  JOIN cutter_governance.signature s ON s.id = r.signature_id
 WHERE c.run_id = %(run_id)s
 ORDER BY r.kind
"""

VOID_OF_RUN = """
SELECT voided_at, void_reason_kb FROM cutter_governance.orchestrator_run WHERE run_id = %(run_id)s
"""


@dataclass(frozen=True)
class DecisionRecord:
    """A sovereign decision as the ledger holds it, with the clearsigned text."""

    id: str
    gate: str
    payload_sha: str
    approval_doc_path: str  # relative to the KB root
    approval_doc_sha256: str
    signature_sha256: str
    provider: str
    approver: str
    signer_fingerprint: str | None  # gpg only
    signed_utc: datetime
    recorded_at: datetime
    consumed_at: datetime | None
    consumed_by: str | None
    approval_text: str | None


@dataclass(frozen=True)
class AttemptRecord:
    evaluated_at: datetime
    doc_path: str
    doc_sha256: str | None
    gate: str | None
    outcome: str
    reason: str
    channel: str


@dataclass(frozen=True)
class ServiceSignatureRecord:
    """A ledger record signed by a service key and the signature it names."""

    record: str  # manifest_envelope | verify_result
    record_id: str
    expected_principal: str
    record_payload_sha: str
    signature_id: str
    principal: str
    signature_payload_sha: str
    provider: str
    signature: str
    signature_sha256: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """Everything the ledger holds about one cut run, read in one snapshot."""

    run: ledger.Run
    phases: dict[str, ledger.PhaseRecord]
    decisions: list[DecisionRecord]
    attempts: list[AttemptRecord]
    service_signatures: list[ServiceSignatureRecord]
    voided_at: datetime | None
    void_reason_kb: str | None


def read_run_record(conn, run_id: str) -> RunRecord:
    """The run's record in one REPEATABLE READ, READ ONLY transaction (the
    first statement on ``conn``); STOP_RUN_UNKNOWN for a run the ledger lacks."""
    with conn.cursor() as cur:
        cur.execute(READ_ONLY_SNAPSHOT)
    run = ledger.get_run(conn, run_id)
    params = {"run_id": run.run_id, "kb_folder": run.kb_folder}
    with conn.cursor() as cur:
        cur.execute(DECISIONS_OF_RUN, params)
        decisions = [DecisionRecord(*row) for row in cur.fetchall()]
        cur.execute(ATTEMPTS_OF_RUN, params)
        attempts = [AttemptRecord(*row) for row in cur.fetchall()]
        cur.execute(SERVICE_SIGNATURES_OF_RUN, params)
        signatures = [ServiceSignatureRecord(*row) for row in cur.fetchall()]
        cur.execute(VOID_OF_RUN, params)
        voided_at, void_reason_kb = cur.fetchone()
    return RunRecord(
        run=run,
        phases=ledger.phases(conn, run.run_id),
        decisions=decisions,
        attempts=attempts,
        service_signatures=signatures,
        voided_at=voided_at,
        void_reason_kb=void_reason_kb,
    )


def decision(conn, decision_id: str) -> DecisionRecord:
    """One recorded decision (the one a gated phase just consumed)."""
    with conn.cursor() as cur:
        cur.execute(DECISION_BY_ID, {"decision_id": decision_id})
        return DecisionRecord(*cur.fetchone())


def signer_uid(record: DecisionRecord, gpg=None) -> str:
    """The user id of the key that signed the decision, as the keyring names it
    (a stub signature has no key; its principal is in the signed text)."""
    fingerprint = (record.signer_fingerprint or "").upper()
    if record.provider != "gpg" or not fingerprint:
        return f"none ({record.provider} signature, no key)"
    gpg = gpg or open_gpg()
    uids = [
        uid
        for key in gpg.list_keys(keys=[fingerprint])
        if key["fingerprint"].upper() == fingerprint
        for uid in key.get("uids", [])
    ]
    return uids[0] if uids else "unknown (the key is not in this keyring)"
