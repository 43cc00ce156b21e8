"""A phase's evidence: its KB doc (pending until the ledger commits) and its
ledger record, then the run stopped (a failed invariant) or moved on. A phase
that outlived its soft cap says so in its KB doc."""

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


def soft_cap_warning(phase_key: str, seconds: float) -> str | None:
    """The warning for a phase that took longer than its soft cap (seed:
    phase_soft_cap_minutes); None within it, or for a phase without one. It
    stops nothing: the hard cap of the whole run does."""
    cap = catalogue.phase(phase_key).soft_cap_seconds
    if cap is None or seconds <= cap:
        return None
    return f"soft cap exceeded: {phase_key} took {seconds:.1f} s, over its {cap} s soft cap"


def finish(
    ctx: PhaseContext,
    run: ledger.Run,
    phase_key: str,
    outcome: PhaseOutcome,
    warning: str | None = None,
) -> dict[str, Any]:
    """The KB doc of the phase (with its soft-cap ``warning``, if any) and of
    each phase done within it, by phase."""
    phases = [(phase_key, outcome), *outcome.also]
    docs = {
        key: evidence(ctx, run, key, part, warning if key == phase_key else None)
        for key, part in phases
    }
    stop = gate_stop(outcome)
    if stop is not None:
        ledger.stop_run(ctx.ledger, run.run_id, stop.code.name, f"{phase_key}: {stop.detail}")
        write_stop_doc(ctx.kb, run, phase_key, stop)
    elif outcome.next_state:
        ledger.move_state(ctx.ledger, run.run_id, run.state, outcome.next_state)
    return docs


def gate_stop(outcome: PhaseOutcome) -> CutterStop | None:
    """The STOP of a phase whose internal gate failed (the phase's stop code and
    its failed invariants, its own and those of the phases done within it);
    None when every invariant holds."""
    parts = [outcome, *(part for _, part in outcome.also)]
    failed = [inv for part in parts for inv in part.invariants if not inv.ok]
    if not failed:
        return None
    detail = ", ".join(f"{i.name} (expected {i.expected}, observed {i.observed})" for i in failed)
    return CutterStop(outcome.stop_code, detail)


def evidence(
    ctx: PhaseContext,
    run: ledger.Run,
    phase_key: str,
    outcome: PhaseOutcome,
    warning: str | None = None,
):
    """The phase's KB doc (write-once) and its ledger record."""
    report = PhaseReport(
        phase=catalogue.phase(phase_key),
        run_id=run.run_id,
        doc_code=run.doc_code,
        mode=run.mode,
        written_utc=datetime.now(UTC),
        inputs=outcome.inputs,
        work=[*outcome.work, *([warning] if warning else [])],
        snapshot_diff=outcome.snapshot_diff,
        invariants=outcome.invariants,
        artifacts=outcome.artifacts,
        verdict={
            "idempotency_key": outcome.idempotency_key or "-",
            **({"warning": warning} if warning else {}),
        },
        production_mutation=outcome.production_mutation,
    )
    day = f"{uuid7_datetime(run.run_id):%Y%m%d}"
    if outcome.kb_text is None:
        text = render_phase_doc(report)
    else:  # a document of its own: the warning closes it
        text = outcome.kb_text + (f"\n> WARNING: {warning}\n" if warning else "")
    doc = ctx.kb.write_pending(f"{run.kb_folder}/{catalogue.kb_file_name(phase_key, day)}", text)
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
