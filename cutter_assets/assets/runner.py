"""The Dagster shell of a phase: the step's partition, tags and run id in;
the phase's evidence out as asset metadata and check results; a STOP out as
the step's failure (runs/stops.py). Everything else is runs/phase.py."""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue

from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment
from cutter_assets.runs.phase import Phase, PhaseResult, StepInfo, execute_phase
from cutter_assets.runs.stops import failure_of


def step_info(context: AssetExecutionContext) -> StepInfo:
    return StepInfo(context.partition_key, dict(context.run.tags), context.run.run_id)


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
        result = execute_phase(database, kb, phase, step_info(context), vault=vault)
    except CutterStop as stop:
        raise failure_of(stop) from stop.__cause__  # an unexpected error keeps its traceback
    return _materialize_result(phase.key, result)


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


def _metadata_value(value: Any):
    if isinstance(value, bool | int | float):
        return value
    return MetadataValue.text(redact(str(value), secrets_in_environment())[:500])
