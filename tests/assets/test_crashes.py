"""Crashes: a worker killed (SIGKILL) in the middle of leg A leaves no rows
and resume then succeeds once; a stop between leg A and leg B is resumed by
completing leg B without repeating leg A."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from cutter_assets.app.orchestration import resume
from cutter_assets.app.sovereign import arm, disarm
from cutter_assets.assets import write as write_assets
from cutter_assets.core.stops import CutterStop, StopCode
from tests.assets.flow import approve, count, live_to_sg1, rehearse, write
from tests.assets.harness import phase_records, register, run_row
from tests.conftest import CORPUS
from tests.guards import wait_until

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
UNITS = "SELECT count(*) FROM public.information_unit WHERE canonical_address LIKE %s"


def test_sigkill_in_leg_a_leaves_nothing_and_resume_succeeds_once(governed_env, db_url):
    register(db_url, "CRASH-A", SMALL_LAW)
    rehearse("CRASH-A")
    run_id = live_to_sg1("CRASH-A")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    blocker = psycopg2.connect(db_url)
    blocker.cursor().execute(
        "LOCK TABLE cutter_governance.cut_change_set_affected_row IN SHARE ROW EXCLUSIVE MODE"
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cutter_assets.app.cli",
            "orchestrate",
            "resume",
            "--run-id",
            run_id,
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def worker_waits_inside_leg_a():
            with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = "
                    "l.relation WHERE c.relname = 'cut_change_set_affected_row' "
                    "AND NOT l.granted"
                )
                return cur.fetchone()[0] > 0

        wait_until(worker_waits_inside_leg_a)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        blocker.rollback()
        blocker.close()

    def backend_gone():
        return (
            count(
                db_url,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'cutter' AND query LIKE '%%fn_iu_create%%' AND state <> 'idle'",
            )
            == 0
        )

    wait_until(backend_gone)
    assert count(db_url, UNITS, ("CRASH-A/%",)) == 0
    assert (
        count(
            db_url,
            "SELECT count(*) FROM cutter_governance.cut_change_set WHERE run_id = %s",
            (run_id,),
        )
        == 0
    )
    assert run_row(run_id).state == "AWAITING_CUT_AUTHORIZATION"
    assert "change_set" not in phase_records(run_id)

    result = resume(run_id, None)
    assert result.stop is None and result.state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    written = count(db_url, UNITS, ("CRASH-A/%",))
    assert written == phase_records(run_id)["cutplan"].pins["row_count"]
    with pytest.raises(CutterStop) as again:
        resume(run_id, None)
    assert again.value.code is StopCode.STOP_APPROVAL_INVALID
    assert count(db_url, UNITS, ("CRASH-A/%",)) == written
    disarm()


def _signing_is_down(*args, **kwargs):
    raise RuntimeError("the signing service is down")


def test_a_stop_between_legs_is_resumed_by_leg_b_alone(governed_env, db_url, monkeypatch):
    register(db_url, "CRASH-B", SMALL_LAW)
    rehearse("CRASH-B")
    run_id = live_to_sg1("CRASH-B")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    # leg B's signing fails after leg A committed (a fault in the database itself
    # would be drift: grants, triggers and functions are re-checked before leg B)
    with monkeypatch.context() as patch:
        patch.setattr(write_assets, "service_signature", _signing_is_down)
        assert not write("CRASH-B", run_id).success
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_BETWEEN_LEG_A_AND_LEG_B")
    leg_a = phase_records(run_id)["change_set"]
    units = count(db_url, UNITS, ("CRASH-B/%",))
    assert units == leg_a.pins["row_count"]

    result = resume(run_id, None)
    assert result.stop is None and result.state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    after = phase_records(run_id)
    assert after["change_set"].recorded_at == leg_a.recorded_at  # leg A not repeated
    assert count(db_url, UNITS, ("CRASH-B/%",)) == units
    assert (
        count(
            db_url,
            "SELECT count(*) FROM cutter_governance.manifest_envelope WHERE change_set_id = %s",
            (leg_a.pins["change_set_id"],),
        )
        == 1
    )
    with pytest.raises(CutterStop):
        resume(run_id, None)  # nothing left to resume without SG_2
    disarm()


class _Crash(BaseException):
    """The process dies here: nothing after it runs, no STOP is recorded."""


def _crash(*args, **kwargs):
    raise _Crash()


def _source_pin(run_id: str, code: str):
    from cutter_assets.assets.survey import SOURCE_PIN, STRUCTURE_REVIEW
    from cutter_assets.graph.partitions import RUN_ID_TAG
    from cutter_assets.resources import RESOURCES
    from cutter_assets.runs.phase import StepInfo, execute_phase

    def phase(which):
        step = StepInfo(code, {RUN_ID_TAG: run_id}, "crash-test")
        return execute_phase(RESOURCES["database"], RESOURCES["kb"], which, step)

    return lambda: phase(SOURCE_PIN), lambda: phase(STRUCTURE_REVIEW)


def _kb_file(cutter_env, run_id: str, stem: str) -> list[Path]:
    folder = Path(cutter_env["CUTTER_KB_ROOT"]) / run_row(run_id).kb_folder
    return sorted(folder.glob(stem + "*"))


def test_a_crash_before_the_ledger_commits_leaves_no_pass_doc_and_resume_works(
    cutter_env, db_url, monkeypatch
):
    from cutter_assets.runs import evidence
    from tests.assets.harness import start

    register(db_url, "CRASH-DOC", SMALL_LAW)
    run_id = start("CRASH-DOC")
    source_pin, _ = _source_pin(run_id, "CRASH-DOC")
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ledger, "record_phase", _crash)
        with pytest.raises(_Crash):
            source_pin()
    assert "source_pin" not in phase_records(run_id)
    left = _kb_file(cutter_env, run_id, "01-source-pin")
    assert [p.name.endswith(".md.pending") for p in left] == [True]  # never a PASS doc
    source_pin()  # resume: the phase runs again and its doc takes its name
    record = phase_records(run_id)["source_pin"]
    final = Path(cutter_env["CUTTER_KB_ROOT"]) / record.kb_doc_path
    assert hashlib.sha256(final.read_bytes()).hexdigest() == record.kb_doc_sha256
    names = [p.name for p in _kb_file(cutter_env, run_id, "01-source-pin")]
    assert sum(n.endswith(".md") for n in names) == 1
    assert not any(n.endswith(".pending") for n in names)
    assert sum(".superseded-" in n for n in names) == 1  # the crashed attempt, kept aside


def test_a_crash_after_the_commit_is_published_by_the_next_phase(cutter_env, db_url, monkeypatch):
    from cutter_assets.resources.kb import KnowledgeBase
    from tests.assets.harness import start

    register(db_url, "CRASH-PUB", SMALL_LAW)
    run_id = start("CRASH-PUB")
    source_pin, review = _source_pin(run_id, "CRASH-PUB")
    with monkeypatch.context() as patch:
        patch.setattr(KnowledgeBase, "publish", _crash)
        with pytest.raises(_Crash):
            source_pin()
    record = phase_records(run_id)["source_pin"]  # committed
    final = Path(cutter_env["CUTTER_KB_ROOT"]) / record.kb_doc_path
    assert not final.exists()
    review()  # the next phase finds the doc pending, exactly as recorded, and names it
    assert hashlib.sha256(final.read_bytes()).hexdigest() == record.kb_doc_sha256
    assert "structure_review" in phase_records(run_id)
