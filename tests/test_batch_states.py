"""Where a batch member is, from the ledger first and its Dagster run next,
and how a batch command ends: pure functions over the ledger's rows and
Dagster's run records (no database, no daemon)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from dagster import DagsterRunStatus

from cutter_assets.app.batch import STOP_GRACE_SECONDS, final_stop, settled, state_of
from cutter_assets.core.stops import StopCode
from cutter_assets.db.batch import Batch, Member
from cutter_assets.sensors.stops import HELD, HOLD_TAG

NOW = datetime.now(UTC)


def _batch(mode="dryrun", on_failure="quarantine") -> Batch:
    return Batch(str(uuid.uuid4()), mode, on_failure, 2, "tester", NOW)


def _member(state=None, stop_code=None, quarantined=None, recorded=False, started=True) -> Member:
    run_id, dagster_run_id = (str(uuid.uuid4()), str(uuid.uuid4())) if started else (None, None)
    return Member(
        1, "ST-DOC", run_id, dagster_run_id, state, stop_code, "why", quarantined, recorded
    )


def _record(status: DagsterRunStatus, tags=None, ended_ago: float | None = None):
    """What a member's state reads of its Dagster run record: status, tags,
    end time (a queued DagsterRun cannot be built without a code location)."""
    ended = time.time() - ended_ago if ended_ago is not None else None
    return SimpleNamespace(
        dagster_run=SimpleNamespace(status=status, tags=tags or {}), end_time=ended
    )


QUEUED, STARTED = DagsterRunStatus.QUEUED, DagsterRunStatus.STARTED
SUCCESS, FAILURE = DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE
LATE = STOP_GRACE_SECONDS + 1


@pytest.mark.parametrize(
    "batch,member,record,expected",
    [
        (_batch(), _member(started=False), None, "waiting"),
        (_batch(), _member("SURVEYING"), None, "waiting"),  # opened, never submitted
        (_batch(), _member("SURVEYING"), (QUEUED, {}, None), "queued"),
        (_batch(), _member("SURVEYING"), (QUEUED, {HOLD_TAG: HELD}, None), "held"),
        (_batch(), _member("SURVEYING"), (STARTED, {}, None), "running"),
        (_batch(), _member("COMPLETED"), (SUCCESS, {}, 1), "done"),
        (_batch("live"), _member("AWAITING_CUT_AUTHORIZATION"), (SUCCESS, {}, 1), "done"),
        # a live survey has not reached its SG_1 request yet
        (_batch("live"), _member("SURVEYING"), (STARTED, {}, None), "running"),
        # its STOP is recorded, its quarantine not yet; then recorded; then released
        (_batch(), _member("STOPPED", "STOP_STRUCTURE"), (FAILURE, {}, 1), "stopping"),
        (
            _batch(),
            _member("STOPPED", "STOP_STRUCTURE", quarantined="STOP_STRUCTURE: why", recorded=True),
            (FAILURE, {}, 1),
            "quarantined",
        ),
        (_batch(), _member("STOPPED", "STOP_STRUCTURE", recorded=True), (FAILURE, {}, 1), "failed"),
        (_batch(on_failure="continue"), _member("STOPPED"), (FAILURE, {}, 1), "failed"),
        # failed, and the stop sensor records its STOP; unless it has had time enough
        (_batch(on_failure="strict"), _member("SURVEYING"), (FAILURE, {}, 1), "stopping"),
        (_batch(on_failure="strict"), _member("SURVEYING"), (FAILURE, {}, LATE), "failed"),
        (_batch(), _member("STOPPED", "STOP_STRUCTURE"), (FAILURE, {}, LATE), "failed"),
        # the run ended with a refusal, the cut run where it was
        (_batch(), _member("SURVEYING"), (SUCCESS, {"cutter/refused": "STOP_STATE"}, 1), "failed"),
    ],
)
def test_a_members_state(batch, member, record, expected):
    """``record``: (status, tags, seconds since it ended), made when the test runs."""
    made = _record(*record) if record is not None else None
    assert state_of(batch, member, made).state == expected


def test_a_refusal_or_a_stop_is_the_detail():
    refused = _record(DagsterRunStatus.SUCCESS, {"cutter/refused": "STOP_STATE: no"}, ended_ago=1)
    assert state_of(_batch(), _member("SURVEYING"), refused).detail == "STOP_STATE: no"
    late = _record(DagsterRunStatus.FAILURE, ended_ago=STOP_GRACE_SECONDS + 1)
    stopped = state_of(_batch(), _member("STOPPED", "STOP_STRUCTURE"), late)
    assert stopped.detail.startswith("STOPPED STOP_STRUCTURE: why")
    assert "was not recorded by the stop sensor" in stopped.detail


def test_a_batch_settles_when_nothing_moves_by_itself():
    batch, member = _batch(), _member("SURVEYING")
    held = state_of(batch, member, _record(DagsterRunStatus.QUEUED, {HOLD_TAG: HELD}))
    queued = state_of(batch, member, _record(DagsterRunStatus.QUEUED))
    stopping = state_of(batch, member, _record(DagsterRunStatus.FAILURE, ended_ago=1))
    assert settled([held]) and not settled([held, queued]) and not settled([stopping])


def test_a_batch_ends_with_its_first_undone_members_stop():
    batch = _batch(on_failure="continue")
    done = state_of(batch, _member("COMPLETED"), _record(DagsterRunStatus.SUCCESS, ended_ago=1))
    failed = state_of(
        batch, _member("STOPPED", "STOP_STRUCTURE"), _record(DagsterRunStatus.FAILURE, ended_ago=1)
    )
    held = state_of(batch, _member("SURVEYING"), _record(DagsterRunStatus.QUEUED, {HOLD_TAG: HELD}))
    assert final_stop(batch.batch_id, [done]) is None
    stop = final_stop(batch.batch_id, [done, failed, held])
    assert stop.code == StopCode.STOP_STRUCTURE
    assert "2 of 3 member(s) not done (first: ST-DOC failed)" in stop.detail
    assert f"orchestrate inspect --batch-id {batch.batch_id}" in stop.detail
    assert final_stop(batch.batch_id, [held]).code == StopCode.STOP_STATE  # no STOP of its own
