"""A failed Dagster run of a cut run leaves the ledger STOPPED and a STOP doc.

Assets record their own STOPs; this sensor is the backstop for failures
they could not record (a crash, an unexpected exception, a killed worker).
"""

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from cutter_assets.assets.runner import write_stop_doc
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.partitions import RUN_ID_TAG
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment


@run_failure_sensor(minimum_interval_seconds=5, default_status=DefaultSensorStatus.RUNNING)
def stop_sensor(context: RunFailureSensorContext, database: CutterDatabase, kb: KnowledgeBase):
    run = context.dagster_run
    if _handled_by_cutter(context.instance, run.run_id):
        return
    reason = redact(
        context.failure_event.message or "the Dagster run failed", secrets_in_environment()
    )
    with database.transaction() as conn:
        run_id = run.tags.get(RUN_ID_TAG) or ledger.run_of_dagster_run(conn, run.run_id)
        if run_id is None:
            return
        if ledger.stop_run(conn, run_id, StopCode.STOP_INVARIANT_FAILED.name, reason):
            write_stop_doc(
                kb,
                ledger.get_run(conn, run_id),
                "dagster run " + run.run_id,
                CutterStop(StopCode.STOP_INVARIANT_FAILED, reason),
            )
            context.log.info(f"cut run {run_id} marked STOPPED after Dagster run {run.run_id}")


def _handled_by_cutter(instance, dagster_run_id: str) -> bool:
    """True when every failed step ended in a cutter STOP the asset already
    handled (recorded it, or refused the action and left the run as it was)."""
    failures = [
        record.event_log_entry.dagster_event
        for record in instance.get_records_for_run(
            dagster_run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records
    ]
    return bool(failures) and all(
        (
            event.step_failure_data.user_failure_data is not None
            and "stop_code" in event.step_failure_data.user_failure_data.metadata
        )
        for event in failures
    )
