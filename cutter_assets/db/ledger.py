"""The cut-run ledger: orchestrator_run, phase_record and the persisted cut plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import errors
from psycopg2.extras import Json

from cutter_assets.core.commands import command
from cutter_assets.core.legal.model import ACCEPTED_FIELD, PLAN_COLUMNS
from cutter_assets.core.phases import Mode
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries

# A persisted plan row: the unit's columns, its key and the anomalies it was cut as found with.
CUTPLAN_COLUMNS = (*PLAN_COLUMNS, ACCEPTED_FIELD)


# What the ledger functions raise when the state machine refuses a move.
REFUSALS = (errors.CheckViolation, errors.InsufficientPrivilege, errors.RaiseException)


def refused_line(err) -> str:
    """The database's reason, one line, without its CONTEXT."""
    return (str(getattr(err, "pgerror", None) or err).strip().splitlines() or ["refused"])[0]


def call(conn, query: str, params: dict, *, code: StopCode = StopCode.STOP_STATE):
    """Run one ledger function in a savepoint: a refusal by the state machine
    is a STOP with the database's reason; any error (a UNIQUE key refusing a
    second record, too) leaves the transaction usable."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT ledger_call")
        try:
            cur.execute(query, params)
        except psycopg2.Error as err:
            cur.execute("ROLLBACK TO SAVEPOINT ledger_call")
            if isinstance(err, REFUSALS):
                raise CutterStop(code, refused_line(err).removeprefix("ERROR:  ")) from None
            raise
        row = cur.fetchone() if cur.description else None
        cur.execute("RELEASE SAVEPOINT ledger_call")
    return row


@dataclass(frozen=True)
class Run:
    run_id: str
    doc_code: str
    source_document_id: str
    source_version_id: str
    mode: str
    scope: str
    actor: str
    state: str
    stop_code: str | None
    stop_detail: str | None
    kb_folder: str | None
    pins: dict
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PhaseRecord:
    phase: str
    outcome: str
    pins: dict
    idempotency_key: str | None
    kb_doc_path: str | None
    kb_doc_sha256: str | None
    dagster_run_id: str | None
    recorded_at: datetime


def open_run(conn, **run: str) -> None:
    """Insert the run in SURVEYING (run_id, document_id, version_id, doc_code,
    mode, scope, actor); the partial UNIQUE index makes a second open run of the
    same document version a STOP_REPLAY_CONFLICT (also under races)."""
    try:
        call(conn, queries.INSERT_RUN, run)
    except errors.UniqueViolation:
        raise CutterStop(StopCode.STOP_REPLAY_CONFLICT, _why_not_again(conn, run)) from None


def _why_not_again(conn, run: dict[str, str]) -> str:
    """What holds this version: a live cut that completed, or a run still open."""
    doc_code = run["doc_code"]
    blocking = _blocking_runs(conn, doc_code)
    done = [run_id for run_id, state in blocking if state == "COMPLETED"]
    if done:
        return (
            f"{doc_code} is already cut and enacted (run {done[0]}); to cut a new version, "
            f"register it first (doc add --code {doc_code} FILE)"
        )
    shown = ", ".join(f"{run_id} ({state})" for run_id, state in blocking) or "(just started)"
    return (
        f"{doc_code} already has an open cut run {shown} for this version; "
        "inspect it, resume it, or void it first"
    )


def get_run(conn, run_id: str, *, lock: bool = False) -> Run:
    """The run; ``lock`` holds its row until the transaction ends (phases and
    void take it, so they never interleave on one run)."""
    query = queries.RUN_BY_ID_LOCKED if lock else queries.RUN_BY_ID
    return Run(*row_by_id(conn, query, "run_id", run_id, "cut run"))


def row_by_id(conn, query: str, key: str, value: str, noun: str) -> tuple:
    """The one row ``query`` finds for the UUID ``value`` (its parameter ``key``);
    STOP_RUN_UNKNOWN when the id is no UUID or names no ``noun``."""
    with conn.cursor() as cur:
        try:
            cur.execute(query, {key: value})
        except (errors.InvalidTextRepresentation, errors.DataException):
            conn.rollback()
            raise CutterStop(
                StopCode.STOP_RUN_UNKNOWN, f"a {noun.split()[-1]} id is a UUID"
            ) from None
        row = cur.fetchone()
    if row is None:
        raise CutterStop(StopCode.STOP_RUN_UNKNOWN, f"no {noun} {value}")
    return row


def open_runs(conn, doc_code: str) -> list[str]:
    """The runs that keep ``doc_code``'s version from being cut again, newest first."""
    return [run_id for run_id, _ in _blocking_runs(conn, doc_code)]


def _blocking_runs(conn, doc_code: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(queries.OPEN_RUNS_FOR_DOCUMENT, {"doc_code": doc_code})
        return [(run_id, state) for run_id, state in cur.fetchall()]


def completed_live_run(conn, doc_code: str) -> str | None:
    """The newest live run of ``doc_code`` that completed, if any."""
    with conn.cursor() as cur:
        cur.execute(queries.COMPLETED_LIVE_RUN, {"doc_code": doc_code})
        row = cur.fetchone()
    return row[0] if row else None


def run_of_dagster_run(conn, dagster_run_id: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute(queries.RUN_OF_DAGSTER_RUN, {"dagster_run_id": dagster_run_id})
        row = cur.fetchone()
    return row[0] if row else None


def set_kb_folder(conn, run_id: str, kb_folder: str) -> None:
    call(conn, queries.SET_RUN_FOLDER, {"run_id": run_id, "kb_folder": kb_folder})


def move_state(conn, run_id: str, from_state: str, to_state: str) -> None:
    """A move without a decision; the database refuses one the transition
    table does not hold, or one whose phases or records are missing."""
    call(
        conn,
        queries.MOVE_RUN_STATE,
        {"run_id": run_id, "from_state": from_state, "to_state": to_state},
    )


def pass_gate(conn, run_id: str, gate: str, decision_id: str | None, consumer: str) -> None:
    """Past ``gate`` into the next stage's state; live, the database claims the
    switch and consumes the decision in this transaction."""
    params = {"run_id": run_id, "gate": gate, "decision_id": decision_id, "consumer": consumer}
    call(conn, queries.PASS_GATE, params, code=StopCode.STOP_APPROVAL_INVALID)


def stop_run(conn, run_id: str, code: str, detail: str) -> bool:
    row = call(conn, queries.STOP_RUN, {"run_id": run_id, "code": code, "detail": detail[:2000]})
    return bool(row[0])


def record_phase(conn, **record: Any) -> None:
    """One record per (run, phase) (run_id, phase, outcome, pins,
    idempotency_key, kb_doc_path, kb_doc_sha256, dagster_run_id): a phase that
    already ran is never redone, and the database records it only in its state,
    after every earlier phase passed, from the role that owns it."""
    try:
        call(conn, queries.INSERT_PHASE, {**record, "pins": Json(record["pins"])})
    except errors.UniqueViolation:
        already = f"phase {record['phase']} already ran for run {record['run_id']}"
        raise CutterStop(StopCode.STOP_STATE, already) from None


def phases(conn, run_id: str) -> dict[str, PhaseRecord]:
    with conn.cursor() as cur:
        cur.execute(queries.PHASES_OF_RUN, {"run_id": run_id})
        return {row[0]: PhaseRecord(*row) for row in cur.fetchall()}


def save_cutplan(conn, run_id: str, rows: list[dict[str, Any]]) -> None:
    plan = [{c: row[c] for c in CUTPLAN_COLUMNS} for row in rows]
    call(conn, queries.INSERT_CUTPLAN_ROWS, {"run_id": run_id, "rows": Json(plan)})


def load_cutplan(conn, run_id: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(queries.CUTPLAN_ROWS, {"run_id": run_id})
        return [dict(zip(CUTPLAN_COLUMNS, row, strict=True)) for row in cur.fetchall()]


def between_legs(conn, run_id: str, stop: CutterStop) -> CutterStop:
    """A live stop after leg A committed and before leg B is recorded is
    STOP_BETWEEN_LEG_A_AND_LEG_B: resume completes leg B, never repeats A."""
    run = get_run(conn, run_id)
    done = phases(conn, run_id)
    leg_a = done.get("change_set")
    if (
        run.mode == Mode.LIVE
        and leg_a is not None
        and leg_a.outcome == "passed"
        and "manifest_envelope" not in done
    ):
        return CutterStop(
            StopCode.STOP_BETWEEN_LEG_A_AND_LEG_B,
            f"change set {leg_a.pins.get('change_set_id')} is written, leg B is "
            f"not ({stop.code.name}: {stop.detail}); "
            f"run `{command(f'orchestrate resume --run-id {run_id}')}`",
        )
    return stop


@dataclass(frozen=True)
class RecordedDecision:
    id: str
    approval_doc_path: str
    approval_doc_sha256: str
    signature_sha256: str
    signed_utc: datetime
    recorded_at: datetime


def newest_open_decision(conn, run_id: str, gate: str) -> RecordedDecision | None:
    """The decision a write or enactment past ``gate`` would use: the newest
    recorded, unconsumed one."""
    with conn.cursor() as cur:
        cur.execute(queries.NEWEST_OPEN_DECISION, {"run_id": run_id, "gate": gate})
        row = cur.fetchone()
    return RecordedDecision(*row) if row else None


def reopen_for_leg_b(conn, run_id: str) -> None:
    """STOPPED between leg A and leg B -> WRITING, so leg B can complete."""
    call(conn, queries.REOPEN_FOR_LEG_B, {"run_id": run_id})


def affected_rows(conn, run_id: str) -> list[tuple[str, str, str]]:
    with conn.cursor() as cur:
        cur.execute(queries.AFFECTED_ROWS_OF_RUN, {"run_id": run_id})
        return cur.fetchall()


def void_run(conn, run_id: str, reason_kb: str) -> int:
    """Void the run's drafts and mark the run VOIDED (fn_run_void does both)."""
    return call(conn, queries.VOID_RUN, {"run_id": run_id, "reason": reason_kb})[0]
