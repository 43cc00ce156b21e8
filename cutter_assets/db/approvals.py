"""Evaluating a sovereign approval doc against the ledger, recording the
decision once (as ``cutter_gatekeeper``, the one role the database lets
record decisions, with the approval text itself), and re-validating it inside
the transaction that writes, where the database consumes it.

Every evaluation leaves an ``approval_attempt`` row, accepted or refused with
its reason; a refusal never records a decision.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg2 import errors

from cutter_assets.core import approvals
from cutter_assets.core.approvals import MAX_DOC_BYTES, ApprovalRefused, Refusal, is_self_approval
from cutter_assets.core.commands import command
from cutter_assets.core.phases import (
    AWAITED,
    GATE,
    GATE_SG0,
    REHEARSED_GATES,
    REQUEST_PHASE,
    Mode,
    Role,
)
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.platform.files import read_regular_file
from cutter_assets.platform.settings import load_settings
from cutter_assets.signing.documents import verify_document

GATEKEEPER = Role.GATEKEEPER
INSERT_ATTEMPT = """
SELECT cutter_governance.fn_approval_attempt_record(%s, %s, %s, %s, %s, %s, %s)
"""
INSERT_DECISION = """
SELECT cutter_governance.fn_decision_record(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)::text
"""
RECORDED_FOR_DOC = """
SELECT d.id::text, d.gate, d.run_id::text, r.doc_code, r.mode
  FROM cutter_governance.review_decision d
  JOIN cutter_governance.orchestrator_run r ON r.run_id = d.run_id
 WHERE d.approval_doc_sha256 = %s AND d.consumed_at IS NULL
"""


@dataclass(frozen=True)
class Decision:
    id: str
    gate: str
    run_id: str
    doc_code: str
    mode: str


@dataclass(frozen=True)
class _Checked:
    header: approvals.ApprovalHeader
    run: ledger.Run
    provider: str
    signer: str
    signature_sha256: str


def kb_relative(kb_root: Path, path: str | Path) -> str:
    """The path inside the KB, refusing symlinks and anything outside it."""
    root = kb_root.absolute()
    candidate = Path(path) if Path(path).is_absolute() else root / path
    absolute = Path(os.path.normpath(candidate.absolute()))
    inside = os.path.commonpath([root, absolute]) == str(root)
    if not inside or os.path.realpath(absolute) != str(absolute) or absolute.is_symlink():
        raise ApprovalRefused(Refusal.OUTSIDE_KB, str(path)[:120])
    return str(absolute.relative_to(root))


def _check(conn, kb_root: Path, relative: str, data: bytes, now: datetime) -> _Checked:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApprovalRefused(Refusal.UNREADABLE, "not UTF-8 text") from None
    if "\x00" in text:
        raise ApprovalRefused(Refusal.UNREADABLE, "a NUL byte")
    document = verify_document(text)
    header = approvals.parse(document.content)
    named_gate = approvals.gate_of_file_name(Path(relative).name)
    if named_gate is not None and named_gate != header.gate:
        raise ApprovalRefused(Refusal.WRONG_GATE, "the file name names the other gate")
    try:
        run = ledger.get_run(conn, header.run_id)
    except CutterStop:
        raise ApprovalRefused(Refusal.UNKNOWN_RUN, header.run_id) from None
    if document.provider == "stub" and run.mode == Mode.LIVE and not _stub_allowed(header.gate):
        raise ApprovalRefused(Refusal.STUB_IN_LIVE)
    if run.kb_folder and Path(relative).parent != Path(run.kb_folder):
        raise ApprovalRefused(Refusal.WRONG_RUN, "the doc is not in the run's KB folder")
    awaited = next((gate for gate, state in AWAITED.items() if state == run.state), None)
    if awaited is None:
        raise ApprovalRefused(Refusal.NOT_AWAITED, f"run is {run.state}")
    request = ledger.phases(conn, run.run_id).get(REQUEST_PHASE[awaited])
    if request is None:
        raise ApprovalRefused(Refusal.NOT_AWAITED, "no request was made")
    approvals.check(  # a doc for the other gate is refused here as WRONG_GATE
        header,
        gate=awaited,
        run_id=run.run_id,
        payload_sha=request.pins["payload_sha"],
        now=now,
    )
    if awaited == GATE_SG0:
        approvals.check_acknowledgment(document.content, request.pins["payload"])
    if is_self_approval(run.actor, header.approver, document.signer_ids):
        raise ApprovalRefused(Refusal.SELF_APPROVAL, run.actor)
    return _Checked(header, run, document.provider, document.signer, document.signature_sha256)


def _stub_allowed(gate: str) -> bool:
    """Whether a live run may take a stub-signed approval for ``gate``: never the
    decision a rehearsal waits for too (the structure review: its stub is the
    rehearsal's), else only where the deployment allows it explicitly."""
    return gate not in REHEARSED_GATES and load_settings().allow_stub_in_live


def evaluate(
    database, kb_root: Path, path: str | Path, *, channel: str, now: datetime | None = None
) -> Decision:
    """Validate and record a decision (unconsumed), or raise ApprovalRefused.

    The attempt row is committed either way.
    """
    now = now or datetime.now(UTC)
    relative, doc_sha, gate, run_id = str(path)[:300], None, None, None
    try:
        relative = kb_relative(kb_root, path)
        data = read_regular_file(relative, MAX_DOC_BYTES, root=kb_root)
        doc_sha = hashlib.sha256(data).hexdigest()
        with database.transaction(GATEKEEPER) as conn:
            checked = _check(conn, kb_root, relative, data, now)
            gate, run_id = checked.header.gate, checked.run.run_id
            with conn.cursor() as cur:
                cur.execute("SAVEPOINT decision")
                try:
                    cur.execute(
                        INSERT_DECISION,
                        (
                            gate,
                            run_id,
                            checked.header.payload_sha,
                            relative,
                            doc_sha,
                            checked.signature_sha256,
                            checked.provider,
                            checked.header.approver,
                            checked.signer if checked.provider == "gpg" else None,
                            checked.header.signed_utc,
                            data.decode("utf-8"),
                        ),
                    )
                except errors.UniqueViolation:
                    cur.execute("ROLLBACK TO SAVEPOINT decision")
                    raise ApprovalRefused(Refusal.REPLAYED) from None
                except ledger.REFUSALS as err:  # the database's own check of the decision
                    cur.execute("ROLLBACK TO SAVEPOINT decision")
                    raise ApprovalRefused(Refusal.NOT_AWAITED, ledger.refused_line(err)) from None
                decision_id = cur.fetchone()[0]
                cur.execute(
                    INSERT_ATTEMPT, (relative, doc_sha, gate, run_id, "accepted", "valid", channel)
                )
        return Decision(decision_id, gate, run_id, checked.run.doc_code, checked.run.mode)
    except (ApprovalRefused, OSError) as err:
        refused = (
            err
            if isinstance(err, ApprovalRefused)
            else ApprovalRefused(Refusal.UNREADABLE, type(err).__name__)
        )
        with database.transaction(GATEKEEPER) as conn, conn.cursor() as cur:
            cur.execute(
                INSERT_ATTEMPT,
                (
                    relative,
                    doc_sha,
                    gate,
                    run_id,
                    "refused",
                    f"{refused.reason.name}: {refused.detail}"[:500],
                    channel,
                ),
            )
        raise refused from None


def recorded_unconsumed(database, doc_sha256: str) -> Decision | None:
    """The decision already recorded for this exact approval doc, if unconsumed."""
    with database.transaction(GATEKEEPER, commit=False) as conn, conn.cursor() as cur:
        cur.execute(RECORDED_FOR_DOC, (doc_sha256,))
        row = cur.fetchone()
    return Decision(*row) if row else None


def revalidated_decision(conn, kb_root: Path, run: ledger.Run, gate: str) -> str:
    """Re-validate the run's newest recorded, unconsumed decision for ``gate``
    against its doc inside the caller's (writing) transaction, where the
    database then consumes it; STOP_APPROVAL_INVALID otherwise. The sensor is
    not the last line of defence."""
    decision = ledger.newest_open_decision(conn, run.run_id, gate)
    if decision is None:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID,
            f"run {run.run_id} awaits {GATE[gate].short}: it has no valid, unconsumed {gate} "
            f"approval (inspect: {command(f'orchestrate inspect --run-id {run.run_id}')})",
        )
    relative = decision.approval_doc_path
    try:
        data = read_regular_file(kb_relative(kb_root, relative), MAX_DOC_BYTES, root=kb_root)
        checked = _check(conn, kb_root, relative, data, datetime.now(UTC))
    except (ApprovalRefused, OSError) as err:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID, f"{gate} approval re-check: {err}"
        ) from None
    if checked.signature_sha256 != decision.signature_sha256:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID, "the approval doc changed after it was recorded"
        )
    return decision.id


CONSUMED_DECISION = """
SELECT id::text, payload_sha, signature_sha256, provider, signer_fingerprint, approval_text
  FROM cutter_governance.review_decision
 WHERE run_id = %s AND gate = %s AND consumed_at IS NOT NULL
"""


def recheck_consumed(conn, run: ledger.Run, gate: str) -> str:
    """The verifier's own check of the approval the write ran under: the
    clearsigned text stored with the decision is verified again (signature,
    allow-listed signer, the same signature bytes), and its header names this
    gate, run and payload. It reads nothing the executor could have swapped
    since: the text is in the ledger, which no lane role can rewrite."""
    with conn.cursor() as cur:
        cur.execute(CONSUMED_DECISION, (run.run_id, gate))
        row = cur.fetchone()
    if row is None:
        raise CutterStop(StopCode.STOP_APPROVAL_INVALID, f"run {run.run_id} wrote without {gate}")
    decision_id, payload_sha, signature_sha, provider, signer, text = row
    try:
        document = verify_document(text or "", stub_allowed=provider == "stub")
        header = approvals.parse(document.content)
    except ApprovalRefused as refused:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID, f"the stored {gate} approval: {refused}"
        ) from None
    found = (header.gate, header.run_id, header.payload_sha, document.signature_sha256)
    if found != (gate, run.run_id, payload_sha, signature_sha) or (
        provider == "gpg" and document.signer != signer
    ):
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID,
            f"the stored {gate} approval does not verify as the decision recorded it",
        )
    return decision_id
