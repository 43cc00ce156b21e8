"""A failed Dagster run of a cut run leaves the ledger STOPPED and a STOP doc.

Assets record their own STOPs; this sensor is the backstop for failures
they could not record (a crash, an unexpected exception, a killed worker,
which the daemon's run monitoring fails once it outlives its max runtime).
A failure that a later Dagster run of the same cut run has superseded (the
cut run was resumed meanwhile) no longer speaks for the cut run: it is
logged, and the cut run is left as the later run left it.
"""

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    run_failure_sensor,
)

from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment
from cutter_assets.runs.stops import handled, record_stop


# Every run of the instance, not only those this code location launched: a stage
# the CLI runs in process has no code location, and its worker can be killed too.
@run_failure_sensor(
    description=(
        "Records the STOP (ledger STOPPED and a STOP doc in the run's KB folder) of a cut run "
        "whose Dagster run failed without recording it: a crash, a killed worker, run "
        "monitoring's runtime cap."
    ),
    minimum_interval_seconds=5,
    default_status=DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
)
def stop_sensor(context: RunFailureSensorContext, database: CutterDatabase, kb: KnowledgeBase):
    run = context.dagster_run
    if _handled_by_cutter(context.instance, run.run_id):
        return
    later = _later_run(context.instance, run)
    if later is not None:
        context.log.info(
            f"Dagster run {run.run_id} failed, but Dagster run {later} of the same cut run "
            "started after it; its failure is not recorded"
        )
        return
    reason = redact(
        context.failure_event.message or "the Dagster run failed", secrets_in_environment()
    )
    with database.transaction() as conn:
        run_id = run.tags.get(RUN_ID_TAG) or ledger.run_of_dagster_run(conn, run.run_id)
    if run_id is None:
        return
    stop = CutterStop(StopCode.STOP_INVARIANT_FAILED, reason)
    if not record_stop(database, kb, run_id, "dagster run " + run.run_id, stop):
        # Never silent: the tick fails with this line in the Dagster UI (Dagster does
        # not hand this run to the sensor again), and the run keeps its old state.
        raise RuntimeError(f"cut run {run_id}: the STOP could not be recorded")
    context.log.info(
        f"cut run {run_id}: STOP recorded after Dagster run {run.run_id} "
        "(unless the cut run had already ended)"
    )


def _later_run(instance, dagster_run) -> str | None:
    """The newest Dagster run of the same cut run, when it is not this one."""
    cut_run = dagster_run.tags.get(RUN_ID_TAG)
    if cut_run is None:
        return None
    newest = instance.get_runs(RunsFilter(tags={RUN_ID_TAG: cut_run}), limit=1)
    return newest[0].run_id if newest and newest[0].run_id != dagster_run.run_id else None


def _handled_by_cutter(instance, dagster_run_id: str) -> bool:
    """True when every failed step ended in a cutter STOP the asset handled
    (recorded it, or refused the action and left the run as it was)."""
    failures = [
        record.event_log_entry.dagster_event
        for record in instance.get_records_for_run(
            dagster_run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records
    ]
    return bool(failures) and all(
        (
            event.step_failure_data.user_failure_data is not None
            and handled(event.step_failure_data.user_failure_data)
        )
        for event in failures
    )
