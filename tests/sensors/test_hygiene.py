"""What the Dagster UI shows of cutter: a description for every sensor and
check, a refused approval as the approval sensor's skip reason, a handled
STOP as its one line, and partitions that are exactly the registered
documents (added by ``doc add`` at once, a stray key deleted by the
document sensor, a launch of one refused)."""

from __future__ import annotations

import json
import os
import time

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    Failure,
    RetryPolicy,
    SkipReason,
    asset,
    build_sensor_context,
    materialize,
)

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import project_instance
from cutter_assets.assets.survey import source_pin, structure_review
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.server import DatabaseServer
from cutter_assets.definitions import defs
from cutter_assets.graph.partitions import documents
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.resources.kb import LAWS_DIR
from cutter_assets.runs.stops import failure_of
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.sensors.documents import document_sensor
from tests.assets.flow import last_attempt, live_to_sg1, place, rehearse, signed_doc
from tests.assets.harness import instance_with, refused, register, run_row, start, survey
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def test_every_sensor_and_check_says_what_it_does():
    repository = defs.get_repository_def()
    sensors = {sensor.name: sensor.description for sensor in repository.sensor_defs}
    assert set(sensors) == {"approval_sensor", "document_sensor", "stop_sensor"}
    assert all(description and description.strip() for description in sensors.values()), sensors
    graph = repository.asset_graph
    checks = {key.name: graph.get_check_spec(key).description for key in graph.asset_check_keys}
    assert checks
    assert all(description and description.strip() for description in checks.values()), checks


# ---- the approval sensor's skip reason -----------------------------------------
@pytest.fixture
def own_kb(monkeypatch, tmp_path):
    """A KB of the test's own: a tick sees only the approvals this test placed."""
    monkeypatch.setenv("CUTTER_KB_ROOT", str(tmp_path / "kb"))
    return tmp_path / "kb"


def _tick(cursor=None):
    with (
        DagsterInstance.ephemeral() as instance,
        build_sensor_context(instance=instance, resources=RESOURCES, cursor=cursor) as context,
    ):
        return approval_sensor(context)


def _unsigned_approval(kb, doc_code: str):
    """A doc named like an approval that is no signed approval; KB-relative path."""
    folder = kb / LAWS_DIR / doc_code / "v0123456789abcdef-automation-cut-20261121"
    folder.mkdir(parents=True)
    doc = folder / "SG1-cut-authz-approval-20261121.md"
    doc.write_text("---\ngate: SG_1_cut_authz\n---\nnot signed\n", encoding="utf-8")
    return str(doc.relative_to(kb))


def test_a_refused_approval_is_the_sensor_skip_reason(governed_env, db_url, stranger_key, own_kb):
    register(db_url, "HYG-APPROVAL", SMALL_LAW)
    rehearse("HYG-APPROVAL")
    run = live_to_sg1("HYG-APPROVAL")
    bad = place(run, "SG_1", signed_doc(run, "SG_1", stranger_key), name="SG1-cut-authz-approval-x")
    first = _tick()
    outcome, reason = last_attempt(db_url, bad)  # still recorded where it always was
    assert first.run_requests == [] and outcome == "refused"
    code = reason.split(":")[0]
    assert first.skip_reason.skip_message.startswith(f"1 approval doc(s) refused: {bad} refused: ")
    assert code in first.skip_reason.skip_message

    # the next ticks find nothing new, and the refusal stays in sight
    doc = own_kb / bad
    before = doc.stat()
    doc.write_bytes(b"x" * before.st_size)  # same size and mtime: a tick only stats
    os.utime(doc, ns=(before.st_atime_ns, before.st_mtime_ns))
    idle = _tick(first.cursor)
    assert idle.run_requests == [] and idle.cursor == first.cursor
    assert idle.skip_reason.skip_message.startswith(
        f"no new approval doc (1 evaluated); the newest, {bad}, was refused: {code}"
    )
    assert last_attempt(db_url, bad) == (outcome, reason)  # neither read nor evaluated again

    good = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]))
    accepted = _tick(idle.cursor)
    assert [r.tags["cutter/run_id"] for r in accepted.run_requests] == [run]
    assert accepted.skip_reason is None and last_attempt(db_url, good)[0] == "accepted"
    later = _tick(accepted.cursor)
    assert later.skip_reason.skip_message == "no new approval doc (2 evaluated)"


def test_a_cursor_of_bare_digests_is_still_honoured(cutter_env, db_url, own_kb):
    """A cursor written before the sensor kept stats: the docs it names are not
    evaluated again (no new attempt), and are stat-ed from then on."""
    path = _unsigned_approval(own_kb, "HYG-LEGACY")
    first = _tick()
    attempts = last_attempt(db_url, path)
    assert attempts[0] == "refused"
    (row,) = json.loads(first.cursor)
    upgraded = _tick(json.dumps([row[3]]))  # the sha256 alone, as the old cursor held it
    assert last_attempt(db_url, path) == attempts
    assert [entry[:4] for entry in json.loads(upgraded.cursor)] == [row[:4]]


# ---- a handled STOP in the UI ----------------------------------------------------
def test_a_handled_stop_fails_its_step_with_its_one_line(cutter_env, db_url):
    register(db_url, "HYG-STOP", SMALL_LAW)
    run_id = start("HYG-STOP")
    assert survey("HYG-STOP", run_id, assets=[source_pin]).success
    for doc in (RESOURCES["kb"].root_path() / run_row(run_id).kb_folder).glob("*.md"):
        doc.unlink()  # the KB lost source_pin's doc: the next phase stops the run
    instance = instance_with("HYG-STOP")
    result = survey("HYG-STOP", run_id, assets=[structure_review], instance=instance)
    (record,) = instance.get_records_for_run(
        result.run_id, of_type=DagsterEventType.STEP_FAILURE
    ).records
    run = run_row(run_id)
    assert run.state == "STOPPED"
    failure = record.event_log_entry.dagster_event.step_failure_data
    line = failure.user_failure_data.description
    assert line.startswith(f"{run.stop_code}: ") and "\n" not in line
    assert failure.user_failure_data.metadata["stop_handled"].value is True
    # The UI prints the stored error (message, class, stack, causes) and the
    # metadata: a handled STOP's error is its one line, no stack, no causes.
    assert failure.error.message == line and failure.error.cls_name == run.stop_code
    assert failure.error.stack == [] and failure.error.to_string() == line
    assert failure.error.cause is None and failure.error.context is None


@pytest.mark.parametrize(
    "failure, retries",
    [
        (lambda: failure_of(CutterStop(StopCode.STOP_DRIFT_KB, "a doc is gone")), 0),
        (lambda: Failure("any other failure"), 2),  # the policy does retry other failures
    ],
)
def test_a_stop_is_never_retried(failure, retries):
    @asset(retry_policy=RetryPolicy(max_retries=2))
    def stopping():
        raise failure() from None

    with DagsterInstance.ephemeral() as instance:
        result = materialize([stopping], instance=instance, raise_on_error=False)
    kinds = [event.event_type for event in result.all_events]
    assert kinds.count(DagsterEventType.STEP_UP_FOR_RETRY) == retries
    assert kinds.count(DagsterEventType.STEP_FAILURE) == 1


def test_a_stop_an_unexpected_error_caused_keeps_that_error_s_traceback():
    @asset
    def breaking():
        try:
            try:
                raise OSError("the disk is gone")
            except OSError as err:
                raise CutterStop(StopCode.STOP_INVARIANT_FAILED, "could not write") from err
        except CutterStop as stop:
            raise failure_of(stop) from stop.__cause__

    with DagsterInstance.ephemeral() as instance:
        result = materialize([breaking], instance=instance, raise_on_error=False)
    (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error
    assert error.message.rstrip().endswith("STOP_INVARIANT_FAILED: could not write")
    assert error.stack and "the disk is gone" in error.cause.message


# ---- partitions: exactly the registered documents ----------------------------------
def _reconcile(instance):
    with build_sensor_context(instance=instance, resources=RESOURCES) as context:
        return document_sensor(context)


def test_a_key_that_names_no_document_is_deleted_and_its_launch_refused(cutter_env, db_url):
    register(db_url, "HYG-KNOWN", SMALL_LAW)
    instance = instance_with("HYG-KNOWN")
    instance.add_dynamic_partitions(documents.name, ["HYG-TYPO", "not a code"])
    # "Add partition" in the launch dialog made the key: a launch of it is refused
    launched = survey("HYG-TYPO", None, assets=[source_pin], instance=instance)
    assert launched.success and not launched.get_asset_materialization_events()
    assert refused(launched).line().startswith("STOP_DOCUMENT_UNKNOWN: ")

    requests = {
        type(request).__name__: sorted(request.partition_keys)
        for request in _reconcile(instance).dynamic_partitions_requests
    }
    assert requests["DeleteDynamicPartitionsRequest"] == ["HYG-TYPO", "not a code"]
    assert "HYG-KNOWN" not in requests.get("AddDynamicPartitionsRequest", [])
    for key in requests["DeleteDynamicPartitionsRequest"]:
        instance.delete_dynamic_partition(documents.name, key)
    instance.add_dynamic_partitions(documents.name, requests.get("AddDynamicPartitionsRequest", []))
    assert isinstance(_reconcile(instance), SkipReason)  # in step now


def test_doc_add_makes_the_partition_at_once(cutter_env, cli):
    for _ in range(2):  # registered, then unchanged: the partition is there both times
        exit_code, _, err = cli(
            "doc", "add", "--code", "HYG-ADDED", "--language", "vi", str(SMALL_LAW)
        )
        assert exit_code == 0, err
        instance = project_instance()
        try:
            assert instance.has_dynamic_partition(documents.name, "HYG-ADDED")
        finally:
            instance.dispose()


# ---- the same, through the real daemon ----------------------------------------------
def _until(found, daemon: DagsterDaemon, seconds: int = 240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert daemon.running(), daemon.log.read_text()[-3000:]
        value = found()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"not in time; daemon log:\n{daemon.log.read_text()[-3000:]}")


def _skip_reason_naming(instance, sensor: str, text: str) -> str | None:
    """The skip reason of one of the sensor's newest ticks that names ``text``."""
    for state in instance.all_instigator_state():
        if state.name == sensor:
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=20):
                if tick.skip_reason and text in tick.skip_reason:
                    return tick.skip_reason
    return None


def test_the_daemon_deletes_stray_keys_and_shows_refusals(cutter_env, own_kb, tmp_path):
    refused_doc = _unsigned_approval(own_kb, "HYG-NONE")
    instance = project_instance()
    try:
        instance.add_dynamic_partitions(documents.name, ["HYG-STRAY"])
        with DagsterDaemon(DatabaseServer(load_settings()), tmp_path / "daemon.log") as daemon:
            _until(lambda: not instance.has_dynamic_partition(documents.name, "HYG-STRAY"), daemon)
            skip = _until(
                lambda: _skip_reason_naming(instance, "approval_sensor", refused_doc), daemon
            )
        assert f"{refused_doc} refused: " in skip
    finally:
        instance.dispose()
