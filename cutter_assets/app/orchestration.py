"""What the ``cutter orchestrate`` commands do, behind the CLI: start a cut
run and launch its survey through Dagster on the project's instance, and
describe a run for people (state, phases, pins, what is awaited, next step).

No dead ends: the next step ``inspect`` names is one that works now, and
``resume`` refuses, before any Dagster run, exactly where inspect names
another step (its STOP line names that step)."""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from cutter_assets.assets.runner import refusal_in, voided_observations
from cutter_assets.core.approvals import MAX_DOC_BYTES, ApprovalRefused
from cutter_assets.core.commands import command
from cutter_assets.core.phases import (
    AWAITED,
    BY_KEY,
    GATE,
    PHASES,
    REHEARSED_GATES,
    Mode,
    RunState,
    writes_past,
)
from cutter_assets.core.reports import render_void_doc
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import approvals, ledger, queries, survey
from cutter_assets.db.approvals import kb_relative
from cutter_assets.db.connection import connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.graph.jobs import job_after, launch_config
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.platform.files import read_regular_file
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.runs.start import start_cut_run
from cutter_assets.runs.stops import stop_of_failure

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
    """The Dagster instance of this project (Postgres storage on our server,
    which is started if needed); the environment is left as it is."""
    server = DatabaseServer(load_settings())
    server.up()
    return DagsterInstance.from_config(str(server.write_dagster_home()))


def launch_cut(doc_code: str, *, mode: str, actor: str, scope: str) -> CutResult:
    """Open the cut run (refusing a replay), then run it through Dagster in
    process on the project's instance, so it shows in the UI with its lineage:
    a dryrun is the whole rehearsal, a live cut is the survey up to SG_1."""
    database, kb, vault = RESOURCES["database"], RESOURCES["kb"], RESOURCES["vault"]
    with database.transaction() as conn:
        survey.find_document(conn, doc_code)  # STOP_DOCUMENT_UNKNOWN before anything else
        vault.require_recipient()  # a missing backup key stops before anything is written
        started = start_cut_run(conn, kb, doc_code, mode=mode, actor=actor, scope=scope)
    return execute_stage("rehearsal" if mode == Mode.DRYRUN else "survey", started.run_id)


def execute_stage(job_name: str, run_id: str) -> CutResult:
    """Run one stage of a cut run in process on the project's instance."""
    from cutter_assets.definitions import defs

    database = RESOURCES["database"]
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, run_id)
    instance = project_instance()
    if not instance.has_dynamic_partition(documents.name, run.doc_code):
        instance.add_dynamic_partitions(documents.name, [run.doc_code])
    job = defs.resolve_job_def(job_name)
    opens = AssetKey(PHASES[0].key) in job.asset_layer.selected_asset_keys
    with _quiet_unchecked_assets():
        result = job.execute_in_process(
            instance=instance,
            partition_key=run.doc_code,
            tags={RUN_ID_TAG: run_id, MODE_TAG: run.mode},
            run_config={**QUIET, **(launch_config(run.mode) if opens else {})},
            raise_on_error=False,
        )
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, run_id)
        asked = _asked_in(conn, run, result.run_id)
    stop = None
    if run.state == RunState.STOPPED:
        stop = CutterStop(StopCode[run.stop_code], run.stop_detail or "")
    elif (refused := refusal_in(result.all_events)) is not None and not asked:
        stop = refused
    elif not result.success:
        failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
        data = failure.step_failure_data.user_failure_data if failure else None
        stop = stop_of_failure(data) or CutterStop(
            StopCode.STOP_INVARIANT_FAILED, "the Dagster run failed; see UI"
        )
    return CutResult(run_id, run.state, run.kb_folder or "-", result.run_id, stop)


class _UncheckedAsset(logging.Filter):
    """Dagster's warning that a skipped or refused step left its blocking checks
    without a result: what a stage that ends waiting at a gate (mark refused for
    want of the SG_0 decision) or refused always does. The CLI says what happened
    and what comes next in its own lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "emitted no result" not in record.getMessage()


@contextmanager
def _quiet_unchecked_assets():
    """``_UncheckedAsset`` on Dagster's execution-plan logger, for one stage."""
    plan_logger = logging.getLogger("dagster._core.execution.plan.active")
    quiet = _UncheckedAsset()
    plan_logger.addFilter(quiet)
    try:
        yield
    finally:
        plan_logger.removeFilter(quiet)


def _asked_in(conn, run: ledger.Run, dagster_run_id: str) -> bool:
    """Whether the stage asked for the gate the run awaits now (the structure
    review, mid-survey): the phase after the request then refused for want of
    the decision, as it must, and the stage ends waiting, not refused."""
    gate = awaited_gate(run)
    if gate is None:
        return False
    request = ledger.phases(conn, run.run_id).get(GATE[gate].request_phase)
    return request is not None and request.dagster_run_id == dagster_run_id


def resume(run_id: str, approval: str | None) -> CutResult:
    """Continue a cut run by hand (the same validation as the approval sensor).

    Past a gate, a live run goes on only when the stage would: the decision it
    would consume is usable and the switch is armed for it; otherwise the STOP
    names the step that works (the one ``inspect`` names), and no Dagster run
    is started to fail."""
    database, kb = RESOURCES["database"], RESOURCES["kb"]
    if approval is not None:
        decision = decision_of(database, kb.root_path(), approval)
        if decision.run_id != run_id:
            raise CutterStop(
                StopCode.STOP_APPROVAL_INVALID,
                f"{approval} approves run {decision.run_id}, not {run_id}",
            )
    with database.transaction() as conn:
        run = ledger.get_run(conn, run_id)
        gate = awaited_gate(run)
        if _between_legs(run):
            ledger.reopen_for_leg_b(conn, run_id)
            job = "complete_leg_b"
        elif gate is not None:
            if _decided(run, gate):
                step = gate_step(run, waiting_at(conn, kb.root_path(), run), datetime.now(UTC))
                if step.refusal is not None:
                    raise CutterStop(step.refusal, step.next)
            job = job_after(gate, run.mode)
        else:
            raise CutterStop(
                StopCode.STOP_STATE,
                f"run {run_id} is {run.state}"
                + (f" ({run.stop_code})" if run.stop_code else "")
                + "; nothing to resume",
            )
    return execute_stage(job, run_id)


def decision_of(database, kb_root: Path, path: str) -> approvals.Decision:
    """The decision of the approval doc at ``path``: the one already recorded
    for exactly this doc and not consumed yet (the approval sensor saw it
    first, or an earlier resume recorded it and was refused for the switch),
    else the doc evaluated and recorded now. A doc that is waiting to be used
    is never refused as REPLAYED; anything else is refused with its reason."""
    digest = _doc_sha256(kb_root, path)
    recorded = approvals.recorded_unconsumed(database, digest) if digest else None
    if recorded is not None:
        return recorded
    try:
        return approvals.evaluate(database, kb_root, path, channel="cli")
    except ApprovalRefused as refused:
        raise CutterStop(StopCode.STOP_APPROVAL_INVALID, str(refused)) from None


def _doc_sha256(kb_root: Path, path: str) -> str | None:
    """The sha256 of the doc inside the KB, or None when it cannot be read
    (``evaluate`` then refuses it with the reason and records the attempt)."""
    try:
        relative = kb_relative(kb_root, path)
        return hashlib.sha256(read_regular_file(relative, MAX_DOC_BYTES, root=kb_root)).hexdigest()
    except (ApprovalRefused, OSError):
        return None


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
        materialized = list(ledger.phases(conn, run_id))
    _observe_voided(run, materialized, kb.root_path() / reason, kb.root_path() / doc.path)
    return doc.path


def _observe_voided(run: ledger.Run, phase_keys: list[str], reason: Path, plan: Path) -> None:
    """Mark each asset the run materialized as voided in Dagster (its earlier
    materializations cannot be edited; an observation after them says so)."""
    instance = project_instance()
    try:
        for observation in voided_observations(run.run_id, run.doc_code, phase_keys, reason, plan):
            instance.report_runless_asset_event(observation)
    finally:
        instance.dispose()


def describe_run(run_id: str) -> str:
    """The inspect view: state, phases with outcome and KB doc, key pins, what
    is awaited and the exact next command."""
    with connection(DatabaseServer(load_settings()).target_url()) as conn:
        run = ledger.get_run(conn, run_id)
        records = ledger.phases(conn, run_id)
        waiting = waiting_at(conn, RESOURCES["kb"].root_path(), run) if awaited_gate(run) else None
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
    lines += _structure_lines(records)
    pins = _key_pins(records)
    if pins:
        lines.append("pins:")
        lines += [f"  {k}: {v}" for k, v in pins.items()]
    awaited, next_step = next_action(run, waiting)
    lines += [f"awaiting  {awaited}", f"next      {next_step}"]
    return "\n".join(lines)


def _structure_lines(records: dict[str, ledger.PhaseRecord]) -> list[str]:
    """What the structure review found and what the cut accepted as found."""
    review = records.get("structure_review")
    if review is None:
        return []
    found = review.pins.get("payload", {}).get("anomalies", [])
    line = f"structure {len(found)} anomaly(ies) found"
    if found:
        line += f", put to the sovereign in {review.kb_doc_path}"
    mark = records.get("mark")
    if mark is not None and found:
        accepted = len(mark.pins.get("accepted_anomalies", []))
        line += f"; {accepted} cut as found under SG_0 decision {mark.pins.get('sg0_decision')}"
    return [line]


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


@dataclass(frozen=True)
class OpenDecision:
    """A recorded, unconsumed decision: where its doc is, when it was signed
    and recorded, and whether the doc is still in the KB as recorded."""

    path: str
    signed_utc: datetime
    recorded_at: datetime
    doc_intact: bool


@dataclass(frozen=True)
class Waiting:
    """What a run waiting at a gate has: the decision its stage would consume
    (None: no recorded, unconsumed one) and the armed switch (None: nothing
    armed; '': armed for the next live run that writes; else that run's id)."""

    gate: str
    decision: OpenDecision | None
    switch: str | None


@dataclass(frozen=True)
class GateStep:
    """What a run waiting at a gate awaits, the command that works now, and
    what ``resume`` answers instead of going on (None: it goes on)."""

    awaited: str
    next: str
    refusal: StopCode | None


def awaited_gate(run: ledger.Run) -> str | None:
    return next((gate for gate, state in AWAITED.items() if state == run.state), None)


def _decided(run: ledger.Run, gate: str) -> bool:
    """Whether the run passes ``gate`` under a decision: a live run always, a
    rehearsal only the structure review (it waits there too)."""
    return run.mode == Mode.LIVE or gate in REHEARSED_GATES


def _between_legs(run: ledger.Run) -> bool:
    return run.state == RunState.STOPPED and run.stop_code == "STOP_BETWEEN_LEG_A_AND_LEG_B"


def waiting_at(conn, kb_root: Path, run: ledger.Run) -> Waiting:
    """Read, from the ledger and the KB, what the run waiting at its gate has."""
    gate = awaited_gate(run)
    recorded = ledger.newest_open_decision(conn, run.run_id, gate)
    with conn.cursor() as cur:
        cur.execute(queries.ARMED_SWITCH)
        armed = cur.fetchone()
    decision = None
    if recorded is not None:
        path = recorded.approval_doc_path
        intact = _doc_sha256(kb_root, path) == recorded.approval_doc_sha256
        decision = OpenDecision(
            path, recorded.signed_utc.astimezone(UTC), recorded.recorded_at, intact
        )
    return Waiting(gate, decision, armed[0] if armed else None)


def gate_step(run: ledger.Run, waiting: Waiting, now: datetime) -> GateStep:
    """The step past a gate of a live run that works now, in this order: an
    approval to sign (none recorded, or the recorded one can no longer be
    used: its doc is gone or changed, or it is past its TTL), the switch to
    arm, else resume. A recorded approval that cannot be used never blocks a
    fresh one: the stage consumes the newest."""
    rid, gate, decision = run.run_id, GATE[waiting.gate], waiting.decision
    short = gate.short
    signer = "--provider stub" if run.mode == Mode.DRYRUN else "--key <FPR>"
    sign = (
        f"{command(f'approve draft --run-id {rid} --gate {short}')} > approval.md, then "
        f"{command(f'approve sign approval.md {signer}')}"
    )
    switch = _switch_step(rid, waiting.switch) if writes_past(gate.name) else ""
    first = f"{switch}; then " if switch else ""  # armed before the sensor starts the stage
    if decision is None:
        return GateStep(
            BY_KEY[gate.request_phase].title.removesuffix(" request") + " from the sovereign",
            f"no {short} approval is recorded; {first}sign one: {sign} (the approval sensor "
            f"continues the run, or: {command(f'orchestrate resume --run-id {rid}')} "
            "--approval-kb-id <its path>)",
            StopCode.STOP_APPROVAL_INVALID,
        )
    unusable = _unusable(gate.name, decision, now)
    if unusable:
        return GateStep(
            f"a fresh {short} approval (the recorded one cannot be used)",
            f"the recorded {short} approval {decision.path} {unusable}; {first}"
            f"sign a fresh one: {sign}",
            StopCode.STOP_APPROVAL_INVALID,
        )
    if switch:
        return GateStep(
            f"the kill switch (the {short} approval {decision.path} is recorded)",
            f"{switch}, then {command(f'orchestrate resume --run-id {rid}')}",
            StopCode.STOP_EXECUTION_DISABLED,
        )
    return GateStep(
        f"the {gate.next_job} stage under the recorded {short} approval {decision.path}",
        command(f"orchestrate resume --run-id {rid}"),
        None,
    )


def _unusable(gate: str, decision: OpenDecision, now: datetime) -> str:
    """Why the stage would refuse the recorded decision ('' when it would not)."""
    ttl = GATE[gate].ttl
    if not decision.doc_intact:
        return "has lost its doc (it is gone or changed since it was recorded)"
    if now - decision.signed_utc > ttl:
        hours = int(ttl.total_seconds() // 3600)
        return f"is past its {hours} h TTL (signed {decision.signed_utc:%Y-%m-%dT%H:%MZ})"
    return ""


def _switch_step(run_id: str, switch: str | None) -> str:
    """How to arm the switch for the run ('' when it is armed for it, or for
    the next live run that writes); one switch is armed at a time."""
    if switch is None:
        return f"arm it: {command(f'killswitch enable --single-run --run-id {run_id}')}"
    if switch in ("", run_id):
        return ""
    return (
        f"execution is armed for run {switch}; when that run is done: "
        f"{command('killswitch disable')}, then arm it: "
        f"{command(f'killswitch enable --single-run --run-id {run_id}')}"
    )


def next_action(run: ledger.Run, waiting: Waiting | None = None) -> tuple[str, str]:
    """What the run awaits and the exact next command, one that works now."""
    rid = run.run_id
    gate = awaited_gate(run)
    if gate is not None and not _decided(run, gate):
        return (
            "nothing: a rehearsal is never approved, and this one did not finish",
            f"void it: {command(f'orchestrate void --run-id {rid} --reason-kb-id <path>')}, "
            f"then rehearse again: {command(f'orchestrate cut --document-id {run.doc_code}')}",
        )
    if gate is not None:
        if waiting is None:
            with RESOURCES["database"].transaction(commit=False) as conn:
                waiting = waiting_at(conn, RESOURCES["kb"].root_path(), run)
        step = gate_step(run, waiting, datetime.now(UTC))
        return step.awaited, step.next
    if _between_legs(run):
        return ("leg B (leg A is written)", command(f"orchestrate resume --run-id {rid}"))
    if run.state == RunState.STOPPED:
        return (
            "a decision after the STOP",
            "fix the cause, then "
            + command(f"orchestrate void --run-id {rid} --reason-kb-id <path>")
            + f" and {command(f'orchestrate cut --document-id {run.doc_code}')}",
        )
    if run.state == RunState.COMPLETED and run.mode == Mode.DRYRUN:
        return (
            "nothing: the rehearsal is green",
            "cut it for real: "
            + command(f"orchestrate cut --document-id {run.doc_code} --mode live"),
        )
    if run.state in (RunState.COMPLETED, RunState.VOIDED):
        return ("nothing", "nothing: the run is closed")
    return (
        "the running stage to finish",
        f"{command(f'orchestrate inspect --run-id {rid}')} again (a stage whose worker died is "
        "failed by the daemon's run monitoring, and the stop sensor then records its STOP)",
    )
