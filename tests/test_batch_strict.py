"""A strict batch stops launching after its first failure: the stop sensor
holds the batch's queued runs in Dagster's queue (the hold tag's concurrency
limit is 0), a run the queue launched before it saw the failure finishes, the
command ends with the failure's STOP, and ``resume-batch`` releases the held
runs."""

from __future__ import annotations

import os
import subprocess
import sys

from dagster import RunsFilter

from cutter_assets.app.orchestration import project_instance
from cutter_assets.core.stops import StopCode
from cutter_assets.sensors.stops import BATCH_TAG, HELD, HOLD_TAG
from tests.assets.harness import register
from tests.conftest import CORPUS
from tests.guards import wait_until
from tests.test_batch import CutplanHeld, members_of

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def _held(instance) -> set[str]:
    runs = instance.get_runs(RunsFilter(tags={HOLD_TAG: HELD}))
    return {run.tags["cutter/doc_code"] for run in runs}


def test_a_strict_batch_holds_its_queue_after_a_failure_until_resumed(
    cli, cutter_env, db_url, tmp_path
):
    """BS-CAPPED fails at mark, one run at a time. BS-TWO is held in the queue,
    or, if the queue launched it before the failure was seen, held inside its
    cutplan phase (the plan's table is locked) until BS-THREE is held in the
    queue: BS-THREE is never launched before resume-batch."""
    register(db_url, "BS-CAPPED", SMALL_LAW, max_units=1)
    for code in ("BS-TWO", "BS-THREE"):
        register(db_url, code, SMALL_LAW)
    listing = tmp_path / "documents.txt"
    listing.write_text("BS-CAPPED\nBS-TWO\nBS-THREE\n", encoding="utf-8")
    held = CutplanHeld(db_url)
    argv = ["--document-ids", str(listing), "--max-concurrent", "1", "--on-failure", "strict"]
    command = [sys.executable, "-m", "cutter_assets.app.cli", "orchestrate", "batch", *argv]
    batch = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    instance = project_instance()
    try:
        wait_until(lambda: "BS-THREE" in _held(instance), 240)
        held.release()
        out, err = batch.communicate(timeout=240)
        launched_before_the_hold = "BS-TWO" not in _held(instance)
    finally:
        held.release()
        if batch.poll() is None:
            batch.kill()
        instance.dispose()

    assert batch.returncode == StopCode.STOP_STRUCTURE.exit_code, err
    expected = "done 1 · failed 1 · held 1 |" if launched_before_the_hold else "failed 1 · held 2 |"
    assert expected in out
    assert "the batch stopped launching after a failure (strict); go on: " in out
    batch_id = next(line.split()[1] for line in out.splitlines() if line.startswith("batch "))

    exit_code, out, err = cli("orchestrate", "resume-batch", "--batch-id", batch_id)

    assert exit_code == StopCode.STOP_STRUCTURE.exit_code, err
    assert "done 2 · failed 1 |" in out
    assert [(m.doc_code, m.state) for m in members_of(batch_id)] == [
        ("BS-CAPPED", "STOPPED"),
        ("BS-TWO", "COMPLETED"),
        ("BS-THREE", "COMPLETED"),
    ]
    instance = project_instance()
    try:
        runs = instance.get_runs(RunsFilter(tags={BATCH_TAG: batch_id}))
        assert sorted(r.status.value for r in runs) == ["FAILURE", "SUCCESS", "SUCCESS"]
    finally:
        instance.dispose()
