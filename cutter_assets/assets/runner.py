"""What every phase asset does around its own story: find its cut run,
check the run's state and the phases before it, re-read live state against
the source pins (STOP_DRIFT), write the KB phase doc, record the phase, and
turn any STOP into a STOP doc, a STOPPED ledger row and a failed step.

A phase's story only receives a ``PhaseContext`` and returns a
``PhaseOutcome``. ``execute_phase`` runs a phase without Dagster (the
benchmark's baseline calls it directly); ``run_phase`` is the asset shell
around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
)

from cutter_assets.core import phases as catalogue
from cutter_assets.core.ids import uuid7_datetime
from cutter_assets.core.intake import check_doc_code
from cutter_assets.core.phases import Mode
from cutter_assets.core.pins import sha256_of
from cutter_assets.core.reports import (
    Artifact,
    Invariant,
    PhaseReport,
    render_phase_doc,
    render_request_doc,
)
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.db.drift import recheck_pins
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.resources.backup import BackupVault
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import RUNS_INDEX, KnowledgeBase, secrets_in_environment
from cutter_assets.runs.stops import REFUSED_ACTIONS, failure_of, record_stop, write_stop_doc


@dataclass
class PhaseOutcome:
    """What a phase found and did; the runner turns it into evidence."""

    pins: dict[str, Any]
    checks: dict[str, list[Invariant]]
    stop_code: StopCode = StopCode.STOP_INVARIANT_FAILED
    idempotency_key: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    work: list[str] = field(default_factory=list)
    snapshot_diff: list[tuple[str, Any, Any]] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    production_mutation: str = "NONE"
    next_state: str | None = None  # the run's state after this phase passes
    kb_text: str | None = None  # a document of its own instead of the phase template
    also: list[tuple[str, PhaseOutcome]] = field(default_factory=list)  # phases done within
    # A line for the KB's runs index, appended only once the phase has committed
    # (the index is a file, outside the transaction: it never runs ahead of the ledger).
    runs_index_line: str | None = None

    @property
    def invariants(self) -> list[Invariant]:
        return [inv for group in self.checks.values() for inv in group]


@dataclass(frozen=True)
class StepInfo:
    """What a phase knows of the Dagster step that carries it."""

    partition_key: str
    tags: Mapping[str, str]
    dagster_run_id: str

    @classmethod
    def of(cls, context: AssetExecutionContext) -> StepInfo:
        return cls(context.partition_key, dict(context.run.tags), context.run.run_id)


@dataclass
class PhaseContext:
    dagster_run_id: str
    conn: Any  # the phase's work (live: committed with the phase; dryrun: never)
    ledger: Any  # the run's ledger (live: the same transaction unless the role differs)
    run: ledger.Run
    kb: KnowledgeBase
    earlier: dict[str, ledger.PhaseRecord]
    vault: Any = None  # the backup vault, for the backup phase

    @property
    def doc_code(self) -> str:
        return self.run.doc_code

    def pins_of(self, phase_key: str) -> dict[str, Any]:
        return self.earlier[phase_key].pins

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    @property
    def live(self) -> bool:
        return self.run.mode == Mode.LIVE

    def pass_gate(self, decision_id: str | None) -> None:
        """Into WRITING or ENACTING past the awaited gate; live, the database
        consumes ``decision_id`` in this transaction (a rehearsal has none)."""
        gate = next(g.name for g in catalogue.GATES if g.awaited_state == self.run.state)
        ledger.pass_gate(self.ledger, self.run.run_id, gate, decision_id, self.dagster_run_id)
        if not self.live:
            self.ledger.commit()  # the rehearsal's own session must see the new state
        self.run = ledger.get_run(self.ledger, self.run.run_id)


def request_outcome(ctx: PhaseContext, gate_name: str, payload: dict[str, Any]) -> PhaseOutcome:
    """A sovereign request: the payload pinned by its sha256, the request doc
    in the KB, and the run moved to the awaiting state. A payload missing any
    pin is never put to the sovereign: the run stops before the doc is written."""
    gate = catalogue.GATE[gate_name]
    short = gate.short
    missing = sorted(k for k, v in payload.items() if v in (None, ""))
    if missing:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            f"the {short} request would not pin {', '.join(missing)}",
        )
    payload_sha = sha256_of(payload)
    command = f"cutter approve draft --run-id {ctx.run.run_id} --gate {short}"
    return PhaseOutcome(
        pins={"gate": gate.name, "payload_sha": payload_sha, "payload": payload},
        checks={},
        idempotency_key=payload_sha,
        kb_text=render_request_doc(
            title=catalogue.phase(gate.request_phase).title,
            gate=gate.name,
            run_id=ctx.run.run_id,
            doc_code=ctx.doc_code,
            mode=ctx.run.mode,
            payload_sha=payload_sha,
            payload=payload,
            written_utc=ctx.now(),
            ttl_hours=int(gate.ttl.total_seconds() // 3600),
            next_command=command,
        ),
        metadata={"payload_sha": payload_sha, "next_command": command},
        next_state=gate.awaited_state,
    )


@dataclass(frozen=True)
class Phase:
    """One phase as its asset runs it: its catalogue key and its story (a
    ``PhaseContext`` in, a ``PhaseOutcome`` out). The run state it needs, the
    phases that must have passed before it and the role it works as come
    from the catalogue."""

    key: str
    story: Callable[[PhaseContext], PhaseOutcome]
    # how the first phase opens a cut run when the Dagster run names none
    open_run: Callable[[Any, KnowledgeBase, StepInfo], str] | None = None
    needs_vault: bool = False  # the backup phase works with the backup vault

    @property
    def expected_state(self) -> str:
        return catalogue.runs_in(self.key)

    @property
    def requires(self) -> tuple[str, ...]:
        return catalogue.earlier(self.key)

    @property
    def role(self) -> str:
        return catalogue.phase(self.key).role


@dataclass
class PhaseResult:
    run: ledger.Run
    outcome: PhaseOutcome
    docs: dict[str, Any]  # the KB doc of the phase and of each phase done within it


def run_phase(
    context: AssetExecutionContext,
    database: CutterDatabase,
    kb: KnowledgeBase,
    phase: Phase,
    *,
    vault: Any = None,
) -> MaterializeResult:
    """The asset shell: the phase, then its evidence as Dagster metadata and
    check results; a STOP fails the step with its one line."""
    try:
        result = execute_phase(database, kb, phase, StepInfo.of(context), vault=vault)
    except CutterStop as stop:
        raise failure_of(stop) from stop.__cause__  # an unexpected error keeps its traceback
    return _materialize_result(phase.key, result)


def execute_phase(
    database: CutterDatabase,
    kb: KnowledgeBase,
    phase: Phase,
    step: StepInfo,
    *,
    vault: Any = None,
) -> PhaseResult:
    """Run one phase of one cut run, without Dagster: live in one transaction
    per phase (the verifier's own session beside it), dryrun inside the
    rehearsal's never-committed transaction. A STOP is recorded (ledger, STOP
    doc) and raised as ``CutterStop``."""
    run_id = None
    try:
        doc_code = check_doc_code(step.partition_key)
        with database.transaction() as conn:
            run_id = _resolve_run(step, conn, doc_code, kb, phase.open_run)
            mode = ledger.get_run(conn, run_id).mode
        with database.phase_connections(mode, phase.role) as (work, ledger_conn):
            run = ledger.get_run(ledger_conn, run_id, lock=True)
            _check_run(run, doc_code, phase.expected_state)
            earlier = ledger.phases(ledger_conn, run_id)
            _check_prerequisites(earlier, phase.requires)
            recheck_pins(work, run, earlier, kb, vault or BackupVault())
            ctx = PhaseContext(step.dagster_run_id, work, ledger_conn, run, kb, earlier, vault)
            outcome = phase.story(ctx)
            run = ledger.get_run(ledger_conn, run_id)  # source_pin may have set the KB folder
            result = _finish(ctx, run, phase.key, outcome)
        for doc in result.docs.values():  # named only now that the ledger holds the phase
            kb.publish(doc)
        if outcome.runs_index_line and all(inv.ok for inv in outcome.invariants):
            kb.append_line(str(RUNS_INDEX), outcome.runs_index_line)
        return result
    except CutterStop as stop:
        if stop.code not in REFUSED_ACTIONS:
            stop.recorded = record_stop(database, kb, run_id, phase.key, stop)
        raise
    except Exception as err:
        # An unexpected error is still a STOP: the ledger and the KB say so.
        detail = redact(f"{type(err).__name__}: {err}", secrets_in_environment())[:500]
        stop = CutterStop(StopCode.STOP_INVARIANT_FAILED, f"unexpected error: {detail}")
        stop.recorded = record_stop(database, kb, run_id, phase.key, stop)
        raise stop from err


def _resolve_run(step: StepInfo, conn, doc_code: str, kb: KnowledgeBase, open_run) -> str:
    tagged = step.tags.get(RUN_ID_TAG)
    if tagged:
        return tagged
    if open_run is not None:  # the first phase may start a cut run of its own
        return open_run(conn, kb, step)
    same_dagster_run = ledger.run_of_dagster_run(conn, step.dagster_run_id)
    if same_dagster_run:
        return same_dagster_run
    candidates = ledger.open_runs(conn, doc_code)
    if len(candidates) != 1:
        raise CutterStop(
            StopCode.STOP_STATE,
            f"{doc_code} has {len(candidates)} open cut runs; tag the Dagster run with "
            f"{RUN_ID_TAG} or start with `cutter orchestrate cut --document-id {doc_code}`",
        )
    return candidates[0]


def _check_run(run: ledger.Run, doc_code: str, expected_state: str) -> None:
    if run.doc_code != doc_code:
        raise CutterStop(
            StopCode.STOP_STATE, f"run {run.run_id} cuts {run.doc_code}, not partition {doc_code}"
        )
    if run.state != expected_state:
        raise CutterStop(
            StopCode.STOP_STATE,
            f"run {run.run_id} is {run.state}; this phase needs {expected_state}",
        )


def _check_prerequisites(earlier: dict[str, ledger.PhaseRecord], requires: tuple[str, ...]) -> None:
    for key in requires:
        record = earlier.get(key)
        if record is None or record.outcome != "passed":
            state = "has not run" if record is None else "failed"
            raise CutterStop(StopCode.STOP_STATE, f"phase {key} {state} for this cut run")


def _finish(
    ctx: PhaseContext, run: ledger.Run, phase_key: str, outcome: PhaseOutcome
) -> PhaseResult:
    phases = [(phase_key, outcome), *outcome.also]
    docs = {key: _evidence(ctx, run, key, part) for key, part in phases}
    failed = [inv for _, part in phases for inv in part.invariants if not inv.ok]
    if failed:
        detail = ", ".join(
            f"{i.name} (expected {i.expected}, observed {i.observed})" for i in failed
        )
        ledger.stop_run(ctx.ledger, run.run_id, outcome.stop_code.name, f"{phase_key}: {detail}")
        write_stop_doc(ctx.kb, run, phase_key, CutterStop(outcome.stop_code, detail))
    elif outcome.next_state:
        ledger.move_state(ctx.ledger, run.run_id, run.state, outcome.next_state)
    return PhaseResult(run, outcome, docs)


def _materialize_result(phase_key: str, result: PhaseResult) -> MaterializeResult:
    run, outcome, docs = result.run, result.outcome, result.docs
    metadata = {
        "cutter/run_id": run.run_id,
        "cutter/mode": run.mode,
        "kb_doc": MetadataValue.path(docs[phase_key].path),
        "kb_doc_sha256": docs[phase_key].sha256,
        **{
            f"kb_doc/{key}": MetadataValue.path(doc.path)
            for key, doc in docs.items()
            if key != phase_key
        },
        **{f"pin/{k}": _metadata_value(v) for k, v in outcome.pins.items()},
        **outcome.metadata,
    }
    checks = [
        AssetCheckResult(
            check_name=name,
            passed=all(inv.ok for inv in group),
            metadata={
                inv.name: MetadataValue.text(f"expected {inv.expected}, observed {inv.observed}")
                for inv in group[:20]
            },
        )
        for part in (outcome, *(also for _, also in outcome.also))
        for name, group in part.checks.items()
    ]
    return MaterializeResult(metadata=metadata, check_results=checks)


def _evidence(ctx: PhaseContext, run: ledger.Run, phase_key: str, outcome: PhaseOutcome):
    """The phase's KB doc (write-once) and its ledger record."""
    report = PhaseReport(
        phase=catalogue.phase(phase_key),
        run_id=run.run_id,
        doc_code=run.doc_code,
        mode=run.mode,
        written_utc=datetime.now(UTC),
        inputs=outcome.inputs,
        work=outcome.work,
        snapshot_diff=outcome.snapshot_diff,
        invariants=outcome.invariants,
        artifacts=outcome.artifacts,
        verdict={"idempotency_key": outcome.idempotency_key or "-"},
        production_mutation=outcome.production_mutation,
    )
    day = f"{uuid7_datetime(run.run_id):%Y%m%d}"
    doc = ctx.kb.write_pending(
        f"{run.kb_folder}/{catalogue.kb_file_name(phase_key, day)}",
        outcome.kb_text if outcome.kb_text is not None else render_phase_doc(report),
    )
    ledger.record_phase(
        ctx.ledger,
        run_id=run.run_id,
        phase=phase_key,
        outcome="passed" if report.passed else "failed",
        pins=outcome.pins,
        idempotency_key=outcome.idempotency_key,
        kb_doc_path=doc.path,
        kb_doc_sha256=doc.sha256,
        dagster_run_id=ctx.dagster_run_id,
    )
    return doc


def _metadata_value(value: Any):
    if isinstance(value, bool | int | float):
        return value
    return MetadataValue.text(redact(str(value), secrets_in_environment())[:500])
