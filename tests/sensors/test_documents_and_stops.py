"""The document sensor and the stop sensor, evaluated with Dagster's test
contexts against a real instance and database."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    Failure,
    RunRequest,
    SkipReason,
    asset,
    build_run_status_sensor_context,
    build_sensor_context,
    materialize,
)
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from cutter_assets.assets.survey import source_pin, structure_review
from cutter_assets.graph.partitions import RUN_ID_TAG, documents
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.documents import document_sensor
from cutter_assets.sensors.stops import stop_sensor
from tests.assets.harness import instance_with, kb_files, register, run_row, start, survey
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def _evaluate(instance):
    with build_sensor_context(instance=instance, resources=RESOURCES) as context:
        return document_sensor(context)


def test_every_registered_document_becomes_a_partition(cutter_env, db_url):
    instance = DagsterInstance.ephemeral()
    register(db_url, "SENS-ONE", SMALL_LAW)
    register(db_url, "SENS-TWO", SMALL_LAW)
    result = _evaluate(instance)
    (request,) = result.dynamic_partitions_requests
    assert request.partitions_def_name == "documents"
    assert {"SENS-ONE", "SENS-TWO"} <= set(request.partition_keys)
    instance.add_dynamic_partitions(documents.name, list(request.partition_keys))
    again = _evaluate(instance)
    assert isinstance(again, SkipReason)
    register(db_url, "SENS-THREE", SMALL_LAW)
    third = _evaluate(instance)
    assert list(third.dynamic_partitions_requests[0].partition_keys) == ["SENS-THREE"]
    assert not any(isinstance(r, RunRequest) for r in third.run_requests or [])


def _failed_run(instance, run_id: str, *, cutter_stop: bool, handled: bool = True):
    @asset
    def crashing_step():
        if cutter_stop:
            raise Failure(
                description="STOP_STATE: refused",
                metadata={"stop_code": "STOP_STATE", "stop_handled": handled},
            )
        raise RuntimeError("the worker died in the middle")

    result = materialize(
        [crashing_step], instance=instance, tags={RUN_ID_TAG: run_id}, raise_on_error=False
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
    return run, failure.records[0].event_log_entry.dagster_event


def _evaluate_stop(instance, dagster_run, event):
    with build_run_status_sensor_context(
        sensor_name="stop_sensor",
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=dagster_run,
        resources=RESOURCES,
    ).for_run_failure() as context:
        stop_sensor(context)


def test_an_unhandled_failure_stops_the_cut_run_with_a_stop_doc(cutter_env, db_url):
    code = "SENS-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = DagsterInstance.ephemeral()
    dagster_run, event = _failed_run(instance, run_id, cutter_stop=False)
    _evaluate_stop(instance, dagster_run, event)
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_INVARIANT_FAILED")
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run)
    assert [n for n in docs if n.startswith("STOP-STOP_INVARIANT_FAILED-")]
    _evaluate_stop(instance, dagster_run, event)  # evaluating again adds nothing
    assert kb_files(cutter_env["CUTTER_KB_ROOT"], run) == docs


def test_a_run_as_long_as_its_hard_cap_is_stopped_with_its_own_code(cutter_env, db_url):
    """A run that failed once it had run for its max runtime was ended at its hard
    cap (run monitoring ends a run no sooner): STOP_HARD_CAP, naming the cap."""
    code = "SENS-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = DagsterInstance.ephemeral()

    @asset
    def outlived_step():
        time.sleep(1.2)
        raise RuntimeError("ended by the daemon")

    result = materialize(
        [outlived_step],
        instance=instance,
        tags={RUN_ID_TAG: run_id, MAX_RUNTIME_SECONDS_TAG: "1"},
        raise_on_error=False,
    )
    failure = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
    event = failure.records[0].event_log_entry.dagster_event
    _evaluate_stop(instance, instance.get_run_by_id(result.run_id), event)
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_HARD_CAP")
    assert run.stop_detail.startswith(f"dagster run {result.run_id}: ")
    assert "outlived its hard cap of 1 s" in run.stop_detail
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run)
    (stop_doc,) = [text for name, text in docs.items() if name.startswith("STOP-STOP_HARD_CAP-")]
    assert "outlived its hard cap of 1 s" in stop_doc


def test_a_refused_action_does_not_stop_the_cut_run(cutter_env, db_url):
    code = "SENS-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = DagsterInstance.ephemeral()
    dagster_run, event = _failed_run(instance, run_id, cutter_stop=True)
    _evaluate_stop(instance, dagster_run, event)
    assert run_row(run_id).state == "SURVEYING"
    assert survey(code, run_id).success  # the run goes on


def test_a_stop_the_asset_could_not_record_is_recorded_by_the_sensor(cutter_env, db_url):
    code = "SENS-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = DagsterInstance.ephemeral()
    dagster_run, event = _failed_run(instance, run_id, cutter_stop=True, handled=False)
    _evaluate_stop(instance, dagster_run, event)
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_INVARIANT_FAILED")


def test_a_stop_whose_doc_cannot_be_written_still_stops_the_run(cutter_env, db_url):
    code = "SENS-" + uuid.uuid4().hex[:5].upper()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    assert survey(code, run_id, assets=[source_pin]).success
    folder = Path(cutter_env["CUTTER_KB_ROOT"]) / run_row(run_id).kb_folder
    folder.rename(folder.with_name(folder.name + ".moved"))
    folder.write_text("a file where the run's KB folder was\n")  # no doc can go there now

    instance = instance_with(code)
    result = survey(code, run_id, assets=[structure_review], instance=instance)

    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    metadata = failure.step_failure_data.user_failure_data.metadata
    # the earlier doc is gone with its folder: the drift check stops the run first
    assert metadata["stop_code"].value == "STOP_DRIFT_KB"
    assert metadata["stop_handled"].value is True
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_DRIFT_KB")
    assert "no STOP doc" in run.stop_detail
    dagster_run = result.dagster_run
    (record,) = instance.get_records_for_run(
        dagster_run.run_id, of_type=DagsterEventType.RUN_FAILURE
    ).records
    _evaluate_stop(instance, dagster_run, record.event_log_entry.dagster_event)
    assert run_row(run_id).stop_detail == run.stop_detail  # handled: the sensor adds nothing
