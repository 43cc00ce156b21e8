"""The enact stage (after SG_2): draft -> enacted through fn_iu_enact under
the review decision of SG_2, then the closeout report. Draft -> enacted is
the only transition cutter makes."""

from cutter_assets.assets.factory import phase_asset
from cutter_assets.assets.write import (
    approval_metadata,
    pass_gate,
    require_service_signature,
)
from cutter_assets.core import phases as catalogue
from cutter_assets.core.phases import GATE_SG2, RunState
from cutter_assets.core.pins import sha256_of, sha256_text
from cutter_assets.core.reports import Invariant, runs_index_line
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import records
from cutter_assets.resources.kb import RUNS_INDEX
from cutter_assets.runs.phase import Phase, PhaseContext, PhaseOutcome

IMMUTABILITY_TRIGGERS = 7  # iu_guard, iu_log_lifecycle, 2 x append_only, 3 x no_truncate


# ---- 10. lifecycle_enactment ----------------------------------------------------
def _lifecycle_enactment_story(ctx: PhaseContext) -> PhaseOutcome:
    leg_a, leg_b = ctx.pins_of("change_set"), ctx.pins_of("manifest_envelope")
    verified = ctx.pins_of("verify_result")
    require_service_signature(
        ctx.conn, leg_b["executor_signature_id"], "executor", leg_b["payload_sha"]
    )
    require_service_signature(
        ctx.conn, verified["verifier_signature_id"], "verifier", verified["payload_sha"]
    )
    count = leg_a["row_count"]
    decision = pass_gate(ctx, GATE_SG2)  # None in a rehearsal: fn_iu_enact wants none there
    results, invariants = _enact(ctx, leg_a["change_set_id"], count, decision)
    enacted, logged = invariants[0].observed, invariants[1].observed
    return PhaseOutcome(
        pins={"review_decision_id": decision or "rehearsal", "enacted_count": enacted},
        checks={"all_units_enacted_and_logged": invariants},
        idempotency_key=decision or sha256_text(f"rehearsal|{ctx.run.run_id}"),
        inputs={"change_set_id": leg_a["change_set_id"], "units": count},
        work=[
            "checked the executor's and the verifier's gpg signatures",
            "claimed the kill switch and consumed the SG_2 approval"
            if ctx.live
            else "dryrun: enacted under no decision inside the never-committed transaction",
            f"fn_iu_enact for {count} drafts: {results}",
            "post-checked enacted count, lifecycle log and immutability triggers",
        ],
        snapshot_diff=[
            ("enacted units in change set", 0, enacted),
            ("lifecycle log rows", 0, logged),
        ],
        metadata=approval_metadata(ctx, decision),
        production_mutation=f"{count} units draft -> enacted" if ctx.live else "NONE (dryrun)",
    )


def _enact(ctx: PhaseContext, change_set_id: str, count: int, decision: str | None):
    """Every draft enacted under the decision and post-checked, in the phase's
    transaction; anything short of all of them rolls the enactment back."""
    results = records.enact_change_set(ctx.conn, change_set_id, decision)
    enacted, logged, triggers = records.enactment_postcheck(ctx.conn, change_set_id)
    invariants = [
        Invariant("units enacted", count, enacted),
        Invariant("lifecycle log rows (draft -> enacted)", count, logged),
        Invariant("immutability triggers enabled", IMMUTABILITY_TRIGGERS, triggers),
    ]
    if not all(i.ok for i in invariants) or results != {"enacted": count}:
        failed = [i for i in invariants if not i.ok]
        raise CutterStop(
            StopCode.STOP_INVARIANT_FAILED,
            "enactment rolled back: "
            + "; ".join(f"{i.name}: expected {i.expected}, observed {i.observed}" for i in failed),
        )
    return results, invariants


LIFECYCLE_ENACTMENT = Phase("lifecycle_enactment", _lifecycle_enactment_story)


# ---- 11. closeout -----------------------------------------------------------------
def _closeout_story(ctx: PhaseContext) -> PhaseOutcome:
    required = catalogue.earlier("closeout")
    keys = {k: ctx.earlier[k].idempotency_key for k in required}
    leg_a, enacted = ctx.pins_of("change_set"), ctx.pins_of("lifecycle_enactment")
    summary = {
        "run_id": ctx.run.run_id,
        "doc_code": ctx.doc_code,
        "mode": ctx.run.mode,
        "change_set_id": leg_a["change_set_id"],
        "writer_digest": leg_a["writer_digest"],
        "enacted_count": enacted["enacted_count"],
        "phase_keys": keys,
    }
    summary_sha = sha256_of(summary)
    return PhaseOutcome(
        pins={"summary_sha": summary_sha},
        checks={
            "every_prior_phase_passed": [
                Invariant(f"{k} passed", "passed", ctx.earlier[k].outcome) for k in required
            ]
        },
        idempotency_key=summary_sha,
        inputs={
            "change_set_id": leg_a["change_set_id"],
            "enacted": enacted["enacted_count"],
            "mode": ctx.run.mode,
        },
        work=[f"{k}: {ctx.earlier[k].kb_doc_path}" for k in required]
        + [
            f"the run's line goes to {RUNS_INDEX} once this phase commits",
            f"summary sha {summary_sha}",
        ],
        next_state=RunState.COMPLETED,
        runs_index_line=_index_line(ctx, leg_a["change_set_id"], enacted["review_decision_id"]),
    )


def _index_line(ctx: PhaseContext, change_set_id: str, decision: str) -> str:
    """The run's line in the KB's runs index."""
    run = ctx.run
    return runs_index_line(
        [run.run_id, ctx.doc_code, run.source_version_id, "COMPLETED", run.kb_folder or "-",
         change_set_id, decision, run.actor, ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ"), run.mode]
    )  # fmt: skip


CLOSEOUT = Phase("closeout", _closeout_story)


ENACT_PHASES = [LIFECYCLE_ENACTMENT, CLOSEOUT]
ENACT_ASSETS = [phase_asset(phase) for phase in ENACT_PHASES]
lifecycle_enactment, closeout = ENACT_ASSETS
