"""The Dagster shell of a phase: the step's partition, tags, run id and
launch config in; the phase's evidence out as asset metadata and check
results; a STOP out as the step's failure (runs/stops.py). A refused action
(nothing done, the cut run left as it was) is no failure: the step ends
without a materialization, so no asset's status changes, and the Dagster run
carries the refusal's one line in its tags. Everything else is runs/phase.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetObservation,
    MaterializeResult,
    MetadataValue,
)

from cutter_assets.core import phases as catalogue
from cutter_assets.core.phases import Mode
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment
from cutter_assets.runs.evidence import gate_stop
from cutter_assets.runs.phase import Phase, PhaseResult, StepInfo, execute_phase
from cutter_assets.runs.stops import REFUSED_ACTIONS, STOP_CODE, STOP_DETAIL, failure_of

# A refused launch's line: a tag of its Dagster run (the UI's run list shows it)
# and the metadata of the asset observation it leaves.
REFUSED_TAG, REFUSED = "cutter/refused", "refused"
TAG_LIMIT = 1000  # characters of a refusal kept
# A rehearsal's materialization is never the document's state: its first entry says so.
REHEARSAL = "cutter/REHEARSAL"
REHEARSAL_NOTE = "REHEARSAL (dryrun) — nothing was committed; not the document's state"
# A voided run's materializations cannot be edited: an observation of each says so.
VOIDED = "cutter/VOIDED"


def step_info(context: AssetExecutionContext) -> StepInfo:
    config = context.op_execution_context.op_config or {}
    return StepInfo(
        context.partition_key,
        dict(context.run.tags),
        context.run.run_id,
        mode=config.get("mode"),
        every_phase=_holds_every_phase(context),
    )


def _holds_every_phase(context: AssetExecutionContext) -> bool:
    """Whether this Dagster run materializes every phase asset (its selection,
    or, when it selects none, its whole job)."""
    job = context.op_execution_context.job_def
    selected = context.run.asset_selection or job.asset_layer.selected_asset_keys
    wanted = {p.key for p in catalogue.PHASES if p.asset}
    return wanted <= {key.to_user_string() for key in selected}


def run_phase(
    context: AssetExecutionContext,
    database: CutterDatabase,
    kb: KnowledgeBase,
    phase: Phase,
    *,
    vault: Any = None,
) -> Iterator[MaterializeResult]:
    """The asset shell: the phase, then its evidence as Dagster metadata and
    check results; a STOP fails the step with its one line (a failed internal
    gate after its evidence, the failed checks included: Dagster would
    otherwise fail the step for the blocking check, with its own stack); a
    refusal yields nothing (no materialization) and tags the Dagster run with
    its line."""
    step = step_info(context)
    try:
        result = execute_phase(database, kb, phase, step, vault=vault)
    except CutterStop as stop:
        if stop.code in REFUSED_ACTIONS and not stop.recorded:
            _mark_refused(context, phase.key, stop)
            return
        raise failure_of(stop) from stop.__cause__  # an unexpected error keeps its traceback
    if RUN_ID_TAG not in step.tags:  # opened here: the Dagster run says which cut run
        tags = {RUN_ID_TAG: result.run.run_id, MODE_TAG: result.run.mode}
        context.instance.add_run_tags(context.run.run_id, tags)
    yield _materialize_result(phase.key, result, kb.root_path())
    stopped = gate_stop(result.outcome)  # recorded with the evidence (ledger, STOP doc)
    if stopped is not None:
        stopped.recorded = True
        raise failure_of(stopped)


def _mark_refused(context: AssetExecutionContext, phase_key: str, stop: CutterStop) -> None:
    """The refusal in the run's log and tags (the UI's run list) and as an
    observation of the asset (its history shows it; its status stays)."""
    line = redact(stop.line(), secrets_in_environment())[:TAG_LIMIT]
    detail = redact(stop.detail, secrets_in_environment())[:TAG_LIMIT]
    context.log.error(f"refused, nothing done: {line}")
    context.log_event(
        AssetObservation(
            phase_key,
            partition=context.partition_key,
            metadata={REFUSED: line, STOP_CODE: stop.code.name, STOP_DETAIL: detail},
        )
    )
    context.instance.add_run_tags(context.run.run_id, {REFUSED_TAG: line})


def refusal_in(events) -> CutterStop | None:
    """The refusal a Dagster run's events hold (the first), if any."""
    for event in events:
        if event.event_type_value != "ASSET_OBSERVATION":
            continue
        metadata = event.event_specific_data.asset_observation.metadata
        if STOP_CODE in metadata and REFUSED in metadata:
            return CutterStop(StopCode[metadata[STOP_CODE].value], metadata[STOP_DETAIL].value)
    return None


def _materialize_result(phase_key: str, result: PhaseResult, kb_root: Path) -> MaterializeResult:
    """The phase's evidence as the materialization's metadata: every KB doc by
    its full path (the UI shows it whole, to open or copy), the pins, the
    phase's own entries; a rehearsal's says first and in its tags that it is
    not the document's state."""
    run, outcome, docs = result.run, result.outcome, result.docs
    metadata = {
        **({REHEARSAL: MetadataValue.text(REHEARSAL_NOTE)} if run.mode == Mode.DRYRUN else {}),
        "cutter/run_id": run.run_id,
        "cutter/mode": run.mode,
        "kb_doc": MetadataValue.path(str(kb_root / docs[phase_key].path)),
        "kb_doc_sha256": docs[phase_key].sha256,
        **{
            f"kb_doc/{key}": MetadataValue.path(str(kb_root / doc.path))
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
    return MaterializeResult(
        metadata=metadata, check_results=checks, tags={MODE_TAG: run.mode, RUN_ID_TAG: run.run_id}
    )


def voided_observations(
    run_id: str, doc_code: str, phase_keys: list[str], reason: Path, plan: Path
) -> list[AssetObservation]:
    """One observation per asset the voided run materialized: its history then
    shows, after that materialization, that it is no longer the document's
    state, why (the reason doc) and what became of the drafts (the plan)."""
    return [
        AssetObservation(
            key,
            partition=doc_code,
            metadata={
                VOIDED: MetadataValue.text(
                    f"VOIDED — cut run {run_id} was voided; its materialization is not "
                    "the document's state"
                ),
                "cutter/run_id": run_id,
                "void/reason_doc": MetadataValue.path(str(reason)),
                "void/compensation_plan": MetadataValue.path(str(plan)),
            },
            tags={RUN_ID_TAG: run_id},
        )
        for key in phase_keys
        if catalogue.phase(key).asset
    ]


def _metadata_value(value: Any):
    if isinstance(value, bool | int | float):
        return value
    return MetadataValue.text(redact(str(value), secrets_in_environment())[:500])
