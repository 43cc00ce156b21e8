"""What the ``cutter orchestrate`` commands do, behind the CLI: start a cut
run and launch its survey through Dagster on the project's instance, and
describe a run for people (state, phases, pins, what is awaited, next step)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dagster import DagsterInstance

from cutter_assets.core.phases import PHASES, RunState
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.cutruns import start_cut_run
from cutter_assets.db import ledger
from cutter_assets.db.connection import connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.resources import RESOURCES
from cutter_assets.settings import load_settings

# Dagster's console logger repeats every event; the CLI prints its own summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class CutResult:
    run_id: str
    state: str
    kb_folder: str
    dagster_run_id: str
    stop: CutterStop | None


def project_instance() -> DagsterInstance:
    """The Dagster instance of this project (Postgres storage on our server)."""
    server = DatabaseServer(load_settings())
    server.up()  # idempotent: the server runs and both databases exist
    os.environ.update(server.dagster_env())
    return DagsterInstance.get()


def launch_survey(doc_code: str, *, mode: str, actor: str, scope: str) -> CutResult:
    """Open the cut run (refusing a replay), then run the survey job in process
    on the project's instance so it shows in the UI with its lineage."""
    from cutter_assets.definitions import defs

    database, kb, vault = RESOURCES["database"], RESOURCES["kb"], RESOURCES["vault"]
    with database.transaction() as conn:
        from cutter_assets.db import survey

        survey.find_document(conn, doc_code)  # STOP_DOCUMENT_UNKNOWN before anything else
        vault.require_recipient()  # a missing backup key stops before anything is written
        started = start_cut_run(conn, kb, doc_code, mode=mode, actor=actor, scope=scope)
    instance = project_instance()
    if not instance.has_dynamic_partition(documents.name, doc_code):
        instance.add_dynamic_partitions(documents.name, [doc_code])
    result = defs.resolve_job_def("survey").execute_in_process(
        instance=instance,
        partition_key=doc_code,
        tags={RUN_ID_TAG: started.run_id, MODE_TAG: mode},
        run_config=QUIET,
        raise_on_error=False,
    )
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, started.run_id)
    stop = None
    if run.state == RunState.STOPPED:
        stop = CutterStop(StopCode[run.stop_code], run.stop_detail or "")
    elif not result.success:
        stop = CutterStop(StopCode.STOP_INVARIANT_FAILED, "the survey run failed; see the UI")
    return CutResult(started.run_id, run.state, started.kb_folder, result.run_id, stop)


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
    if run.state in (RunState.COMPLETED, RunState.VOIDED):
        return ("nothing", "nothing: the run is closed")
    return ("the running stage to finish", f"cutter orchestrate inspect --run-id {rid}")
