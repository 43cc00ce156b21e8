"""The batch ledger (sql/deploy/016_batch.sql): batches, members and
quarantines are written only through SECURITY DEFINER functions; a member is
linked once, and only to a fresh cut run of its own document in the batch's
mode by the batch's actor; a document is quarantined only for a STOPPED run of
a quarantine batch's member, and later batches skip it until it is released."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from psycopg2 import errors

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import batch as batches
from cutter_assets.db import ledger
from cutter_assets.resources import RESOURCES
from tests.assets.flow import rehearse
from tests.assets.harness import register, start
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
LANES = ("cutter_exec", "cutter_enact", "cutter_verify", "cutter_probe", "cutter_gatekeeper")


def _document(db_url: str, prefix: str) -> str:
    code = f"{prefix}-{uuid.uuid4().hex[:6].upper()}"
    register(db_url, code, SMALL_LAW)
    return code


def _open(codes: list[str], *, mode="dryrun", on_failure="quarantine", actor="tester") -> str:
    batch_id = str(uuid.uuid4())
    with RESOURCES["database"].transaction() as conn:
        batches.open_batch(
            conn,
            batch_id=batch_id,
            mode=mode,
            on_failure=on_failure,
            max_concurrent=2,
            actor=actor,
            doc_codes=codes,
        )
    return batch_id


def _link(batch_id: str, code: str, run_id: str, dagster_run_id: str | None = None) -> None:
    with RESOURCES["database"].transaction() as conn:
        batches.start_member(
            conn,
            batch_id=batch_id,
            doc_code=code,
            run_id=run_id,
            dagster_run_id=dagster_run_id or str(uuid.uuid4()),
        )


def _member(batch_id: str, code: str) -> batches.Member:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return next(m for m in batches.members(conn, batch_id) if m.doc_code == code)


def _stop(run_id: str) -> None:
    with RESOURCES["database"].transaction() as conn:
        ledger.stop_run(conn, run_id, "STOP_STRUCTURE", "mark: a gap at line 7")


def _quarantine(run_id: str) -> bool:
    with RESOURCES["database"].transaction() as conn:
        return batches.quarantine(conn, run_id)


def _refused_for_superuser(db_url: str, statement: str, params=()) -> str:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as refused:
            cur.execute(statement, params)
        conn.rollback()
    return str(refused.value)


@pytest.mark.parametrize("role", LANES)
def test_no_lane_role_writes_a_batch_a_member_or_a_quarantine(cutter_env, db_url, role):
    statements = [
        "INSERT INTO cutter_governance.batch (batch_id, mode, on_failure, max_concurrent, actor) "
        "VALUES (gen_random_uuid(), 'dryrun', 'continue', 1, 'x')",
        "UPDATE cutter_governance.batch_member SET dagster_run_id = 'x'",
        "DELETE FROM cutter_governance.quarantine",
    ]
    for statement in statements:
        with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
            cur.execute(f"SET ROLE {role}")
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(statement)
            conn.rollback()


def test_a_batch_holds_registered_documents_only_and_is_never_rewritten(cutter_env, db_url):
    code = _document(db_url, "BL-OPEN")
    with pytest.raises(CutterStop) as unknown:
        _open([code, "BL-NOWHERE"])
    assert unknown.value.code == StopCode.STOP_STATE and "no document BL-NOWHERE" in str(
        unknown.value
    )
    with pytest.raises(CutterStop, match="a batch has members"):
        _open([])
    with pytest.raises(CutterStop, match="the actor must be named"):
        _open([code], actor=" ")
    batch_id = _open([code])
    assert [(m.seq, m.doc_code, m.run_id) for m in _members(batch_id)] == [(1, code, None)]
    message = _refused_for_superuser(
        db_url,
        "UPDATE cutter_governance.batch SET on_failure = 'continue' WHERE batch_id = %s",
        (batch_id,),
    )
    assert "append-only" in message


def _members(batch_id: str) -> list[batches.Member]:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return batches.members(conn, batch_id)


def test_a_member_is_linked_once_to_a_fresh_run_of_its_own_document(cutter_env, db_url):
    code, other, live = (_document(db_url, p) for p in ("BL-LINK", "BL-OTHER", "BL-LIVE"))
    batch_id = _open([code, other, live])
    wrong = [  # (member, run, why): a run of another document, mode or actor
        (code, start(other, actor="tester"), f"not a fresh dryrun run of {code}"),
        (live, start(live, mode="live", actor="tester"), "not a fresh dryrun run"),
        (code, start(code, actor="someone else"), "by the batch's actor"),
    ]
    for member, run_id, why in wrong:
        with pytest.raises(CutterStop, match=why):
            _link(batch_id, member, run_id)
        _stop(run_id)  # a stopped rehearsal holds its document version no more
    run_id = start(code, actor="tester")
    with pytest.raises(CutterStop, match="is not a Dagster run id"):
        _link(batch_id, code, run_id, dagster_run_id="../etc")
    _link(batch_id, code, run_id)
    assert _member(batch_id, code).run_id == run_id
    with pytest.raises(CutterStop, match="has its run .* already"):
        _link(batch_id, code, run_id)
    message = _refused_for_superuser(
        db_url,
        "UPDATE cutter_governance.batch_member SET run_id = NULL, dagster_run_id = NULL, "
        "started_at = NULL WHERE batch_id = %s AND doc_code = %s",
        (batch_id, code),
    )
    assert "only its first run is ever written" in message


def test_quarantine_takes_a_stopped_member_of_a_quarantine_batch_until_release(cutter_env, db_url):
    code = _document(db_url, "BL-QUAR")
    batch_id = _open([code])
    run_id = start(code, actor="tester")
    _link(batch_id, code, run_id)
    with pytest.raises(CutterStop, match="is SURVEYING, not STOPPED"):
        _quarantine(run_id)
    _stop(run_id)
    assert _quarantine(run_id) is True
    assert _quarantine(run_id) is False  # recorded already: the sensor may ask twice
    member = _member(batch_id, code)
    assert member.quarantined == "STOP_STRUCTURE: mark: a gap at line 7"
    assert member.quarantine_recorded
    with pytest.raises(CutterStop, match=f"{code} quarantined"):
        _open([code])
    with RESOURCES["database"].transaction(commit=False) as conn:
        assert code not in batches.pending(conn, "dryrun")
        assert set(batches.quarantined(conn, [code])) == {code}
    message = _refused_for_superuser(
        db_url, "DELETE FROM cutter_governance.quarantine WHERE run_id = %s", (run_id,)
    )
    assert "only its release is ever written" in message
    with RESOURCES["database"].transaction() as conn:
        assert batches.release(conn, code, "operator") == 1
        assert batches.release(conn, code, "operator") == 0
    member = _member(batch_id, code)
    assert member.quarantined is None and member.quarantine_recorded  # released, not forgotten
    with RESOURCES["database"].transaction(commit=False) as conn:
        assert code in batches.pending(conn, "dryrun")


def test_only_a_quarantine_batch_quarantines(cutter_env, db_url):
    code = _document(db_url, "BL-CONT")
    batch_id = _open([code], on_failure="continue")
    run_id = start(code, actor="tester")
    _link(batch_id, code, run_id)
    _stop(run_id)
    with pytest.raises(CutterStop, match="no member of a quarantine batch"):
        _quarantine(run_id)


def test_pending_documents_wait_for_a_rehearsal_then_for_a_live_cut(cutter_env, db_url):
    fresh, rehearsed, open_ = (_document(db_url, p) for p in ("BL-NEW", "BL-GREEN", "BL-BUSY"))
    rehearse(rehearsed)
    start(open_, actor="tester")
    with RESOURCES["database"].transaction(commit=False) as conn:
        dryrun, live = batches.pending(conn, "dryrun"), batches.pending(conn, "live")
    assert fresh in dryrun and rehearsed not in dryrun and open_ not in dryrun
    assert rehearsed in live and fresh not in live and open_ not in live
