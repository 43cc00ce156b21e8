"""A batch outlives its daemon. Killed mid-batch with its whole process group
(the code server and the run worker with it), the daemon leaves one member's
Dagster run STARTED with no worker and the others queued: ``resume-batch``
fails the orphan (the stop sensor then records its STOP), a new daemon
launches the queued members, and no document gets a second cut run. A member
whose cut run was opened and linked but whose Dagster run was never created
(the command died in between) is launched under the id the ledger recorded."""

from __future__ import annotations

import os
import signal

from cutter_assets.app.batch import WORKER_GONE, open_member, open_new_batch, submit_members
from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import project_instance
from cutter_assets.core.stops import StopCode
from cutter_assets.db import batch as batches
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources import RESOURCES
from tests.assets.flow import count
from tests.assets.harness import register
from tests.conftest import CORPUS
from tests.guards import wait_until
from tests.test_batch import CutplanHeld, members_of

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
CODES = ["BR-ONE", "BR-TWO", "BR-THREE", "BR-FOUR"]


def test_resume_batch_finishes_a_batch_whose_daemon_was_killed(cli, cutter_env, db_url, tmp_path):
    for code in CODES:
        register(db_url, code, SMALL_LAW)
    batch_id, _ = open_new_batch(
        CODES, mode="dryrun", on_failure="continue", max_concurrent=1, actor="tester"
    )
    with RESOURCES["database"].transaction(commit=False) as conn:
        batch = batches.get_batch(conn, batch_id)
    # BR-FOUR as a command that died between opening its cut run and submitting it leaves it
    recorded = open_member(batch, members_of(batch_id)[3])
    assert members_of(batch_id)[3].dagster_run_id == recorded[1]

    held = CutplanHeld(db_url)  # the first member waits in its cutplan phase
    instance = project_instance()
    daemon = DagsterDaemon(DatabaseServer(load_settings()), tmp_path / "killed.log").__enter__()
    try:
        assert submit_members(batch_id, instance) == []
        wait_until(lambda: held.waiting() == 1, 180, daemon=daemon)
        os.killpg(daemon.group, signal.SIGKILL)  # the daemon, its code server, the worker
        daemon.proc.wait(30)
    finally:
        held.release()
        instance.dispose()

    exit_code, out, err = cli("orchestrate", "resume-batch", "--batch-id", batch_id)

    assert f"failed    BR-ONE: {WORKER_GONE}" in out
    assert exit_code == StopCode.STOP_INVARIANT_FAILED.exit_code, err
    assert "1 of 4 member(s) not done (first: BR-ONE failed)" in err
    members = members_of(batch_id)
    assert [(m.doc_code, m.state) for m in members] == [
        ("BR-ONE", "STOPPED"),
        ("BR-TWO", "COMPLETED"),
        ("BR-THREE", "COMPLETED"),
        ("BR-FOUR", "COMPLETED"),
    ]
    assert WORKER_GONE in members[0].stop_detail
    assert (members[3].run_id, members[3].dagster_run_id) == recorded
    for code in CODES:  # no document cut twice
        runs = "SELECT count(*) FROM cutter_governance.orchestrator_run WHERE doc_code = %s"
        assert count(db_url, runs, (code,)) == 1
    instance = project_instance()
    try:
        assert instance.get_run_by_id(recorded[1]).is_success
    finally:
        instance.dispose()
