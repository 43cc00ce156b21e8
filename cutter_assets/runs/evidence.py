"""A phase's evidence: its KB doc (pending until the ledger commits) and its
ledger record, then the run stopped (a failed invariant) or moved on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cutter_assets.core import phases as catalogue
from cutter_assets.core.ids import uuid7_datetime
from cutter_assets.core.reports import PhaseReport, render_phase_doc
from cutter_assets.core.stops import CutterStop
from cutter_assets.db import ledger
from cutter_assets.runs.stops import write_stop_doc

if TYPE_CHECKING:
    from cutter_assets.runs.phase import PhaseContext, PhaseOutcome


def finish(
    ctx: PhaseContext, run: ledger.Run, phase_key: str, outcome: PhaseOutcome
) -> dict[str, Any]:
    """The KB doc of the phase and of each phase done within it, by phase."""
    phases = [(phase_key, outcome), *outcome.also]
    docs = {key: evidence(ctx, run, key, part) for key, part in phases}
    failed = [inv for _, part in phases for inv in part.invariants if not inv.ok]
    if failed:
        detail = ", ".join(
            f"{i.name} (expected {i.expected}, observed {i.observed})" for i in failed
        )
        ledger.stop_run(ctx.ledger, run.run_id, outcome.stop_code.name, f"{phase_key}: {detail}")
        write_stop_doc(ctx.kb, run, phase_key, CutterStop(outcome.stop_code, detail))
    elif outcome.next_state:
        ledger.move_state(ctx.ledger, run.run_id, run.state, outcome.next_state)
    return docs


def evidence(ctx: PhaseContext, run: ledger.Run, phase_key: str, outcome: PhaseOutcome):
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
