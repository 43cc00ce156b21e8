"""No dead ends on the write path: a recorded approval that can no longer be
used (its doc gone, past its TTL) gives way to a fresh one; `inspect` names
the step that works (sign a fresh approval, arm the switch, resume), and
`resume` refuses, before any Dagster run, exactly where inspect names another
step; an approval already recorded is used by `resume`, never refused as
REPLAYED; the approval sensor requests no stage for a run that is not
awaiting its gate; approvals and the switch are refused for such runs."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, build_sensor_context

from cutter_assets.app.orchestration import (
    OpenDecision,
    Waiting,
    describe_run,
    gate_step,
    next_action,
    resume,
    void,
)
from cutter_assets.app.sovereign import arm, disarm, draft_approval, sign_approval, switch_status
from cutter_assets.core.approvals import TTL
from cutter_assets.core.phases import GATE_SG1, GATE_SG2
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import approvals, ledger
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.approvals import approval_sensor
from tests.assets.flow import (
    count,
    cut_live,
    last_attempt,
    live_to_sg1,
    place,
    rehearse,
    signed_doc,
    write,
)
from tests.assets.harness import consumed_decision, register, run_row
from tests.assets.harness import refused as refusal_of
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
APPROVER = "Sovereign <sovereign@test.cutter>"


@pytest.fixture(autouse=True)
def disarmed(governed_env):
    """Every test starts and ends with the switch at rest."""
    disarm()
    yield
    disarm()


def _record(run_id: str, gate: str, key: str, **kw) -> tuple[str, approvals.Decision]:
    """An approval placed in the run's folder and recorded, as the sensor does."""
    name = kw.pop("name", None)
    path = place(run_id, gate, signed_doc(run_id, gate, key, **kw), name)
    kb = RESOURCES["kb"]
    return path, approvals.evaluate(RESOURCES["database"], kb.root_path(), path, channel="test")


def _sign_fresh(run_id: str, gate: str, key: str) -> str:
    """What the sovereign does: draft, sign with the allow-listed key, into the KB."""
    return sign_approval(draft_approval(run_id, gate, APPROVER), key, "gpg")


def _sensor_requests(run_id: str) -> list:
    with build_sensor_context(instance=DagsterInstance.ephemeral(), resources=RESOURCES) as ctx:
        result = approval_sensor(ctx)
    return [r for r in result.run_requests if r.tags.get("cutter/run_id") == run_id]


def _next(run_id: str) -> str:
    lines = describe_run(run_id).splitlines()
    return next(line for line in lines if line.startswith("next")).split(None, 1)[1]


def _sha256(path: str) -> str:
    return hashlib.sha256((RESOURCES["kb"].root_path() / path).read_bytes()).hexdigest()


# ---- 1. a recorded approval that can no longer be used gives way to a fresh one ----
def test_an_approval_whose_doc_is_gone_gives_way_to_a_fresh_one(governed_env, db_url):
    register(db_url, "DEAD-GONE", SMALL_LAW)
    rehearse("DEAD-GONE")
    run_id = live_to_sg1("DEAD-GONE")
    key = governed_env["sovereign"]
    arm(run_id)
    old, _ = _record(run_id, "SG_1", key)
    (RESOURCES["kb"].root_path() / old).unlink()

    fresh_draft = f"sign a fresh one: cutter approve draft --run-id {run_id} --gate SG_1"
    step = _next(run_id)
    assert f"the recorded SG_1 approval {old} has lost its doc" in step and fresh_draft in step
    with pytest.raises(CutterStop) as refused:
        resume(run_id, None)  # refused before any Dagster run, naming the same step
    assert refused.value.code is StopCode.STOP_APPROVAL_INVALID
    assert refused.value.detail == step

    fresh = _sign_fresh(run_id, "SG_1", key)
    (request,) = _sensor_requests(run_id)  # evaluated, recorded, requested
    assert request.run_key == _sha256(fresh) and request.job_name == "write"
    assert last_attempt(db_url, fresh)[0] == "accepted"
    assert _next(run_id) == f"cutter orchestrate resume --run-id {run_id}"
    assert write("DEAD-GONE", run_id).success  # the stage the sensor requested
    assert run_row(run_id).state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    assert consumed_decision(db_url, run_id, GATE_SG1)[1] == fresh  # the newest, once


def test_an_approval_past_its_ttl_gives_way_to_a_fresh_one(governed_env, db_url):
    register(db_url, "DEAD-TTL", SMALL_LAW)
    rehearse("DEAD-TTL")
    run_id = live_to_sg1("DEAD-TTL")
    key = governed_env["sovereign"]
    signed = datetime.now(UTC) - TTL[GATE_SG1] + timedelta(seconds=4)
    old, _ = _record(run_id, "SG_1", key, signed_utc=signed)  # in time, just
    time.sleep(max(0.0, (signed + TTL[GATE_SG1] - datetime.now(UTC)).total_seconds()) + 1)

    step = _next(run_id)  # the switch was off while the TTL ran out: both are named
    assert f"the recorded SG_1 approval {old} is past its 24 h TTL (signed " in step
    assert (
        f"arm it: cutter killswitch enable --single-run --run-id {run_id}; then "
        f"sign a fresh one: cutter approve draft --run-id {run_id} --gate SG_1"
    ) in step
    with pytest.raises(CutterStop) as refused:
        resume(run_id, None)
    assert refused.value.code is StopCode.STOP_APPROVAL_INVALID and "past its 24 h TTL" in str(
        refused.value
    )

    arm(run_id)
    fresh = _sign_fresh(run_id, "SG_1", key)
    result = resume(run_id, fresh)  # evaluated and recorded by resume, then written
    assert result.stop is None and result.state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    assert consumed_decision(db_url, run_id, GATE_SG1)[1] == fresh


# ---- 2. a forgotten switch: inspect names it, resume reuses the recorded approval ----
def test_a_forgotten_switch_is_named_and_resume_uses_the_recorded_approval(governed_env, db_url):
    register(db_url, "DEAD-SWITCH", SMALL_LAW)
    rehearse("DEAD-SWITCH")
    run_id = live_to_sg1("DEAD-SWITCH")
    path = place(run_id, "SG_1", signed_doc(run_id, "SG_1", governed_env["sovereign"]))
    assert len(_sensor_requests(run_id)) == 1  # recorded; the cursor will skip it now
    attempt = write("DEAD-SWITCH", run_id)  # the requested stage, refused: no asset failed
    assert refusal_of(attempt).code == StopCode.STOP_EXECUTION_DISABLED
    assert run_row(run_id).state == "AWAITING_CUT_AUTHORIZATION"

    arm_then_resume = (
        f"arm it: cutter killswitch enable --single-run --run-id {run_id}, "
        f"then cutter orchestrate resume --run-id {run_id}"
    )
    assert _next(run_id) == arm_then_resume
    with pytest.raises(CutterStop) as refused:
        resume(run_id, path)  # the recorded doc is not REPLAYED: the switch is named
    assert refused.value.code is StopCode.STOP_EXECUTION_DISABLED
    assert refused.value.detail == arm_then_resume

    arm(run_id)
    assert _next(run_id) == f"cutter orchestrate resume --run-id {run_id}"
    result = resume(run_id, path)
    assert result.stop is None and result.state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    decisions = "SELECT count(*) FROM cutter_governance.review_decision WHERE run_id = %s"
    assert count(db_url, decisions, (run_id,)) == 1
    assert consumed_decision(db_url, run_id, GATE_SG1)[1] == path


RID = "0190f7a8-1234-7abc-8def-0123456789ab"
OTHER = "0190f7a8-1234-7abc-8def-000000000000"


def _run(state: str, mode: str = "live", stop_code: str | None = None) -> ledger.Run:
    now = datetime.now(UTC)
    return ledger.Run(
        RID, "DOC", "d", "v", mode, "enacted_only", "operator", state, stop_code, None, "kb", {},
        now, now,
    )  # fmt: skip


def _decision(age: timedelta, intact: bool = True) -> OpenDecision:
    now = datetime.now(UTC)
    return OpenDecision("kb/SG1-cut-authz-approval-x.md", now - age, now, intact)


FRESH, OLD = timedelta(hours=1), timedelta(hours=25)
STEPS = [  # (decision, switch) -> what resume answers, and the step named
    (None, RID, StopCode.STOP_APPROVAL_INVALID, "no SG_1 approval is recorded; sign one: "),
    (None, None, StopCode.STOP_APPROVAL_INVALID, "; then sign one: cutter approve draft"),
    (_decision(OLD), RID, StopCode.STOP_APPROVAL_INVALID, "is past its 24 h TTL"),
    (_decision(FRESH, False), RID, StopCode.STOP_APPROVAL_INVALID, "has lost its doc"),
    (_decision(FRESH), None, StopCode.STOP_EXECUTION_DISABLED, "arm it: cutter killswitch"),
    (_decision(FRESH), OTHER, StopCode.STOP_EXECUTION_DISABLED, f"armed for run {OTHER}; "),
    (_decision(FRESH), "", None, f"cutter orchestrate resume --run-id {RID}"),
    (_decision(FRESH), RID, None, f"cutter orchestrate resume --run-id {RID}"),
]


@pytest.mark.parametrize("decision,switch,refusal,step", STEPS)
def test_the_step_past_a_gate_is_the_one_that_works(decision, switch, refusal, step):
    found = gate_step(
        _run("AWAITING_CUT_AUTHORIZATION"), Waiting(GATE_SG1, decision, switch), datetime.now(UTC)
    )
    assert found.refusal is refusal and step in found.next
    assert "approval-kb-id <its path>" not in found.next or decision is None  # never REPLAYED


def test_a_run_stopped_between_the_legs_is_resumed():
    run = _run("STOPPED", stop_code="STOP_BETWEEN_LEG_A_AND_LEG_B")
    assert next_action(run)[1] == f"cutter orchestrate resume --run-id {RID}"


def test_a_stuck_rehearsal_is_voided_and_rehearsed_again_never_approved():
    step = next_action(_run("AWAITING_CUT_AUTHORIZATION", mode="dryrun"))[1]
    assert "cutter approve" not in step and "cutter orchestrate void --run-id" in step


# ---- 3. the sensor requests no stage for a run that is not awaiting its gate ----------
def _void(run_id: str) -> None:
    reason = RESOURCES["kb"].write_once(f"reasons/void-{run_id}.md", "# why\ntest\n").path
    void(run_id, reason)


def _stop(run_id: str) -> None:
    with RESOURCES["database"].transaction() as conn:
        ledger.stop_run(conn, run_id, "STOP_INVARIANT_FAILED", "stopped for the test")


@pytest.mark.parametrize("close", [_void, _stop], ids=["voided", "stopped"])
def test_the_sensor_refuses_approvals_for_closed_runs(governed_env, db_url, close):
    code = f"DEAD-{close.__name__[1:].upper()}"
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run_id = live_to_sg1(code)
    key = governed_env["sovereign"]
    fresh = place(run_id, "SG_1", signed_doc(run_id, "SG_1", key))
    recorded, _ = _record(
        run_id, "SG_1", key, approver="sovereign 2", name="SG1-cut-authz-approval-20261122"
    )
    close(run_id)  # the recorded one's tick "failed" before its run was requested
    assert _sensor_requests(run_id) == []
    for path in (fresh, recorded):
        outcome, reason = last_attempt(db_url, path)
        assert outcome == "refused" and reason.startswith("NOT_AWAITED") and "run is " in reason


def test_the_sensor_refuses_approvals_for_a_completed_run_and_the_wrong_gate(governed_env, db_url):
    key = governed_env["sovereign"]
    register(db_url, "DEAD-DONE", SMALL_LAW)
    done = cut_live("DEAD-DONE", key)
    late_doc = signed_doc(done, "SG_2", key, approver="sovereign, late")  # not the used one
    late = place(done, "SG_2", late_doc, "SG2-lifecycle-authz-approval-late")
    register(db_url, "DEAD-GATE", SMALL_LAW)
    rehearse("DEAD-GATE")
    waiting = live_to_sg1("DEAD-GATE")
    early = place(
        waiting,
        "SG_2",
        signed_doc(waiting, "SG_1", key, header_gate=GATE_SG2),
        "SG2-lifecycle-authz-approval-early",
    )
    assert _sensor_requests(done) == [] and _sensor_requests(waiting) == []
    assert last_attempt(db_url, late)[1].startswith("NOT_AWAITED")
    assert last_attempt(db_url, early)[1].startswith("WRONG_GATE")


# ---- 4. no approval and no switch for a run that is not awaiting -------------------
def test_no_approval_is_drafted_or_signed_for_a_run_not_awaiting_the_gate(
    governed_env, db_url, cli
):
    key = governed_env["sovereign"]
    register(db_url, "DEAD-DRAFT", SMALL_LAW)
    rehearsal = rehearse("DEAD-DRAFT")
    run_id = live_to_sg1("DEAD-DRAFT")
    drafted = draft_approval(run_id, "SG_1", APPROVER)  # awaiting SG_1: fine
    for run, gate, state in (
        (run_id, "SG_2", "AWAITING_CUT_AUTHORIZATION, not awaiting SG_2"),
        (rehearsal, "SG_1", "a rehearsal (dryrun)"),
    ):
        with pytest.raises(CutterStop) as refused:
            draft_approval(run, gate, APPROVER)
        assert refused.value.code is StopCode.STOP_STATE and state in refused.value.detail
    _void(run_id)
    folder = RESOURCES["kb"].root_path() / run_row(run_id).kb_folder
    before = sorted(folder.iterdir())
    with pytest.raises(CutterStop) as refused:
        sign_approval(drafted, key, "gpg")
    assert refused.value.code is StopCode.STOP_STATE
    assert refused.value.detail == f"run {run_id} is VOIDED, not awaiting SG_1"
    assert sorted(folder.iterdir()) == before  # nothing signed into the KB
    code, out, err = cli("approve", "draft", "--run-id", run_id, "--gate", "SG_1")
    assert code == StopCode.STOP_STATE.exit_code and out == ""
    assert err == f"STOP_STATE: run {run_id} is VOIDED, not awaiting SG_1\n"


def test_the_switch_is_not_armed_for_a_closed_run_or_a_rehearsal(governed_env, db_url, cli):
    register(db_url, "DEAD-ARM", SMALL_LAW)
    rehearsal = rehearse("DEAD-ARM")
    stopped = live_to_sg1("DEAD-ARM")
    _stop(stopped)
    for run_id, why in ((rehearsal, "a rehearsal (dryrun)"), (stopped, "is STOPPED")):
        with pytest.raises(CutterStop) as refused:
            arm(run_id)
        assert refused.value.code is StopCode.STOP_STATE and why in refused.value.detail
        assert switch_status() == "execution disarmed (at rest)"
    _void(stopped)
    code, _, err = cli("killswitch", "enable", "--single-run", "--run-id", stopped)
    assert code == StopCode.STOP_STATE.exit_code and err.count("\n") == 1
    assert "is VOIDED" in err and switch_status() == "execution disarmed (at rest)"
