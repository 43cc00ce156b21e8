"""A failed Dagster run of a cut run leaves the ledger STOPPED and a STOP doc;
a failed member of a batch then meets its batch's failure policy.

Assets record their own STOPs; this sensor is the backstop for failures
they could not record (a crash, an unexpected exception, a killed worker,
which the daemon's run monitoring fails once it outlives its max runtime).
A run that the daemon ended at its hard cap (run monitoring's max runtime,
or the run's own ``dagster/max_runtime`` tag) is recorded as STOP_HARD_CAP,
any other failure as STOP_INVARIANT_FAILED. A failure that a later Dagster
run of the same cut run has superseded (the cut run was resumed meanwhile)
no longer speaks for the cut run: it is logged, and the cut run is left as
the later run left it.

A cut run that is a batch's member (the ledger says so, not a tag) and
failed meets its batch's policy: ``quarantine`` quarantines its document
(later batches skip it until ``doc release``), ``strict`` holds the batch's
queued runs in Dagster's queue (a tag whose concurrency limit is 0, so the
daemon launches none of them until ``orchestrate resume-batch`` releases
them; a run the queue launched before this sensor saw the failure goes on),
``continue`` does nothing more.
"""

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    run_failure_sensor,
)
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import batch as batches
from cutter_assets.db import ledger
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment
from cutter_assets.runs.stops import handled, record_stop

# The Dagster run of a batch's member names its batch (the UI filters by it);
# the hold tag keeps a queued run in the queue (instance/dagster.yaml).
BATCH_TAG = "cutter/batch_id"
HOLD_TAG, HELD, RELEASED = "cutter/hold", "held", "released"


# Every run of the instance, not only those this code location launched: a stage
# the CLI runs in process has no code location, and its worker can be killed too.
@run_failure_sensor(
    minimum_interval_seconds=1,  # a strict batch holds its queue as soon as it can
    default_status=DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description="A failed Dagster run of a cut run: its STOP and STOP doc recorded "
    "(STOP_HARD_CAP for a run ended at its hard cap), and a failed batch member's policy "
    "met (its document quarantined, or the strict batch's queued runs held).",
)
def stop_sensor(context: RunFailureSensorContext, database: CutterDatabase, kb: KnowledgeBase):
    run = context.dagster_run
    with database.transaction() as conn:
        run_id = run.tags.get(RUN_ID_TAG) or ledger.run_of_dagster_run(conn, run.run_id)
    if run_id is None:
        return
    if not _handled_by_cutter(context.instance, run.run_id):
        later = _later_run(context.instance, run)
        if later is not None:
            context.log.info(
                f"Dagster run {run.run_id} failed, but Dagster run {later} of the same cut run "
                "started after it; its failure is not recorded"
            )
            return
        _record(context, database, kb, run_id)
    _meet_batch_policy(context, database, run_id)


def _record(
    context: RunFailureSensorContext, database: CutterDatabase, kb: KnowledgeBase, run_id: str
) -> None:
    run = context.dagster_run
    cap = _hard_cap(context.instance, run)
    if cap:
        stop = CutterStop(StopCode.STOP_HARD_CAP, cap)
    else:
        reason = context.failure_event.message or "the Dagster run failed"
        stop = CutterStop(StopCode.STOP_INVARIANT_FAILED, redact(reason, secrets_in_environment()))
    if not record_stop(database, kb, run_id, f"dagster run {run.run_id}", stop):
        # Never silent: the tick fails with this line in the Dagster UI (Dagster does
        # not hand this run to the sensor again), and the run keeps its old state.
        raise RuntimeError(f"cut run {run_id}: the STOP could not be recorded")
    context.log.info(
        f"cut run {run_id}: STOP recorded after Dagster run {run.run_id} "
        "(unless the cut run had already ended)"
    )


def _hard_cap(instance, dagster_run) -> str | None:
    """Why the run ended, when it ran as long as its hard cap (the daemon's
    run monitoring ends a run only past it); None when it failed sooner."""
    cap = dagster_run.tags.get(MAX_RUNTIME_SECONDS_TAG) or (
        instance.run_monitoring_max_runtime_seconds if instance.run_monitoring_enabled else 0
    )
    record = instance.get_run_record_by_id(dagster_run.run_id)
    try:
        seconds = float(cap)
    except ValueError:
        return None
    if not seconds or record is None or record.start_time is None or record.end_time is None:
        return None
    if record.end_time - record.start_time < seconds:
        return None
    return (
        f"the Dagster run outlived its hard cap of {seconds:g} s and was ended by the "
        "daemon's run monitoring; the cut run goes no further"
    )


def _meet_batch_policy(
    context: RunFailureSensorContext, database: CutterDatabase, run_id: str
) -> None:
    with database.transaction() as conn:
        batch_id = batches.batch_of_run(conn, run_id)
        if batch_id is None:
            return
        policy = batches.get_batch(conn, batch_id).on_failure
        if policy == batches.QUARANTINE:
            try:
                if batches.quarantine(conn, run_id):
                    context.log.info(f"batch {batch_id}: the document of run {run_id} quarantined")
            except CutterStop as refused:  # the run did not stop (it was refused, say)
                context.log.warning(f"batch {batch_id}: run {run_id} not quarantined: {refused}")
    if policy == batches.STRICT:
        held = hold_queued(context.instance, batch_id)
        context.log.info(f"batch {batch_id} (strict): {held} queued run(s) held after run {run_id}")


def hold_queued(instance, batch_id: str) -> int:
    """Keep the batch's queued runs in the queue; how many were held."""
    return _tag_queued(instance, batch_id, HELD, lambda run: run.tags.get(HOLD_TAG) != HELD)


def release_held(instance, batch_id: str) -> int:
    """Let the daemon launch the batch's held runs again; how many were released."""
    return _tag_queued(instance, batch_id, RELEASED, lambda run: run.tags.get(HOLD_TAG) == HELD)


def _tag_queued(instance, batch_id: str, value: str, wanted) -> int:
    queued = RunsFilter(tags={BATCH_TAG: batch_id}, statuses=[DagsterRunStatus.QUEUED])
    runs = [run for run in instance.get_runs(queued) if wanted(run)]
    for run in runs:
        instance.add_run_tags(run.run_id, {HOLD_TAG: value})
    return len(runs)


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
