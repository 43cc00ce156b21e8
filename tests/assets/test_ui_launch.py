"""Launching from the UI: the mode is chosen before launch and shown on the
Dagster run, a UI rehearsal runs all eleven phases as the CLI's does, and a
refused launch changes no asset's status and says the true reason."""

from __future__ import annotations

import psycopg2
import pytest
from dagster import DagsterEventType, DagsterInvalidConfigError, materialize

from cutter_assets.assets.enact import ENACT_ASSETS
from cutter_assets.assets.survey import SURVEY_ASSETS
from cutter_assets.assets.write import WRITE_ASSETS
from cutter_assets.core.phases import PHASES
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.definitions import defs
from cutter_assets.graph.jobs import launch_config
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG
from cutter_assets.resources import RESOURCES
from tests.assets.harness import instance_with, materialized, refused, register, run_row, start
from tests.conftest import CORPUS
from tests.db.builders import advance

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
ALL_PHASE_ASSETS = [*SURVEY_ASSETS, *WRITE_ASSETS, *ENACT_ASSETS]


def _open_runs(code: str) -> list[str]:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return ledger.open_runs(conn, code)


def _failures(instance, dagster_run_id: str) -> list:
    return [
        *instance.get_records_for_run(
            dagster_run_id, of_type=DagsterEventType.ASSET_FAILED_TO_MATERIALIZE
        ).records,
        *instance.get_records_for_run(
            dagster_run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records,
    ]


def test_a_launch_that_opens_a_cut_run_must_name_its_mode(cutter_env, db_url):
    register(db_url, "UI-NOMODE", SMALL_LAW)
    with pytest.raises(DagsterInvalidConfigError, match="mode"):
        materialize(
            SURVEY_ASSETS,
            partition_key="UI-NOMODE",
            instance=instance_with("UI-NOMODE"),
            resources=RESOURCES,
        )
    assert _open_runs("UI-NOMODE") == []


def test_the_rehearsal_job_from_the_ui_runs_all_eleven_phases(cutter_env, db_url):
    """Launched as the UI does (its own default config, no cutter tag)."""
    register(db_url, "UI-REHEARSE", SMALL_LAW)
    instance = instance_with("UI-REHEARSE")
    result = defs.resolve_job_def("rehearsal").execute_in_process(
        instance=instance, partition_key="UI-REHEARSE", raise_on_error=False
    )
    assert result.success and refused(result) is None
    assert materialized(result) == [p.key for p in PHASES if p.asset]
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[MODE_TAG] == "dryrun"
    run = run_row(tags[RUN_ID_TAG])
    assert (run.state, run.mode, run.actor) == ("COMPLETED", "dryrun", "dagster-ui")


def test_a_dryrun_of_part_of_the_graph_is_refused_before_any_cut_run(cutter_env, db_url):
    register(db_url, "UI-PARTIAL", SMALL_LAW)
    instance = instance_with("UI-PARTIAL")
    result = materialize(
        SURVEY_ASSETS,
        partition_key="UI-PARTIAL",
        instance=instance,
        resources=RESOURCES,
        run_config=launch_config("dryrun"),
    )
    assert result.success and materialized(result) == []
    assert refused(result).code == StopCode.STOP_STATE
    assert "all eleven phases" in refused(result).detail
    assert _open_runs("UI-PARTIAL") == []
    assert _failures(instance, result.run_id) == []
    assert "STOP_STATE" in instance.get_run_by_id(result.run_id).tags["cutter/refused"]


def test_a_live_ui_survey_pauses_at_sg1_and_a_second_launch_repaints_nothing(cutter_env, db_url):
    register(db_url, "UI-LIVE", SMALL_LAW)
    instance = instance_with("UI-LIVE")
    first = defs.resolve_job_def("survey").execute_in_process(
        instance=instance, partition_key="UI-LIVE", raise_on_error=False
    )
    assert first.success
    tags = instance.get_run_by_id(first.run_id).tags
    run_id = tags[RUN_ID_TAG]
    assert tags[MODE_TAG] == "live"
    assert (run_row(run_id).state, run_row(run_id).mode) == ("AWAITING_CUT_AUTHORIZATION", "live")
    latest = {a.key: instance.get_latest_materialization_event(a.key).run_id for a in SURVEY_ASSETS}

    again = defs.resolve_job_def("survey").execute_in_process(
        instance=instance, partition_key="UI-LIVE", raise_on_error=False
    )
    stop = refused(again)
    assert stop.code == StopCode.STOP_REPLAY_CONFLICT
    assert run_id in stop.detail and "AWAITING_CUT_AUTHORIZATION" in stop.detail
    assert materialized(again) == [] and _failures(instance, again.run_id) == []
    assert {
        a.key: instance.get_latest_materialization_event(a.key).run_id for a in SURVEY_ASSETS
    } == latest
    assert run_row(run_id).state == "AWAITING_CUT_AUTHORIZATION"


def test_a_launch_in_another_mode_than_its_cut_run_is_refused(cutter_env, db_url):
    register(db_url, "UI-MISMATCH", SMALL_LAW)
    run_id = start("UI-MISMATCH", mode="dryrun")
    result = materialize(
        SURVEY_ASSETS,
        partition_key="UI-MISMATCH",
        instance=instance_with("UI-MISMATCH"),
        resources=RESOURCES,
        tags={RUN_ID_TAG: run_id},
        run_config=launch_config("live"),
    )
    stop = refused(result)
    assert stop.code == StopCode.STOP_STATE
    assert "dryrun cut run; this launch asked for live" in stop.detail
    assert run_row(run_id).state == "SURVEYING" and materialized(result) == []


def test_a_cut_and_enacted_version_is_refused_with_the_true_reason(cutter_env, db_url):
    register(db_url, "UI-DONE", SMALL_LAW)
    run_id = start("UI-DONE", mode="live")
    conn = psycopg2.connect(db_url)
    try:
        advance(conn, run_id, "COMPLETED")
        conn.commit()
    finally:
        conn.close()
    with pytest.raises(CutterStop) as stop:
        start("UI-DONE", mode="live")
    assert stop.value.code == StopCode.STOP_REPLAY_CONFLICT
    assert "already cut and enacted" in stop.value.detail and run_id in stop.value.detail
    assert "open cut run" not in stop.value.detail
    assert "register it first" in stop.value.detail
