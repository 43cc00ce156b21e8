"""The attack suite (`./run attacks`): every class of attack on the write
path tried against the embedded server, each a row `attack | expected |
observed | PASS/FAIL` of the table printed at the end of the session.

The classes: the lane roles forging the ledger in SQL; drift after SG_1;
approval forgeries and the holes closed in the approval path; dead ends;
bad input at the command line; a structure review skipped or acknowledged
other than exactly as requested; and what already held (forged, unknown key,
wrong gate/run/payload, stale, future, replay, symlink, path escape, eight
concurrent cuts, SIGKILL in the middle of leg A). The exhaustive versions
live beside the code they test (tests/db/test_state_machine.py,
tests/assets/test_drift.py, tests/test_cli_write_path.py,
tests/assets/test_structure_review.py, ...); each row here
is one attack as an intruder or a careless operator would make it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from dagster import DagsterInstance, build_sensor_context
from psycopg2 import errors, sql

from cutter_assets.app.sovereign import arm, disarm
from cutter_assets.core.approvals import ApprovalRefused, draft
from cutter_assets.core.stops import CutterStop
from cutter_assets.db import approvals
from cutter_assets.resources import RESOURCES
from cutter_assets.runs.start import start_cut_run
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.signing.documents import gpg_sign
from tests.assets.flow import (
    approve,
    live_to_sg1,
    payload_sha,
    place,
    rehearse,
    signed_doc,
    write,
)
from tests.assets.harness import phase_records, register, run_row, start, survey
from tests.assets.test_crashes import (
    test_sigkill_in_leg_a_leaves_nothing_and_resume_succeeds_once as sigkill_mid_leg_a,
)
from tests.assets.test_drift import KINDS as DRIFTS
from tests.assets.test_drift import _written as written
from tests.assets.test_structure_review import TEXT as DAMAGED_LAW
from tests.assets.test_structure_review import _place as place_acknowledgment
from tests.assets.test_structure_review import _wrong as wrong_acknowledgment
from tests.conftest import CORPUS
from tests.integrity import ledger_digest

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
REFUSED = (errors.InsufficientPrivilege, errors.CheckViolation, errors.RaiseException)


def _code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:5].upper()}"


@pytest.fixture(scope="module")
def waiting(governed_env, db_url):
    """Two live runs awaiting SG_1 (the second is 'another run')."""
    codes = _code("ATK"), _code("ATK")
    for code in codes:
        register(db_url, code, SMALL_LAW)
        rehearse(code)
    return tuple(live_to_sg1(code) for code in codes)


def _evaluate(path) -> str:
    try:
        approvals.evaluate(RESOURCES["database"], RESOURCES["kb"].root_path(), path, channel="atk")
    except ApprovalRefused as refused:
        return refused.reason.name
    return "accepted"


def _snapshot(db_url) -> dict[str, str]:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        return ledger_digest(cur)


# ---- 1. the lane roles forge the ledger in SQL ----------------------------------
LANE_SQL = {
    "exec flips the run to dryrun and back in one transaction": (
        "cutter_exec",
        "UPDATE cutter_governance.orchestrator_run SET mode = 'dryrun' WHERE run_id = %(run)s",
    ),
    "exec inserts a consumed SG_1 decision": (
        "cutter_exec",
        "INSERT INTO cutter_governance.review_decision (gate, run_id, payload_sha, "
        "approval_doc_path, approval_doc_sha256, signature_sha256, provider, approver, "
        "signed_utc, consumed_at) VALUES ('SG_1_cut_authz', %(run)s, 'p', 'x', 'd', %(nonce)s, "
        "'stub', 'me', now(), now())",
    ),
    "enact inserts a forged SG_2 decision": (
        "cutter_enact",
        "INSERT INTO cutter_governance.review_decision (gate, run_id, payload_sha, "
        "approval_doc_path, approval_doc_sha256, signature_sha256, provider, approver, "
        "signed_utc, consumed_at) VALUES ('SG_2_lifecycle_authz', %(run)s, 'p', 'x', 'd', "
        "%(nonce)s, 'stub', 'me', now(), now())",
    ),
    "exec records a decision through the gatekeeper's function": (
        "cutter_exec",
        "SELECT cutter_governance.fn_decision_record('SG_1_cut_authz', %(run)s, 'p', 'x', 'd', "
        "%(nonce)s, 'stub', 'me', NULL, now(), 't')",
    ),
    "exec moves the run into WRITING without a decision": (
        "cutter_exec",
        "SELECT cutter_governance.fn_run_pass_gate(%(run)s, 'SG_1_cut_authz', NULL, 'me')",
    ),
    "exec jumps the state with fn_run_move": (
        "cutter_exec",
        "SELECT cutter_governance.fn_run_move(%(run)s, 'AWAITING_CUT_AUTHORIZATION', 'WRITING')",
    ),
    "enact enacts a run that never passed SG_2": (
        "cutter_enact",
        "SELECT cutter_governance.fn_run_pass_gate(%(run)s, 'SG_2_lifecycle_authz', NULL, 'me')",
    ),
    "verify deletes a phase record": (
        "cutter_verify",
        "DELETE FROM cutter_governance.phase_record WHERE run_id = %(run)s",
    ),
    "gatekeeper consumes a decision by hand": (
        "cutter_gatekeeper",
        "UPDATE cutter_governance.review_decision SET consumed_at = now()",
    ),
    "exec claims the kill switch for itself": (
        "cutter_exec",
        "SELECT cutter_governance.fn_claim_execution(%(run)s)",
    ),
    "exec rewrites the anomalies a unit was accepted with": (
        "cutter_exec",
        "UPDATE public.information_unit SET accepted_anomalies = '[]', "
        "structure_decision_id = NULL",
    ),
    "enact re-attributes a unit's structure acknowledgment": (
        "cutter_enact",
        "UPDATE public.information_unit SET structure_decision_id = review_decision_id",
    ),
}


@pytest.mark.parametrize("name", list(LANE_SQL))
def test_lane_roles_cannot_forge_the_ledger(attack, db_url, waiting, name):
    role, statement = LANE_SQL[name]
    params = {"run": waiting[0], "nonce": uuid.uuid4().hex}
    attack(name, "refused, DB unchanged", _as_lane(db_url, role, statement, params))


def _as_lane(db_url: str, role: str, statement: str, params: dict) -> str:
    """``statement`` tried and committed as ``role``: whether it was refused, and
    whether the ledger and the units are as they were."""
    before = _snapshot(db_url)
    conn = psycopg2.connect(db_url)
    observed = "allowed"
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            try:
                cur.execute(statement, params)
                conn.commit()
            except REFUSED:
                observed = "refused"
    finally:
        conn.rollback()
        conn.close()
    return f"{observed}, {'DB unchanged' if _snapshot(db_url) == before else 'DB CHANGED'}"


# ---- 2. drift after SG_1 is caught before leg A --------------------------------
@pytest.mark.parametrize("kind", list(DRIFTS))
def test_drift_after_sg1_stops_leg_a(attack, governed_env, db_url, kind):
    stop_code, make_drift, undo = DRIFTS[kind]
    code = _code("ATD")
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run_id = live_to_sg1(code)
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    try:
        make_drift(governed_env, db_url, run_id, code)
        write(code, run_id)
    finally:
        if undo is not None:
            undo(db_url)
        disarm()
    units = written(db_url, code, run_id)["units"]
    attack(f"drift: {kind}", f"{stop_code}, 0 units", f"{run_row(run_id).stop_code}, {units} units")


def _tick():
    """One tick of the approval sensor on a fresh instance."""
    with (
        DagsterInstance.ephemeral() as instance,
        build_sensor_context(instance=instance, resources=RESOURCES) as context,
    ):
        return approval_sensor(context)


# ---- 3. approvals ----------------------------------------------------------------
def _doc(kind: str, run: str, other: str, key: str, stranger: str) -> str:
    now = datetime.now().astimezone()
    return {
        "forged (body edited after signing)": lambda: signed_doc(run, "SG_1", key).replace(
            "approver: sovereign", "approver: sovereigm"
        ),
        "unknown key": lambda: signed_doc(run, "SG_1", stranger),
        "wrong gate": lambda: signed_doc(run, "SG_1", key, header_gate="SG_2_lifecycle_authz"),
        "wrong run": lambda: signed_doc(other, "SG_1", key),
        "wrong payload": lambda: signed_doc(run, "SG_1", key, payload="0" * 64),
        "stale": lambda: signed_doc(run, "SG_1", key, signed_utc=now - timedelta(hours=25)),
        "future-dated": lambda: signed_doc(run, "SG_1", key, signed_utc=now + timedelta(hours=1)),
        "duplicate header key": lambda: gpg_sign(
            draft(
                gate="SG_1_cut_authz",
                run_id=run,
                payload_sha=payload_sha(run, "SG_1"),
                approver="sovereign",
                signed_utc=now,
                doc_code="ATK",
            ).replace("approver: sovereign", "approver: sovereign\napprover: someone"),
            key,
        ),
    }[kind]()


APPROVAL_ATTACKS = {
    "forged (body edited after signing)": "BAD_SIGNATURE",
    "unknown key": "UNKNOWN_KEY",
    "wrong gate": "WRONG_GATE",
    "wrong run": "WRONG_RUN",
    "wrong payload": "WRONG_PAYLOAD",
    "stale": "STALE",
    "future-dated": "FUTURE_DATED",
    "duplicate header key": "MALFORMED",
}


@pytest.mark.parametrize("kind", list(APPROVAL_ATTACKS))
def test_approval_forgeries_are_refused(attack, governed_env, stranger_key, waiting, kind):
    run, other = waiting
    text = _doc(kind, run, other, governed_env["sovereign"], stranger_key)
    path = place(run, "SG_1", text, name=f"SG1-cut-authz-approval-{uuid.uuid4().hex[:8]}")
    attack(f"approval: {kind}", APPROVAL_ATTACKS[kind], _evaluate(path))


def test_the_signing_keys_own_identity_cannot_approve_its_run(attack, governed_env, db_url):
    """The operator starts the run as the sovereign's e-mail (other case, spaces);
    the sovereign's key then signs: separation of duties refuses it."""
    code = _code("ATA")
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run = live_to_sg1(code, actor=" Sovereign@Test.Cutter ")
    path = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]))
    attack("approval: signer's own e-mail as the run's actor", "SELF_APPROVAL", _evaluate(path))


def test_a_replayed_approval_is_refused(attack, governed_env, db_url):
    code = _code("ATR")
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run = live_to_sg1(code)
    path = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]))
    first = _evaluate(path)
    copy = place(run, "SG_1", Path(RESOURCES["kb"].root_path() / path).read_text(), name="copy")
    attack(
        "approval: replayed (same signature, another file)",
        "accepted, REPLAYED",
        f"{first}, {_evaluate(copy)}",
    )


@pytest.mark.parametrize("where", ["a symlink into the run folder", "a path outside the KB"])
def test_approvals_outside_the_kb_are_refused(attack, governed_env, waiting, tmp_path, where):
    run = waiting[0]
    text = signed_doc(run, "SG_1", governed_env["sovereign"])
    outside = tmp_path / "SG1-cut-authz-approval-20261121.md"
    outside.write_text(text)
    path = outside
    if where.startswith("a symlink"):
        folder = RESOURCES["kb"].root_path() / run_row(run).kb_folder
        path = folder / f"SG1-cut-authz-approval-link-{uuid.uuid4().hex[:6]}.md"
        path.symlink_to(outside)
    attack(f"approval: {where}", "OUTSIDE_KB", _evaluate(path))


def test_a_fifo_named_like_an_approval_never_blocks_the_sensor(attack, governed_env, waiting):
    folder = RESOURCES["kb"].root_path() / run_row(waiting[0]).kb_folder
    fifo = folder / f"SG1-cut-authz-approval-fifo-{uuid.uuid4().hex[:6]}.md"
    os.mkfifo(fifo)
    done = threading.Event()

    def tick():
        _tick()
        done.set()

    threading.Thread(target=tick, daemon=True).start()
    attack(
        "approval: a FIFO in the KB (sensor tick)",
        "tick ends",
        "tick ends" if done.wait(30) else "tick HANGS",
    )
    fifo.unlink()


def test_an_approval_for_a_closed_run_never_becomes_a_run(attack, governed_env, db_url):
    code = _code("ATC")
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run = live_to_sg1(code)
    text = signed_doc(run, "SG_1", governed_env["sovereign"])
    reason = RESOURCES["kb"].write_once(f"reasons/{code}.md", "# why\nclosed\n").path
    from cutter_assets.app.orchestration import void

    void(run, reason)
    place(run, "SG_1", text)
    requested = [r for r in _tick().run_requests if r.tags.get("cutter/run_id") == run]
    attack(
        "approval: for a VOIDED run (sensor)",
        "0 runs requested",
        f"{len(requested)} runs requested",
    )


def test_the_launchpad_cannot_move_the_kb(attack, governed_env):
    from dagster import DagsterInvalidConfigError, validate_run_config

    from cutter_assets.definitions import defs

    try:
        validate_run_config(
            defs.resolve_job_def("survey"),
            {"resources": {"kb": {"config": {"root": "/tmp/elsewhere"}}}},
        )
        observed = "accepted"
    except DagsterInvalidConfigError:
        observed = "config refused"
    attack("launchpad: resources.kb.config.root", "config refused", observed)


# ---- 4./5. the command line ---------------------------------------------------
def _stop(result) -> str:
    code, _, err = result
    lines = err.strip().splitlines()
    head = lines[0].split(":")[0] if lines else "no output"
    return f"{head}, {len(lines)} line" + ("" if "Traceback" not in err else ", TRACEBACK")


def test_cli_attacks(attack, governed_env, waiting, cli, tmp_path, stranger_key, db_url):
    run = waiting[0]
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"\xc4\x90i\xe1\xbb\x81u 1.\x00 x\n")
    utf16 = tmp_path / "approval-utf16.md"
    utf16.write_text("gate: SG_1_cut_authz\n", encoding="utf-16")
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    draft = tmp_path / "draft.md"
    draft.write_text(cli("approve", "draft", "--run-id", run, "--gate", "SG_1")[1])
    shadow = tmp_path / "shadow.txt"
    shadow.symlink_to("/etc/shadow")
    cases = {
        "approve draft --approver with a line break": (
            "approve",
            "draft",
            "--run-id",
            run,
            "--gate",
            "SG_1",
            "--approver",
            "a\ngate: SG_2",
        ),
        "approve sign --key of a key that is no sovereign's": (
            "approve",
            "sign",
            str(draft),
            "--key",
            stranger_key,
        ),
        "approve sign of a UTF-16 file": ("approve", "sign", str(utf16), "--key", stranger_key),
        "approve sign of a FIFO": ("approve", "sign", str(fifo)),
        "extract of a FIFO": ("extract", str(fifo)),
        "doc add of a text with a NUL byte": ("doc", "add", "--code", _code("ATN"), str(nul)),
        "doc add --max-units beyond int32": (
            "doc",
            "add",
            "--code",
            _code("ATM"),
            "--max-units",
            str(2**31),
            str(SMALL_LAW),
        ),
        "doc add --title with a DSN": (
            "doc",
            "add",
            "--code",
            _code("ATT"),
            "--title",
            "postgresql://u:hunter22@h/db",
            str(SMALL_LAW),
        ),
        "doc add of a symlink to /etc/shadow": ("doc", "add", "--code", _code("ATS"), str(shadow)),
        "backup restore --into public": ("backup", "restore", "--run-id", run, "--into", "public"),
        "orchestrate cut --force": ("orchestrate", "cut", "--document-id", "X", "--force"),
    }
    before = _snapshot(db_url)
    observed = {name: _stop(cli(*argv)) for name, argv in cases.items()}
    after = _snapshot(db_url)
    for name, seen in observed.items():
        one_stop = seen.startswith("STOP_") and seen.endswith(", 1 line")
        attack(f"cli: {name}", "a STOP, 1 line", seen, passed=one_stop and "hunter22" not in seen)
    attack(
        "cli: the database after all of the above",
        "unchanged",
        "unchanged" if before == after else "CHANGED",
    )


# ---- what already held ----------------------------------------------------------
def test_eight_concurrent_cuts_open_one_run(attack, governed_env, db_url):
    code = _code("AT8")
    register(db_url, code, SMALL_LAW)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def cut():
        barrier.wait()
        try:
            with RESOURCES["database"].transaction() as conn:
                start_cut_run(conn, RESOURCES["kb"], code, mode="live", actor="operator")
            outcomes.append("opened")
        except CutterStop as stop:
            outcomes.append(stop.code.name)

    threads = [threading.Thread(target=cut) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    opened = outcomes.count("opened")
    attack(
        "8 concurrent live cuts of one document",
        "1 opened, 7 STOP_REPLAY_CONFLICT",
        f"{opened} opened, {outcomes.count('STOP_REPLAY_CONFLICT')} STOP_REPLAY_CONFLICT",
    )


def test_sigkill_in_the_middle_of_leg_a(attack, governed_env, db_url):
    try:
        sigkill_mid_leg_a(governed_env, db_url)
        observed = "nothing left, resumed once"
    except AssertionError as failed:
        observed = f"FAILED: {str(failed).splitlines()[0][:80]}"
    attack("SIGKILL in the middle of leg A", "nothing left, resumed once", observed)


def test_a_dead_approval_does_not_block_a_fresh_one(attack, governed_env, db_url):
    code = _code("ATZ")
    register(db_url, code, SMALL_LAW)
    rehearse(code)
    run = live_to_sg1(code)
    first = approve(run, "SG_1", governed_env["sovereign"])
    assert first.gate == "SG_1_cut_authz"
    gone = RESOURCES["kb"].root_path() / run_row(run).kb_folder
    for doc in gone.glob("SG1-cut-authz-approval-*.md"):
        doc.unlink()
    time.sleep(1.1)  # a fresh signature (the same second signs the same bytes again)
    fresh = place(run, "SG_1", signed_doc(run, "SG_1", governed_env["sovereign"]), name="fresh")
    verdict = _evaluate(fresh)
    arm(run)
    try:
        ok = write(code, run).success
    finally:
        disarm()
    attack(
        "a recorded approval whose doc was deleted, then a fresh one",
        "accepted, written",
        f"{verdict}, {'written' if ok else 'NOT written'}",
    )
    assert payload_sha(run, "SG_2")


# ---- 6. the structure review (SG_0): exactly the anomalies, signed for real ----------------
@pytest.fixture(scope="module")
def reviewing(governed_env, db_url) -> str:
    """A live cut of a law with true defects, awaiting its structure review."""
    code = _code("ATS")
    register(db_url, code, DAMAGED_LAW)
    run = start(code, mode="live", actor="operator@test.cutter")
    survey(code, run)
    assert run_row(run).state == "AWAITING_STRUCTURE_REVIEW"
    return run


STRUCTURE_ATTACKS = {
    "missing anomaly": "ANOMALIES_DIFFER",
    "extra anomaly": "ANOMALIES_DIFFER",
    "other line": "ANOMALIES_DIFFER",
    "other text": "WRONG_TEXT",
    "stub in live": "STUB_IN_LIVE",
    "self-signed": "SELF_APPROVAL",
}


@pytest.mark.parametrize("kind", list(STRUCTURE_ATTACKS))
def test_a_wrong_structure_acknowledgment_is_refused(attack, governed_env, reviewing, kind):
    text = wrong_acknowledgment(reviewing, governed_env["sovereign"], kind)
    path = place_acknowledgment(reviewing, text, uuid.uuid4().hex[:8])
    attack(f"structure review: {kind}", STRUCTURE_ATTACKS[kind], _evaluate(path))


STRUCTURE_SQL = {
    "exec passes SG_0 with no acknowledgment": (
        "cutter_exec",
        "SELECT cutter_governance.fn_run_pass_gate(%(run)s, 'SG_0_structure', NULL, 'me')",
    ),
    "gatekeeper records a stub-signed SG_0 for a live run": (
        "cutter_gatekeeper",
        "SELECT cutter_governance.fn_decision_record('SG_0_structure', %(run)s, %(payload)s, "
        "'x', encode(sha256('t'), 'hex'), %(nonce)s, 'stub', 'me', NULL, now(), 't')",
    ),
    "exec leaves the review for SG_1 with fn_run_move": (
        "cutter_exec",
        "SELECT cutter_governance.fn_run_move(%(run)s, 'AWAITING_STRUCTURE_REVIEW', "
        "'AWAITING_CUT_AUTHORIZATION')",
    ),
}


@pytest.mark.parametrize("name", list(STRUCTURE_SQL))
def test_lane_roles_cannot_skip_the_structure_review(attack, db_url, reviewing, name):
    role, statement = STRUCTURE_SQL[name]
    payload = phase_records(reviewing)["structure_review"].pins["payload_sha"]
    params = {"run": reviewing, "nonce": uuid.uuid4().hex, "payload": payload}
    attack(name, "refused, DB unchanged", _as_lane(db_url, role, statement, params))
