"""A Dagster run whose worker was killed does not stay STARTED for ever: the
project's instance enables run monitoring, the daemon fails such a run once
it outlives its max runtime, and the stop sensor then records the cut run's
STOP (STOP_HARD_CAP: the max runtime is the hard cap). A failure that a
later Dagster run of the same cut run superseded (the cut run was resumed
meanwhile) is not recorded over it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import psycopg2
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
    asset,
    build_run_status_sensor_context,
    materialize,
)
from dagster._core.instance.config import dagster_instance_config
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.scheduler.instigation import InstigatorType
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.sovereign import arm, disarm
from cutter_assets.db.server import DatabaseServer
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.platform.settings import DAGSTER_YAML_TEMPLATE, load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.stops import stop_sensor
from tests.assets.flow import approve, count, live_to_sg1, rehearse
from tests.assets.harness import kb_files, register, run_row, start
from tests.conftest import CORPUS
from tests.guards import wait_until

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def test_the_instance_config_enables_run_monitoring():
    config, _ = dagster_instance_config(str(DAGSTER_YAML_TEMPLATE.parent))  # validated
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["max_resume_run_attempts"] == 0  # the DefaultRunLauncher cannot resume
    assert 0 < monitoring["poll_interval_seconds"] <= 60
    assert 0 < monitoring["start_timeout_seconds"] <= 300
    # a STARTED run with a dead worker is failed only by its max runtime, which
    # must stay well above a stage's minutes
    assert 600 <= monitoring["max_runtime_seconds"] <= 3600


# ---- the stop sensor: a superseded failure is not recorded -------------------------
def test_a_failure_superseded_by_a_later_run_of_the_cut_run_is_not_recorded(cutter_env, db_url):
    code = "MON-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = DagsterInstance.ephemeral()

    @asset
    def killed_step():
        raise RuntimeError("the worker died in the middle")

    @asset
    def later_step():
        return 1

    tags = {RUN_ID_TAG: run_id}
    failed = materialize([killed_step], instance=instance, tags=tags, raise_on_error=False)
    assert materialize([later_step], instance=instance, tags=tags).success
    (record,) = instance.get_records_for_run(
        failed.run_id, of_type=DagsterEventType.RUN_FAILURE
    ).records
    with build_run_status_sensor_context(
        sensor_name="stop_sensor",
        dagster_event=record.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(failed.run_id),
        resources=RESOURCES,
    ).for_run_failure() as context:
        stop_sensor(context)
    assert run_row(run_id).state == "SURVEYING"  # as the later run left it


# ---- the daemon: a killed stage is failed, and its cut run STOPPED --------------------


def _kill_waiting_on(db_url: str, table: str, function: str, *argv: str) -> None:
    """`cutter *argv` SIGKILLed while it waits for a lock on ``table`` inside
    ``function``: its Dagster run (on the project's instance) is left STARTED,
    with no worker, and its transaction is rolled back."""
    blocker = psycopg2.connect(db_url)
    blocker.cursor().execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    worker = subprocess.Popen(
        [sys.executable, "-m", "cutter_assets.app.cli", *argv],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    waiting = (
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = %s AND NOT l.granted"
    )
    try:
        wait_until(lambda: count(db_url, waiting, (table.split(".")[-1],)) > 0)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        blocker.rollback()
        blocker.close()
    busy = (
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutter' "
        "AND query LIKE %s AND state <> 'idle'"
    )
    wait_until(lambda: count(db_url, busy, (f"%{function}%",)) == 0)


def _cut_run_of(db_url: str, doc_code: str) -> str:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT run_id::text FROM cutter_governance.orchestrator_run WHERE doc_code = %s",
            (doc_code,),
        )
        (run_id,) = cur.fetchone()
    return run_id


def _stop_sensor_ticked(instance: DagsterInstance) -> bool:
    """The stop sensor has its cursor: it sees every run failure from now on
    (a run status sensor's first tick skips the failures before it)."""
    return any(
        state.name == "stop_sensor" and state.instigator_data and state.instigator_data.cursor
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
    )


def _failed(instance: DagsterInstance, dagster_run_id: str) -> bool:
    return instance.get_run_by_id(dagster_run_id).status == DagsterRunStatus.FAILURE


def _started(instance: DagsterInstance, run_id: str) -> str:
    """The one Dagster run of the cut run that is STARTED (and nobody runs)."""
    started = RunsFilter(tags={RUN_ID_TAG: run_id}, statuses=[DagsterRunStatus.STARTED])
    (run,) = instance.get_runs(started)
    return run.run_id


def test_killed_stages_are_failed_by_run_monitoring_and_the_stop_sensor_stops_the_right_runs(
    governed_env, db_url, tmp_path, monkeypatch
):
    """A killed live survey: its cut run STOPPED. A killed write whose cut run
    the approval sensor continued meanwhile (its recorded approval requested
    again): the cut run goes on, and the old failure is not recorded over it."""
    register(db_url, "MON-SURVEY", SMALL_LAW)
    cut = ("orchestrate", "cut", "--document-id", "MON-SURVEY", "--mode", "live")
    _kill_waiting_on(db_url, "cutter_governance.cutplan_row", "fn_cutplan_save", *cut)
    surveyed = _cut_run_of(db_url, "MON-SURVEY")
    register(db_url, "MON-WRITE", SMALL_LAW)
    rehearse("MON-WRITE")
    written = live_to_sg1("MON-WRITE")
    arm(written)
    approve(written, "SG_1", governed_env["sovereign"])
    resume = ("orchestrate", "resume", "--run-id", written)
    table = "cutter_governance.cut_change_set_affected_row"
    _kill_waiting_on(db_url, table, "fn_iu_create", *resume)
    assert run_row(surveyed).state == "SURVEYING"
    assert run_row(written).state == "AWAITING_CUT_AUTHORIZATION"  # leg A rolled back

    server = DatabaseServer(load_settings())
    for name, value in server.dagster_env().items():
        monkeypatch.setenv(name, value)
    instance = DagsterInstance.get()
    try:
        assert instance.run_monitoring_enabled
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        killed = [_started(instance, written), _started(instance, surveyed)]
        with DagsterDaemon(server, tmp_path / "daemon.log") as daemon:
            wait_until(lambda: _stop_sensor_ticked(instance), daemon=daemon)
            later = RunsFilter(tags={RUN_ID_TAG: written})
            sensor_wrote = lambda: len(instance.get_runs(later)) == 2  # noqa: E731
            wait_until(sensor_wrote, daemon=daemon)
            for dagster_run_id in killed:  # their max runtime, shortened for the test
                instance.add_run_tags(dagster_run_id, {MAX_RUNTIME_SECONDS_TAG: "1"})
            for dagster_run_id in killed:
                wait_until(lambda r=dagster_run_id: _failed(instance, r), daemon=daemon)
            wait_until(lambda: run_row(surveyed).state == "STOPPED", 30, daemon=daemon)
            waiting = "AWAITING_LIFECYCLE_AUTHORIZATION"
            wait_until(lambda: run_row(written).state == waiting, 30, daemon=daemon)
    finally:
        instance.dispose()
        disarm()
    run = run_row(surveyed)
    # ended by its (shortened) hard cap, and recorded as such
    assert run.stop_code == "STOP_HARD_CAP" and killed[1] in run.stop_detail
    assert "outlived its hard cap of 1 s" in run.stop_detail
    docs = kb_files(governed_env["CUTTER_KB_ROOT"], run)
    assert [name for name in docs if name.startswith("STOP-STOP_HARD_CAP-")]
    # the write's failure came first (the newest run is failed first) and was passed over
    assert run_row(written).state == "AWAITING_LIFECYCLE_AUTHORIZATION"
