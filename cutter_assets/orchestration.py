"""What the ``cutter orchestrate`` commands do, behind the CLI: start a cut
run and launch its survey through Dagster on the project's instance, and
describe a run for people (state, phases, pins, what is awaited, next step)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import DagsterInstance

from cutter_assets.core.approvals import ApprovalRefused
from cutter_assets.core.phases import GATE_SG1, GATE_SG2, PHASES, RunState
from cutter_assets.core.reports import render_void_doc
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.cutruns import start_cut_run
from cutter_assets.db import approvals, ledger, survey
from cutter_assets.db.approvals import kb_relative
from cutter_assets.db.connection import connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.jobs import JOB_AFTER_GATE
from cutter_assets.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.resources import RESOURCES
from cutter_assets.settings import load_settings

# Dagster's console logger repeats every event; the CLI prints its own summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class CutResult:
    run_id: str
    state: str
    kb_folder: str
    dagster_run_id: str
    stop: CutterStop | None


def project_instance() -> DagsterInstance:
    """The Dagster instance of this project (Postgres storage on our server)."""
    os.environ.update(DatabaseServer(load_settings()).dagster_env())  # starts what is needed
    return DagsterInstance.get()


def launch_cut(doc_code: str, *, mode: str, actor: str, scope: str) -> CutResult:
    """Open the cut run (refusing a replay), then run it through Dagster in
    process on the project's instance, so it shows in the UI with its lineage:
    a dryrun is the whole rehearsal, a live cut is the survey up to SG_1."""
    database, kb, vault = RESOURCES["database"], RESOURCES["kb"], RESOURCES["vault"]
    with database.transaction() as conn:
        survey.find_document(conn, doc_code)  # STOP_DOCUMENT_UNKNOWN before anything else
        vault.require_recipient()  # a missing backup key stops before anything is written
        started = start_cut_run(conn, kb, doc_code, mode=mode, actor=actor, scope=scope)
    return execute_stage("rehearsal" if mode == "dryrun" else "survey", started.run_id)


def execute_stage(job_name: str, run_id: str) -> CutResult:
    """Run one stage of a cut run in process on the project's instance."""
    from cutter_assets.definitions import defs

    database = RESOURCES["database"]
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, run_id)
    instance = project_instance()
    if not instance.has_dynamic_partition(documents.name, run.doc_code):
        instance.add_dynamic_partitions(documents.name, [run.doc_code])
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        partition_key=run.doc_code,
        tags={RUN_ID_TAG: run_id, MODE_TAG: run.mode},
        run_config=QUIET,
        raise_on_error=False,
    )
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, run_id)
    stop = None
    if run.state == RunState.STOPPED:
        stop = CutterStop(StopCode[run.stop_code], run.stop_detail or "")
    elif not result.success:
        failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
        data = failure.step_failure_data.user_failure_data if failure else None
        stop = (
            CutterStop(
                StopCode[data.metadata["stop_code"].value], data.description.split(": ", 1)[-1]
            )
            if data is not None and "stop_code" in data.metadata
            else CutterStop(StopCode.STOP_INVARIANT_FAILED, "the Dagster run failed; see UI")
        )
    return CutResult(run_id, run.state, run.kb_folder or "-", result.run_id, stop)


def resume(run_id: str, approval: str | None) -> CutResult:
    """Continue a cut run by hand (the same validation as the approval sensor)."""
    database, kb = RESOURCES["database"], RESOURCES["kb"]
    if approval is not None:
        try:
            approvals.evaluate(database, kb.root_path(), approval, channel="cli")
        except ApprovalRefused as refused:
            raise CutterStop(StopCode.STOP_APPROVAL_INVALID, str(refused)) from None
    with database.transaction() as conn:
        run = ledger.get_run(conn, run_id)
        if run.state == RunState.STOPPED and run.stop_code == "STOP_BETWEEN_LEG_A_AND_LEG_B":
            ledger.reopen_for_leg_b(conn, run_id)
            job = "complete_leg_b"
        elif run.state in (
            RunState.AWAITING_CUT_AUTHORIZATION,
            RunState.AWAITING_LIFECYCLE_AUTHORIZATION,
        ):
            gate = GATE_SG1 if run.state == RunState.AWAITING_CUT_AUTHORIZATION else GATE_SG2
            if run.mode == "live" and not ledger.open_decision(conn, run_id, gate):
                raise CutterStop(
                    StopCode.STOP_APPROVAL_INVALID,
                    f"run {run_id} awaits {gate} "
                    "and has no valid, unconsumed approval; pass --approval-kb-id",
                )
            job = JOB_AFTER_GATE[gate]
        else:
            raise CutterStop(
                StopCode.STOP_STATE,
                f"run {run_id} is {run.state}"
                + (f" ({run.stop_code})" if run.stop_code else "")
                + "; nothing to resume",
            )
    return execute_stage(job, run_id)


def void(run_id: str, reason_kb_id: str) -> str:
    """Forward-only compensation: drafts become voided (kept, logged), the run
    is VOIDED, the plan of what was affected goes to the KB; nothing is deleted."""
    database, kb = RESOURCES["database"], RESOURCES["kb"]
    try:
        reason = kb_relative(kb.root_path(), reason_kb_id)
    except ApprovalRefused:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, "the reason doc must lie inside the KB"
        ) from None
    if not (kb.root_path() / reason).is_file():
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"no reason doc at {reason}")
    with database.transaction() as conn:
        run = ledger.get_run(conn, run_id, lock=True)  # waits for a phase of this run
        if run.state == RunState.VOIDED:
            raise CutterStop(StopCode.STOP_STATE, f"run {run_id} is already voided")
        if run.state in (RunState.ENACTING, RunState.COMPLETED):
            raise CutterStop(
                StopCode.STOP_STATE,
                f"run {run_id} is {run.state}: its units are being or have been enacted, "
                "and enacted units are never voided (compensate with a new document version)",
            )
        affected = ledger.affected_rows(conn, run_id)
        if any(status == "enacted" for _, _, status in affected):
            raise CutterStop(
                StopCode.STOP_STATE,
                "enacted units are never voided; this run's "
                "units are law now (compensate with a new document version)",
            )
        voided = ledger.void_run(conn, run_id, reason)
        text = render_void_doc(run, affected, voided, reason)
        doc = kb.write_once(
            f"{run.kb_folder}/VOID-compensation-plan-{datetime.now(UTC):%Y%m%d-%H%M%S}.md", text
        )
    return doc.path


def describe_run(run_id: str) -> str:
    """The inspect view: state, phases with outcome and KB doc, key pins, what
    is awaited and the exact next command."""
    with connection(DatabaseServer(load_settings()).target_url()) as conn:
        run = ledger.get_run(conn, run_id)
        records = ledger.phases(conn, run_id)
    lines = [
        f"cut run   {run.run_id}",
        f"document  {run.doc_code} (version {run.source_version_id})",
        f"mode      {run.mode}   scope {run.scope}   actor {run.actor}",
        f"state     {run.state}"
        + (f"  {run.stop_code}: {run.stop_detail}" if run.stop_code else ""),
        f"kb folder {run.kb_folder}",
        "phases:",
    ]
    for phase in PHASES:
        record = records.get(phase.key)
        mark = "-" if record is None else ("PASS" if record.outcome == "passed" else "FAIL")
        doc = f"  {record.kb_doc_path}" if record and record.kb_doc_path else ""
        lines.append(f"  {mark:<4} {phase.key:<34}{doc}")
    pins = _key_pins(records)
    if pins:
        lines.append("pins:")
        lines += [f"  {k}: {v}" for k, v in pins.items()]
    awaited, next_step = next_action(run)
    lines += [f"awaiting  {awaited}", f"next      {next_step}"]
    return "\n".join(lines)


def _key_pins(records: dict[str, ledger.PhaseRecord]) -> dict[str, str]:
    wanted = {
        "source_pin": ("text_sha256", "manifest_digest"),
        "mark": ("unit_count",),
        "cutplan": ("writer_digest", "row_count"),
        "backup": ("backup_sha256",),
        "grant_probe": ("grant_matrix_sha",),
        "cut_authorization_request": ("payload_sha",),
    }
    found = {}
    for phase_key, names in wanted.items():
        if phase_key in records:
            for name in names:
                if name in records[phase_key].pins:
                    found[name] = str(records[phase_key].pins[name])
    return found


def next_action(run: ledger.Run) -> tuple[str, str]:
    rid = run.run_id
    if run.state == RunState.AWAITING_CUT_AUTHORIZATION:
        return (
            "SG_1 cut authorization from the sovereign",
            f"cutter approve draft --run-id {rid} --gate SG_1  (sign it into the KB folder; "
            f"the approval sensor continues, or: cutter orchestrate resume --run-id {rid} "
            f"--approval-kb-id <path>)",
        )
    if run.state == RunState.AWAITING_LIFECYCLE_AUTHORIZATION:
        return (
            "SG_2 lifecycle authorization from the sovereign",
            f"cutter approve draft --run-id {rid} --gate SG_2",
        )
    if run.state == RunState.STOPPED:
        return (
            "a decision after the STOP",
            f"fix the cause, then cutter orchestrate void --run-id {rid} --reason-kb-id "
            f"<path> and cutter orchestrate cut --document-id {run.doc_code}",
        )
    if run.state == RunState.COMPLETED and run.mode == "dryrun":
        return (
            "nothing: the rehearsal is green",
            f"cut it for real: cutter orchestrate cut --document-id {run.doc_code} --mode live",
        )
    if run.state in (RunState.COMPLETED, RunState.VOIDED):
        return ("nothing", "nothing: the run is closed")
    return ("the running stage to finish", f"cutter orchestrate inspect --run-id {rid}")
