"""Every run ends within its hard cap, and a phase that outlives its soft cap
says so and goes on.

Hard cap: the daemon's run monitoring fails a run that outlives its max
runtime (the instance's 3600 s, or the run's own ``dagster/max_runtime`` tag,
a tiny one here), and the stop sensor records the cut run's STOP_HARD_CAP
and a STOP doc that names the cap: for a run the daemon launched (a batch
member) and for a stage the CLI runs in process, whose next phase then
refuses to go on. Soft cap: a phase over its catalogue ``soft_cap_seconds``
warns in the run's Dagster log and in its KB doc, and the run goes on."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

from dagster import DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG, PARTITION_NAME_TAG

from cutter_assets.app.batch import open_new_batch, submit_members
from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import project_instance
from cutter_assets.core import phases as catalogue
from cutter_assets.core.stops import StopCode
from cutter_assets.db.server import DatabaseServer
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.platform.settings import load_settings
from cutter_assets.runs.evidence import soft_cap_warning
from tests.assets.flow import ALL, count
from tests.assets.harness import instance_with, kb_files, register, run_row, start, survey
from tests.conftest import CORPUS
from tests.guards import wait_until
from tests.test_batch import CutplanHeld

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


# ---- soft caps ----------------------------------------------------------------------------
def test_a_soft_cap_warns_only_past_it_and_only_where_there_is_one():
    cap = catalogue.phase("mark").soft_cap_seconds
    assert cap and soft_cap_warning("mark", cap) is None
    assert soft_cap_warning("mark", cap + 0.5) == (
        f"soft cap exceeded: mark took {cap + 0.5:.1f} s, over its {cap} s soft cap"
    )
    assert catalogue.phase("structural_verify").soft_cap_seconds is None  # recorded within leg A
    assert soft_cap_warning("structural_verify", 10**6) is None
    # the soft caps of a whole cut fit in its hard cap (run_monitoring.max_runtime_seconds)
    assert sum(p.soft_cap_seconds or 0 for p in catalogue.PHASES) <= 3600


def test_a_phase_past_its_soft_cap_warns_in_its_log_and_kb_doc_and_goes_on(
    cutter_env, db_url, monkeypatch
):
    for key in ("mark", "cut_authorization_request"):  # a phase doc, and a request of its own
        tiny = dataclasses.replace(catalogue.phase(key), soft_cap_seconds=0)
        monkeypatch.setitem(catalogue.BY_KEY, key, tiny)
    register(db_url, "HC-SOFT", SMALL_LAW)
    run_id = start("HC-SOFT")
    instance = instance_with("HC-SOFT")
    result = survey("HC-SOFT", run_id, assets=ALL, instance=instance)

    assert result.success and run_row(run_id).state == "COMPLETED"  # it went on
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == 30 and "soft cap exceeded" in entry.user_message
    ]
    assert [w.split(" took ")[0] for w in warnings] == [
        "soft cap exceeded: mark",
        "soft cap exceeded: cut_authorization_request",
    ]
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run_row(run_id))
    mark = next(text for name, text in docs.items() if name.startswith("02-mark-"))
    assert "- soft cap exceeded: mark took" in mark  # a line of the work done
    assert "warning: soft cap exceeded: mark took" in mark  # and the verdict
    request = next(text for name, text in docs.items() if name.startswith("SG1-"))
    assert "> WARNING: soft cap exceeded: cut_authorization_request took" in request
    source_pin = next(text for name, text in docs.items() if name.startswith("01-source-pin-"))
    assert "soft cap" not in source_pin


# ---- the hard cap -------------------------------------------------------------------------
SENSOR_WAITING = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND query LIKE '%%fn_run_stop%%'"
)


def _started(instance, code: str):
    """The STARTED Dagster run of the document's partition."""
    started = RunsFilter(tags={PARTITION_NAME_TAG: code}, statuses=[DagsterRunStatus.STARTED])
    (run,) = instance.get_runs(started)
    return run


def _past_a_cap_of_one_second(held: CutplanHeld, instance, code: str, daemon) -> str:
    """Let the stage of ``code``, held in its cutplan phase, outlive a hard cap
    of 1 s; once the daemon has failed its Dagster run and the stop sensor
    waits to record the STOP, let it go (the STOP lands before the stage's
    next phase asks for the cut run). The cut run's id."""
    wait_until(lambda: held.waiting() == 1, 180, daemon=daemon)
    run = _started(instance, code)
    instance.add_run_tags(run.run_id, {MAX_RUNTIME_SECONDS_TAG: "1"})
    wait_until(lambda: instance.get_run_by_id(run.run_id).is_failure, 120, daemon=daemon)
    wait_until(lambda: count(held.db_url, SENSOR_WAITING) == 1, 60, daemon=daemon)
    held.release()
    return run.tags[RUN_ID_TAG]


def _stopped_by_the_hard_cap(cutter_env, run_id: str) -> None:
    run = run_row(run_id)
    assert run.state == "STOPPED" and run.stop_code == "STOP_HARD_CAP"
    assert run.stop_detail.startswith("dagster run ")
    assert "outlived its hard cap of 1 s" in run.stop_detail
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run)
    (stop_doc,) = [text for name, text in docs.items() if name.startswith("STOP-STOP_HARD_CAP-")]
    assert "outlived its hard cap of 1 s" in stop_doc


def test_a_run_past_its_hard_cap_is_ended_and_its_cut_run_stopped(cutter_env, db_url, tmp_path):
    """A batch member the daemon launched, then a live survey the CLI runs in
    process, each held in its cutplan phase past a hard cap of 1 s: run
    monitoring fails the Dagster run, the stop sensor stops the cut run with a
    STOP doc naming the hard cap, and the CLI's next phase refuses to go on."""
    for code in ("HC-QUEUED", "HC-CLI"):
        register(db_url, code, SMALL_LAW)
    batch_id, _ = open_new_batch(
        ["HC-QUEUED"], mode="dryrun", on_failure="continue", max_concurrent=1, actor="tester"
    )
    instance = project_instance()
    cli = None
    try:
        with DagsterDaemon(DatabaseServer(load_settings()), tmp_path / "daemon.log") as daemon:
            held = CutplanHeld(db_url)
            assert submit_members(batch_id, instance) == []
            queued = _past_a_cap_of_one_second(held, instance, "HC-QUEUED", daemon)
            wait_until(lambda: run_row(queued).state == "STOPPED", 120, daemon=daemon)

            held = CutplanHeld(db_url)
            cli = subprocess.Popen(
                [sys.executable, "-m", "cutter_assets.app.cli", "orchestrate", "cut"]
                + ["--document-id", "HC-CLI", "--mode", "live"],
                env=dict(os.environ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            in_process = _past_a_cap_of_one_second(held, instance, "HC-CLI", daemon)
            _, err = cli.communicate(timeout=120)
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
        instance.dispose()

    _stopped_by_the_hard_cap(cutter_env, queued)
    _stopped_by_the_hard_cap(cutter_env, in_process)
    # the CLI's in-process stage ended at its next phase, with the cut run's STOP
    assert cli.returncode == StopCode.STOP_HARD_CAP.exit_code, err
    stop_line = err.strip().splitlines()[-1]
    assert stop_line.startswith("STOP_HARD_CAP: dagster run ")
