"""Every way an approval is refused — each refused, with its reason recorded
in approval_attempt, and never a decision or a run — and the approval sensor
evaluated with Dagster's sensor context."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from dagster import DagsterInstance, build_sensor_context

from cutter_assets.core.approvals import ApprovalRefused, Refusal
from cutter_assets.db import approvals
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.signing.documents import stub_sign
from tests.assets.flow import count, last_attempt, live_to_sg1, place, rehearse, signed_doc
from tests.assets.harness import register, run_row
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


@pytest.fixture(scope="module")
def waiting(governed_env, db_url):
    """Two live runs awaiting SG_1 (the second to approve 'for another run')."""
    register(db_url, "APPR-ONE", SMALL_LAW)
    register(db_url, "APPR-TWO", SMALL_LAW)
    rehearse("APPR-ONE")
    rehearse("APPR-TWO")
    return live_to_sg1("APPR-ONE"), live_to_sg1("APPR-TWO")


def _evaluate(path):
    return approvals.evaluate(
        RESOURCES["database"], RESOURCES["kb"].root_path(), path, channel="test"
    )


def _forge(text: str) -> str:
    return text.replace("approver: sovereign", "approver: sovereigm")


CASES = {
    "forged": (
        lambda run, other, key, stranger: _forge(signed_doc(run, "SG_1", key)),
        Refusal.BAD_SIGNATURE,
    ),
    "unknown-key": (
        lambda run, other, key, stranger: signed_doc(run, "SG_1", stranger),
        Refusal.UNKNOWN_KEY,
    ),
    "wrong-gate": (
        lambda run, other, key, stranger: signed_doc(
            run, "SG_1", key, header_gate="SG_2_lifecycle_authz"
        ),
        Refusal.WRONG_GATE,
    ),
    "wrong-run": (
        lambda run, other, key, stranger: signed_doc(other, "SG_1", key),
        Refusal.WRONG_RUN,
    ),
    "wrong-payload": (
        lambda run, other, key, stranger: signed_doc(run, "SG_1", key, payload="0" * 64),
        Refusal.WRONG_PAYLOAD,
    ),
    "stale": (
        lambda run, other, key, stranger: signed_doc(
            run, "SG_1", key, signed_utc=datetime.now().astimezone() - timedelta(hours=25)
        ),
        Refusal.STALE,
    ),
    "future-dated": (
        lambda run, other, key, stranger: signed_doc(
            run, "SG_1", key, signed_utc=datetime.now().astimezone() + timedelta(hours=1)
        ),
        Refusal.FUTURE_DATED,
    ),
    "signer-is-actor": (
        lambda run, other, key, stranger: signed_doc(
            run, "SG_1", key, approver="operator@test.cutter"
        ),
        Refusal.SELF_APPROVAL,
    ),
    "malformed": (
        lambda run, other, key, stranger: __import__(
            "cutter_assets.signing.documents", fromlist=["gpg_sign"]
        ).gpg_sign("---\ngate: SG_1_cut_authz\nrun_id: [unclosed\n---\n", key),
        Refusal.MALFORMED,
    ),
    "unsigned": (
        lambda run, other, key, stranger: (
            signed_doc(run, "SG_1", key)
            .split("-----BEGIN PGP SIGNATURE-----")[0]
            .split("\n\n", 1)[1]
        ),
        Refusal.UNSIGNED,
    ),
    "stub-in-live": (
        lambda run, other, key, stranger: stub_sign(
            __import__("cutter_assets.core.approvals", fromlist=["draft"]).draft(
                gate="SG_1_cut_authz",
                run_id=run,
                payload_sha="0" * 64,
                approver="x",
                signed_utc=datetime.now().astimezone(),
                doc_code="D",
            ),
            "x",
        ),
        Refusal.STUB_IN_LIVE,
    ),
    "text-outside-signature": (
        lambda run, other, key, stranger: "Approved!\n" + signed_doc(run, "SG_1", key),
        Refusal.TEXT_OUTSIDE_SIGNATURE,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_approval_is_refused_and_recorded(waiting, governed_env, stranger_key, db_url, case):
    run, other = waiting
    build, reason = CASES[case]
    path = place(
        run,
        "SG_1",
        build(run, other, governed_env["sovereign"], stranger_key),
        name=f"SG1-cut-authz-approval-20261121-{case}",
    )
    decisions = count(db_url, "SELECT count(*) FROM cutter_governance.review_decision")
    with pytest.raises(ApprovalRefused) as refused:
        _evaluate(path)
    assert refused.value.reason is reason
    assert last_attempt(db_url, path) == ("refused", last_attempt(db_url, path)[1])
    assert last_attempt(db_url, path)[1].startswith(reason.name)
    assert count(db_url, "SELECT count(*) FROM cutter_governance.review_decision") == decisions
    assert run_row(run).state == "AWAITING_CUT_AUTHORIZATION"


def test_an_approval_of_the_other_gate_is_refused_as_the_wrong_gate(waiting, governed_env, db_url):
    run, _ = waiting  # awaits SG_1; the doc is an SG_2 approval, named as one
    doc = signed_doc(run, "SG_2", governed_env["sovereign"], payload="0" * 64)
    path = place(run, "SG_2", doc)
    with pytest.raises(ApprovalRefused) as refused:
        _evaluate(path)
    assert refused.value.reason is Refusal.WRONG_GATE
    assert last_attempt(db_url, path)[1].startswith("WRONG_GATE")
    assert run_row(run).state == "AWAITING_CUT_AUTHORIZATION"


def test_a_run_started_under_the_signers_fingerprint_is_not_theirs_to_approve(governed_env, db_url):
    register(db_url, "APPR-SELF", SMALL_LAW)
    rehearse("APPR-SELF")
    key = governed_env["sovereign"]
    run = live_to_sg1("APPR-SELF", actor=key.lower())  # gpg reports it upper-case
    path = place(run, "SG_1", signed_doc(run, "SG_1", key))
    with pytest.raises(ApprovalRefused) as refused:
        _evaluate(path)
    assert refused.value.reason is Refusal.SELF_APPROVAL


def test_a_replayed_approval_is_refused(waiting, governed_env, db_url):
    run, _ = waiting
    text = signed_doc(run, "SG_1", governed_env["sovereign"])
    first = place(run, "SG_1", text, name="SG1-cut-authz-approval-20261121-first")
    assert _evaluate(first).run_id == run
    again = place(run, "SG_1", text, name="SG1-cut-authz-approval-20261121-again")
    with pytest.raises(ApprovalRefused) as refused:
        _evaluate(again)
    assert refused.value.reason is Refusal.REPLAYED
    assert last_attempt(db_url, again)[0] == "refused"


def test_symlinks_and_paths_outside_the_kb_are_refused(waiting, governed_env, db_url, tmp_path):
    run, _ = waiting
    outside = tmp_path / "SG1-cut-authz-approval-20261121.md"
    outside.write_text(signed_doc(run, "SG_1", governed_env["sovereign"]))
    root = RESOURCES["kb"].root_path()
    with RESOURCES["database"].transaction(commit=False) as conn:
        from cutter_assets.db import ledger

        folder = ledger.get_run(conn, run).kb_folder
    link = root / folder / "SG1-cut-authz-approval-20261121-link.md"
    os.symlink(outside, link)
    for path in (str(outside), f"{folder}/../../../../../../{outside}", str(link)):
        with pytest.raises(ApprovalRefused) as refused:
            _evaluate(path)
        assert refused.value.reason is Refusal.OUTSIDE_KB
    assert (
        count(
            db_url,
            "SELECT count(*) FROM cutter_governance.approval_attempt "
            "WHERE reason LIKE 'OUTSIDE_KB%%'",
        )
        >= 3
    )


def test_the_sensor_continues_valid_approvals_and_refuses_the_rest(
    governed_env, db_url, stranger_key
):
    register(db_url, "APPR-SENSOR", SMALL_LAW)
    rehearse("APPR-SENSOR")
    run = live_to_sg1("APPR-SENSOR")
    bad = place(
        run,
        "SG_1",
        signed_doc(run, "SG_1", stranger_key),
        name="SG1-cut-authz-approval-20261121-bad",
    )
    good = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]))
    instance = DagsterInstance.ephemeral()
    with build_sensor_context(instance=instance, resources=RESOURCES) as context:
        result = approval_sensor(context)
    mine = [r for r in result.run_requests if r.tags.get("cutter/run_id") == run]
    assert len(mine) == 1
    import hashlib

    assert (
        mine[0].run_key
        == hashlib.sha256((RESOURCES["kb"].root_path() / good).read_bytes()).hexdigest()
    )
    assert mine[0].job_name == "write" and mine[0].partition_key == "APPR-SENSOR"
    # the partition is requested with the run, whatever sensor ran first
    (added,) = result.dynamic_partitions_requests
    assert "APPR-SENSOR" in added.partition_keys
    assert last_attempt(db_url, bad)[0] == "refused" and last_attempt(db_url, good)[0] == "accepted"
    # the cursor remembers: a second evaluation requests nothing again
    with build_sensor_context(
        instance=instance, resources=RESOURCES, cursor=result.cursor
    ) as context:
        second = approval_sensor(context)
    assert not [r for r in second.run_requests if r.tags.get("cutter/run_id") == run]


def test_a_recorded_approval_whose_tick_failed_is_requested_again(governed_env, db_url):
    register(db_url, "APPR-RETRY", SMALL_LAW)
    rehearse("APPR-RETRY")
    run = live_to_sg1("APPR-RETRY")
    path = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]))
    _evaluate(path)  # recorded, as by a tick that then failed to request its run
    with build_sensor_context(instance=DagsterInstance.ephemeral(), resources=RESOURCES) as context:
        result = approval_sensor(context)
    assert [
        r.tags["cutter/run_id"] for r in result.run_requests if r.tags.get("cutter/run_id") == run
    ] == [run]
    assert (
        count(
            db_url,
            "SELECT count(*) FROM cutter_governance.review_decision WHERE run_id = %s",
            (run,),
        )
        == 1
    )
