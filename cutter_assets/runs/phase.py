"""A phase of a cut run, without Dagster: its story (a ``PhaseContext`` in,
a ``PhaseOutcome`` out) and ``execute_phase``, which finds the cut run,
checks its state and the phases before it, re-checks every pin, runs the
story, and records the evidence; any STOP becomes a STOP doc and a STOPPED
ledger row (runs/stops.py). A phase that takes longer than its soft cap
warns in the Dagster log and its KB doc and goes on. The asset shell around
it is assets/runner.py; the benchmark's baseline calls ``execute_phase``
directly."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagster import get_dagster_logger

from cutter_assets.core import phases as catalogue
from cutter_assets.core.commands import command
from cutter_assets.core.intake import check_doc_code
from cutter_assets.core.phases import Mode
from cutter_assets.core.pins import sha256_of
from cutter_assets.core.preconditions import check_prerequisites, check_run
from cutter_assets.core.reports import Artifact, Invariant, render_request_doc
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.db.drift import recheck_pins
from cutter_assets.platform.code import check_code_unchanged
from cutter_assets.resources.backup import BackupVault
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import RUNS_INDEX, KnowledgeBase, secrets_in_environment
from cutter_assets.runs.evidence import finish, soft_cap_warning
from cutter_assets.runs.resolve import resolve_run
from cutter_assets.runs.stops import REFUSED_ACTIONS, record_stop


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
    # The mode the launch asked for (the first phase's run config; None when
    # it asked for none), and whether the Dagster run holds every phase asset
    # (a rehearsal runs them all in one Dagster run).
    mode: str | None = None
    every_phase: bool = False


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


def request_outcome(
    ctx: PhaseContext, gate_name: str, payload: dict[str, Any], details: Sequence[str] = ()
) -> PhaseOutcome:
    """A sovereign request: the payload pinned by its sha256, the request doc
    in the KB (with ``details``, a section of its own, when the payload holds
    more than one line can show), and the run moved to the awaiting state. A
    payload missing any pin is never put to the sovereign: the run stops before
    the doc is written."""
    gate = catalogue.GATE[gate_name]
    short = gate.short
    missing = sorted(k for k, v in payload.items() if v in (None, ""))
    if missing:
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            f"the {short} request would not pin {', '.join(missing)}",
        )
    payload_sha = sha256_of(payload)
    next_command = command(f"approve draft --run-id {ctx.run.run_id} --gate {short}")
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
            next_command=next_command,
            details=details,
        ),
        metadata={"payload_sha": payload_sha, "next_command": next_command},
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
    def expected_state(self) -> tuple[str, ...]:
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
    started = time.monotonic()
    try:
        check_code_unchanged()
        doc_code = check_doc_code(step.partition_key)
        with database.transaction() as conn:
            opener = (lambda: phase.open_run(conn, kb, step)) if phase.open_run else None
            run_id = resolve_run(step.tags, step.dagster_run_id, conn, doc_code, opener)
            mode = ledger.get_run(conn, run_id).mode
        if step.mode is not None and step.mode != mode:
            raise CutterStop(
                StopCode.STOP_STATE,
                f"run {run_id} is a {mode} cut run; this launch asked for {step.mode}",
            )
        with database.phase_connections(mode, phase.role) as (work, ledger_conn):
            run = ledger.get_run(ledger_conn, run_id, lock=True)
            check_run(run.run_id, run.doc_code, run.state, doc_code, phase.expected_state)
            earlier = ledger.phases(ledger_conn, run_id)
            check_prerequisites({k: r.outcome for k, r in earlier.items()}, phase.requires)
            recheck_pins(work, run, earlier, kb, vault or BackupVault())
            ctx = PhaseContext(step.dagster_run_id, work, ledger_conn, run, kb, earlier, vault)
            outcome = phase.story(ctx)
            warning = soft_cap_warning(phase.key, time.monotonic() - started)
            if warning:
                get_dagster_logger().warning(warning)  # the run's log, when Dagster runs it
            run = ledger.get_run(ledger_conn, run_id)  # source_pin may have set the KB folder
            result = PhaseResult(run, outcome, finish(ctx, run, phase.key, outcome, warning))
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
