"""The continuation through the real Dagster daemon: signed approvals dropped
into the KB are picked up by the approval sensor, which launches the write
and enact stages on the project's Postgres-backed instance."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

from dagster import RunsFilter

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import project_instance
from cutter_assets.app.sovereign import arm
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings
from tests.assets.flow import live_to_sg1, place, rehearse, signed_doc
from tests.assets.harness import register, run_row
from tests.conftest import CORPUS


def _wait_for_state(run_id: str, state: str, daemon: DagsterDaemon, seconds: int = 240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert daemon.running(), daemon.log.read_text()[-3000:]
        current = run_row(run_id).state
        if current == state:
            return
        assert current != "STOPPED", run_row(run_id).stop_detail
        time.sleep(1)
    raise AssertionError(f"not {state} in time; daemon log:\n{daemon.log.read_text()[-3000:]}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_daemon_continues_a_cut_from_signed_approvals(governed_env, db_url, tmp_path):
    register(db_url, "DAEMON-LAW", CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt")
    rehearse("DAEMON-LAW")
    run_id = live_to_sg1("DAEMON-LAW")
    arm(run_id)
    server = DatabaseServer(load_settings())
    with DagsterDaemon(server, tmp_path / "daemon.log") as daemon:
        sg1 = place(run_id, "SG_1", signed_doc(run_id, "SG_1", governed_env["sovereign"]))
        _wait_for_state(run_id, "AWAITING_LIFECYCLE_AUTHORIZATION", daemon)
        sg2 = place(run_id, "SG_2", signed_doc(run_id, "SG_2", governed_env["sovereign"]))
        _wait_for_state(run_id, "COMPLETED", daemon)
        group = daemon.group
    # the daemon and the code server it started are both gone
    assert not _group_alive(group)
    instance = project_instance()
    try:
        runs = instance.get_runs(RunsFilter(tags={"cutter/run_id": run_id}))
        keys = {r.tags.get("dagster/run_key") for r in runs}
        root = Path(governed_env["CUTTER_KB_ROOT"])
        for doc in (sg1, sg2):
            assert hashlib.sha256((root / doc).read_bytes()).hexdigest() in keys
        assert {r.job_name for r in runs} == {"write", "enact"}
        assert all(r.is_success for r in runs)
    finally:
        instance.dispose()


def test_a_daemon_whose_code_server_died_is_not_running(cutter_env, tmp_path):
    """The daemon launches runs from its code server: without it, nothing the
    batch queues would start, so the daemon does not count as running (a batch
    then starts a new one), and stopping it ends what is left of the group."""
    daemon = DagsterDaemon(DatabaseServer(load_settings()), tmp_path / "daemon.log").__enter__()
    try:
        assert daemon.running()
        daemon.code_server.send_signal(signal.SIGKILL)
        daemon.code_server.wait(30)
        assert daemon.proc.poll() is None and not daemon.running()
    finally:
        daemon.__exit__(RuntimeError, None, None)
    assert not _group_alive(daemon.group)
