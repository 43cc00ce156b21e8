"""The write stage (after SG_1): leg A writes the draft units through
fn_iu_create (structural_verify is its blocking check), leg B records the
manifest envelope, the verifier re-reads and signs, and SG_2 is requested.

Each mutating asset checks for itself, from the ledger, that every earlier
gate of this cut run passed and that its approval is valid and unconsumed;
a Dagster blocking check only guards steps inside the same Dagster run.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from dagster import MetadataValue

from cutter_assets.assets.factory import phase_asset
from cutter_assets.core import phases as catalogue
from cutter_assets.core.commands import command
from cutter_assets.core.ids import uuid7
from cutter_assets.core.legal import writer_digest
from cutter_assets.core.legal.acceptance import unit_anomalies
from cutter_assets.core.legal.model import ACCEPTED_FIELD
from cutter_assets.core.phases import GATE_SG1, GATE_SG2, Role
from cutter_assets.core.pins import sha256_of, sha256_text
from cutter_assets.core.reports import Invariant
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import approvals, audit, ledger, records
from cutter_assets.db.units import create_units
from cutter_assets.runs.phase import (
    Phase,
    PhaseContext,
    PhaseOutcome,
    request_outcome,
)
from cutter_assets.signing.documents import service_signature, service_signature_problem


def require_green_rehearsal(ctx: PhaseContext, digest: str) -> str:
    """A live cut needs a completed dryrun of the same version and writer digest."""
    rehearsal = records.green_rehearsal(ctx.ledger, ctx.run.source_version_id, digest)
    if rehearsal is None:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            f"no green rehearsal of {ctx.doc_code} for this version and writer "
            f"digest; run `{command(f'orchestrate cut --document-id {ctx.doc_code}')}` "
            "(dryrun) first",
        )
    return rehearsal


def pass_gate(ctx: PhaseContext, gate: str) -> str | None:
    """Past ``gate`` into the next stage, in the mutating transaction. Live:
    the kill switch must be armed for this run and the gate's recorded
    decision is re-validated here against its doc, then the database claims
    the switch and consumes the decision as it moves the run on (and
    re-checks both on every write). A rehearsal passes under no decision.

    Past the structure review (SG_0) nothing is written: no switch is needed,
    and a rehearsal waits for it too and passes it under its decision (which
    may be stub-signed there)."""
    decision = None
    if ctx.live or catalogue.GATE[gate].rehearsal_job:
        decision = approvals.revalidated_decision(ctx.ledger, ctx.kb.root_path(), ctx.run, gate)
    if ctx.live and catalogue.writes_past(gate):
        if not records.execution_allowed(ctx.ledger, ctx.run.run_id):
            raise CutterStop(
                StopCode.STOP_EXECUTION_DISABLED,
                "execution is not enabled; the sovereign arms it for one run "
                f"with `{command(f'killswitch enable --single-run --run-id {ctx.run.run_id}')}`",
            )
    ctx.pass_gate(decision)
    return decision


def approval_metadata(ctx: PhaseContext, decision_id: str | None) -> dict[str, Any]:
    """The approval a gated asset passed under, as its metadata: who approved,
    which key signed and when, the signed doc (its full path and sha256) and
    the decision id, so the UI's asset view is the audit of the gate. A
    rehearsal passes under none and says so."""
    if decision_id is None:
        return {"approval": "none: a rehearsal passes its gates under no approval"}
    record = audit.decision(ctx.ledger, decision_id)
    return {
        "approval/approver": record.approver,
        "approval/signer_fingerprint": record.signer_fingerprint or f"none ({record.provider})",
        "approval/signer_uid": audit.signer_uid(record),
        "approval/signed_at": record.signed_utc.astimezone(UTC).isoformat(),
        "approval/doc": MetadataValue.path(str(ctx.kb.root_path() / record.approval_doc_path)),
        "approval/doc_sha256": record.approval_doc_sha256,
        "approval/decision_id": record.id,
    }


# ---- 6. change_set (leg A) + 7. structural_verify --------------------------------
def _change_set_story(ctx: PhaseContext) -> PhaseOutcome:
    plan = ctx.pins_of("cutplan")
    rows = ledger.load_cutplan(ctx.ledger, ctx.run.run_id)
    accepted = ctx.pins_of("mark")["accepted_anomalies"]
    if writer_digest(rows, accepted) != plan["writer_digest"] or len(rows) != plan["row_count"]:
        raise CutterStop(
            StopCode.STOP_DRIFT, "the persisted cut plan no longer matches its writer digest"
        )
    if ctx.live:
        require_green_rehearsal(ctx, plan["writer_digest"])
    decision_id = pass_gate(ctx, GATE_SG1)
    decision = decision_id or "rehearsal (no approval in dryrun)"
    change_set_id, statuses, invariants = _write_leg_a(ctx, plan["writer_digest"], rows)
    return PhaseOutcome(
        pins={
            "change_set_id": change_set_id,
            "row_count": len(rows),
            "writer_digest": plan["writer_digest"],
            "sg1_decision": decision,
        },
        checks={},
        idempotency_key=change_set_id,
        inputs={
            "writer_digest": plan["writer_digest"],
            "row_count": len(rows),
            "sg1_decision": decision,
        },  # fmt: skip
        work=[
            f"re-checked the persisted plan against writer digest {plan['writer_digest']}",
            "claimed the kill switch and consumed the SG_1 approval"
            if ctx.live
            else "dryrun: no approval, the rehearsal transaction is never committed",
            f"created change set {change_set_id}",
            f"called fn_iu_create for {len(rows)} rows: {statuses}",
        ],
        snapshot_diff=[("draft units in change set", 0, len(rows))],
        metadata=approval_metadata(ctx, decision_id),
        production_mutation=f"{len(rows)} draft units" if ctx.live else "NONE (dryrun)",
        also=[("structural_verify", _structural_verify(change_set_id, len(rows), invariants))],
    )


def _write_leg_a(ctx: PhaseContext, digest: str, rows: list[dict]):
    """The change set and its draft units, all or nothing (G-CUT-ONCE): any unit
    not created or any structural invariant false rolls leg A back."""
    change_set_id = str(uuid7())
    with ctx.conn.cursor() as cur:
        records.open_change_set(
            cur,
            change_set_id=change_set_id,
            run_id=ctx.run.run_id,
            idempotency_key=sha256_text(f"{ctx.run.run_id}|{digest}"),
            writer_digest=digest,
            expected=len(rows),
        )
        statuses = dict(create_units(cur, change_set_id, rows))
    invariants = structural_invariants(ctx.conn, change_set_id, rows)
    failed = [i for i in invariants if not i.ok]
    if statuses.get("created", 0) != len(rows) or failed:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            "leg A rolled back: "
            f"created {statuses}; "
            + "; ".join(f"{i.name}: expected {i.expected}, observed {i.observed}" for i in failed),
        )
    return change_set_id, statuses, invariants


def _structural_verify(change_set_id: str, expected: int, invariants) -> PhaseOutcome:
    """Phase 7, recorded within leg A: the structural invariants as evidence."""
    return PhaseOutcome(
        pins={
            "change_set_id": change_set_id,
            "probe_sha": sha256_of([(i.name, str(i.observed)) for i in invariants]),
        },
        checks={"structural_verify": invariants},
        idempotency_key=sha256_text(f"{change_set_id}|structural"),
        inputs={"change_set_id": change_set_id, "expected_rows": expected},
        work=[
            "re-read the written units in the writing transaction",
            "checked status, section types, foreign ids, anchoring, body hashes, count",
        ],
    )


CHANGE_SET = Phase("change_set", _change_set_story)


def structural_invariants(conn, change_set_id: str, rows: list[dict]) -> list[Invariant]:
    """The seven structural invariants of phase 7, read back from PostgreSQL."""
    counts, section_types = records.structural_probe(conn, change_set_id)
    units, drafts, foreign, unanchored, mismatched, affected = counts
    planned = dict(Counter(r["section_type"] for r in rows))
    differing = anomalies_unlike_plan(records.stored_anomalies(conn, change_set_id), rows)
    return [
        Invariant("all units draft", units, drafts),
        Invariant(
            "section_type cardinality", sorted(planned.items()), sorted(section_types.items())
        ),
        Invariant("foreign id intrusion", 0, foreign),
        Invariant("anchored exact (parents in the change set)", 0, unanchored),
        Invariant("body hash match", 0, mismatched),
        Invariant(
            "count = expected (units, affected rows)", (len(rows), len(rows)), (units, affected)
        ),
        Invariant("accepted anomalies as planned (units differing)", 0, len(differing)),
    ]


def anomalies_unlike_plan(stored: dict[str, list], rows: list[dict]) -> list[str]:
    """The planned units whose stored accepted anomalies are not their plan
    row's (a row naming none plans []), by address."""
    planned = {r["canonical_address"]: r.get(ACCEPTED_FIELD) or [] for r in rows}
    return sorted(a for a, entries in planned.items() if a in stored and stored[a] != entries)


# ---- 8. manifest_envelope (leg B) --------------------------------------------------
def _manifest_envelope_story(ctx: PhaseContext) -> PhaseOutcome:
    leg_a = ctx.pins_of("change_set")
    payload = {
        "change_set_id": leg_a["change_set_id"],
        "row_count": leg_a["row_count"],
        "writer_digest": leg_a["writer_digest"],
        "run_id": ctx.run.run_id,
    }
    signed = _sign_and_record(
        ctx,
        payload,
        "executor",
        records.record_envelope,
        change_set_id=leg_a["change_set_id"],
        row_count=leg_a["row_count"],
    )
    return PhaseOutcome(
        pins={
            "manifest_envelope_id": signed.record_id,
            "executor_signature_id": signed.signature_id,
            "payload_sha": signed.payload_sha,
        },
        checks={
            "envelope_recorded_once": [
                Invariant("envelopes for the change set", 1, signed.recorded)
            ]
        },
        idempotency_key=signed.record_id,
        inputs=payload,
        work=[
            "signed the envelope payload as executor",
            f"recorded manifest envelope {signed.record_id}",
        ],
        production_mutation="1 manifest envelope, 1 signature" if ctx.live else "NONE",
    )


MANIFEST_ENVELOPE = Phase("manifest_envelope", _manifest_envelope_story)


@dataclass(frozen=True)
class SignedRecord:
    record_id: str
    signature_id: str
    payload_sha: str
    recorded: int  # such records of the change set now (1: recorded once)


def _sign_and_record(
    ctx: PhaseContext, payload: dict, principal: str, record: Callable[..., int], **fields
) -> SignedRecord:
    """Sign the payload's sha256 with ``principal``'s service key and record the
    signed row (an envelope, a verify result) once, in the phase's transaction."""
    payload_sha = sha256_of(payload)
    record_id = str(uuid7())
    with ctx.conn.cursor() as cur:
        provider, signature, signature_sha = service_signature(payload_sha, principal)
        signature_id = records.record_signature(
            cur, provider, principal, payload_sha, signature, signature_sha
        )
        recorded = record(
            cur, id=record_id, signature_id=signature_id, payload_sha=payload_sha, **fields
        )
    return SignedRecord(record_id, signature_id, payload_sha, recorded)


def require_service_signature(conn, signature_id: str, principal: str, payload_sha: str) -> None:
    """The recorded signature is ``principal``'s service key over exactly
    ``payload_sha``; anything else stops the run."""
    row = records.signature(conn, signature_id)
    if row is None:
        problem = "no such signature"
    elif row[0] != principal:
        problem = f"recorded as {row[0]}'s"
    elif row[1] != payload_sha:
        problem = "recorded over another payload"
    else:
        problem = service_signature_problem(row[2], payload_sha, principal)
    if problem:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED, f"{principal} signature {signature_id}: {problem}"
        )


# ---- 9. verify_result --------------------------------------------------------------
def _verify_result_story(ctx: PhaseContext) -> PhaseOutcome:
    leg_a, leg_b = ctx.pins_of("change_set"), ctx.pins_of("manifest_envelope")
    require_service_signature(
        ctx.conn, leg_b["executor_signature_id"], "executor", leg_b["payload_sha"]
    )
    approval = "none (rehearsal)"
    if ctx.live:
        approval = approvals.recheck_consumed(ctx.conn, ctx.run, GATE_SG1)
    plan = ledger.load_cutplan(ctx.conn, ctx.run.run_id)
    verifier = records.current_role(ctx.conn)
    units = records.units_of_change_set(ctx.conn, leg_a["change_set_id"])
    observed = independent_verification(units, plan, leg_a, ctx.pins_of("mark"))
    if not all(observed.values()):
        raise CutterStop(StopCode.STOP_INVARIANT_FAILED, f"verification failed: {observed}")
    signed = _record_pass(ctx, leg_a["change_set_id"], observed)
    return PhaseOutcome(
        pins={
            "verify_result_id": signed.record_id,
            "verifier_signature_id": signed.signature_id,
            "verdict": "pass",
            "payload_sha": signed.payload_sha,
            "verifier_role": verifier,
        },
        checks={
            "verified_once": [
                Invariant("verify results for the change set", 1, signed.recorded),
                Invariant("verifier role", Role.VERIFY, verifier),
            ]
        },
        idempotency_key=signed.record_id,
        inputs={"change_set_id": leg_a["change_set_id"]},
        work=[
            "checked the executor's gpg signature on the manifest envelope",
            f"verified again the stored SG_1 approval the write ran under: {approval}",
            f"as {verifier}: re-read {len(units)} units and their bodies",
            *(f"{k}: {v}" for k, v in observed.items()),
            f"signed (gpg, verifier service key) and recorded verify result {signed.record_id}",
        ],
        production_mutation="1 verify result, 1 signature" if ctx.live else "NONE",
    )


def _record_pass(ctx: PhaseContext, change_set_id: str, observed: dict) -> SignedRecord:
    """The verifier's signed 'pass' over what it observed, recorded once
    (G-VERIFY-ONCE)."""
    return _sign_and_record(
        ctx,
        {"change_set_id": change_set_id, **observed},
        "verifier",
        records.record_verify_result,
        change_set_id=change_set_id,
        verdict="pass",
        observed=observed,
    )


VERIFY_RESULT = Phase("verify_result", _verify_result_story)


def independent_verification(
    units: list[dict], plan: list[dict], leg_a: dict, marked: dict
) -> dict:
    """Recompute from the stored rows, in Python, what the writer claimed.

    ``units`` are the rows of ``UNITS_OF_CHANGE_SET`` as dicts: every column
    the writer digest covers is read back, each unit's accepted anomalies too,
    so the recomputed digest (with the anomalies mark cut as found, ``marked``'s)
    equals leg A's writer digest only if every unit was written exactly as
    planned. Each unit's anomalies are also those mark accepted on it (none on
    a unit none affects), under the SG_0 decision mark passed."""
    digest, accepted = leg_a["writer_digest"], marked["accepted_anomalies"]
    import hashlib

    by_address = {row["canonical_address"]: row for row in plan}
    on_unit, decision = unit_anomalies(accepted), marked.get("sg0_decision")
    return {
        "count_matches_plan": len(units) == len(plan),
        "all_draft": all(u["lifecycle_status"] == "draft" for u in units),
        "bodies_hash_to_content_hash": all(
            hashlib.sha256(u["body"].encode("utf-8")).hexdigest() == u["content_hash"]
            for u in units
        ),
        "addresses_match_plan": {u["canonical_address"] for u in units} == set(by_address),
        "writer_digest_recomputed": writer_digest(units, accepted) == digest,
        "anomalies_are_the_accepted_ones": all(
            u[ACCEPTED_FIELD] == on_unit.get(u["canonical_address"], []) for u in units
        ),
        "anomalies_under_the_sg0_decision": all(
            u["structure_decision_id"] == (decision if u[ACCEPTED_FIELD] else None) for u in units
        ),
    }


# ---- SG_2 request --------------------------------------------------------------------
def _lifecycle_authorization_request_story(ctx: PhaseContext) -> PhaseOutcome:
    leg_a, leg_b = ctx.pins_of("change_set"), ctx.pins_of("manifest_envelope")
    verified = ctx.pins_of("verify_result")
    payload = {
        "gate": GATE_SG2,
        "run_id": ctx.run.run_id,
        "doc_code": ctx.doc_code,
        "mode": ctx.run.mode,
        "change_set_id": leg_a["change_set_id"],
        "row_count": leg_a["row_count"],
        "writer_digest": leg_a["writer_digest"],
        "manifest_envelope_id": leg_b["manifest_envelope_id"],
        "verify_result_id": verified["verify_result_id"],
        "sg1_payload_sha": ctx.pins_of("cut_authorization_request")["payload_sha"],
    }
    return request_outcome(ctx, GATE_SG2, payload)


LIFECYCLE_AUTHORIZATION_REQUEST = Phase(
    "lifecycle_authorization_request", _lifecycle_authorization_request_story
)


WRITE_PHASES = [CHANGE_SET, MANIFEST_ENVELOPE, VERIFY_RESULT, LIFECYCLE_AUTHORIZATION_REQUEST]
WRITE_ASSETS = [phase_asset(phase) for phase in WRITE_PHASES]
change_set, manifest_envelope, verify_result, lifecycle_authorization_request = WRITE_ASSETS
LEG_B_ASSETS = WRITE_ASSETS[1:]
