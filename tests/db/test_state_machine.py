"""The state machine in PostgreSQL, tried as each lane role would attack it:
no lane role writes the ledger directly, a run's mode never changes, a
decision is recorded only by the gatekeeper and consumed only by the move it
authorizes, and every move follows the transition table. Each refusal leaves
the database as it was, in one transaction and across transactions."""

from __future__ import annotations

import hashlib
import json
import uuid

import psycopg2
import pytest
from psycopg2 import errors, sql
from psycopg2.extras import Json

from cutter_assets.core import phases as catalogue
from cutter_assets.core.approvals import TTL
from cutter_assets.db.rules import rules_in_force
from tests.db.builders import add_document, plan_row, sha
from tests.integrity import LEDGER_TABLES, ledger_digest

LANES = ("cutter_exec", "cutter_enact", "cutter_verify", "cutter_probe", "cutter_gatekeeper")
REFUSED = (errors.InsufficientPrivilege, errors.CheckViolation, errors.RaiseException)
PASS_SG1 = "SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_1_cut_authz', %s, 'me')"
SURVEY_PHASES = [p.key for p in catalogue.PHASES if p.stage == "survey"]


class Ledger:
    """A live run made the way the system makes it, as the administrator, up to
    a chosen state, with its plan, phase records and request pins."""

    def __init__(self, conn, code: str):
        self.conn = conn
        self.code = code
        self.doc_id, self.version_id = add_document(conn, code)
        self.rows = [plan_row(f"{code}/art_1", "Nội dung.", key=f"{code}-k1")]
        self.payload = {"SG_1_cut_authz": "a" * 64, "SG_2_lifecycle_authz": "b" * 64}

    def run(self, state: str, *, mode: str = "live", digest: str = "d" * 64) -> str:
        run_id = str(uuid.uuid4())
        with self.conn.cursor() as cur:
            cur.execute(
                """INSERT INTO cutter_governance.orchestrator_run
                       (run_id, source_document_id, source_version_id, doc_code, mode, actor,
                        state, kb_folder)
                   VALUES (%s, %s, %s, %s, %s, 'operator', 'SURVEYING', 'kb/run')""",
                (run_id, self.doc_id, self.version_id, self.code, mode),
            )
            for key in SURVEY_PHASES:
                pins = {"writer_digest": digest} if key == "cutplan" else {}
                if key == "cut_authorization_request":
                    pins = {"payload_sha": self.payload["SG_1_cut_authz"]}
                self._phase(cur, run_id, key, pins)
            cur.execute(
                "INSERT INTO cutter_governance.cutplan_row (run_id, canonical_address, "
                "unit_kind, section_type, body, sort_order, content_hash, idempotency_key) "
                "SELECT %s, r.canonical_address, r.unit_kind, r.section_type, r.body, "
                "r.sort_order, r.content_hash, r.idempotency_key "
                "FROM jsonb_populate_recordset(NULL::public.iu_plan_row, %s) r",
                (run_id, Json(self.rows)),
            )
            if state != "SURVEYING":
                cur.execute(
                    "UPDATE cutter_governance.orchestrator_run SET state = %s WHERE run_id = %s",
                    ("AWAITING_CUT_AUTHORIZATION", run_id),
                )
        return run_id

    def run_before_mark(self) -> str:
        """A live run surveying, with source_pin and its structure review recorded."""
        run_id = str(uuid.uuid4())
        with self.conn.cursor() as cur:
            cur.execute(
                """INSERT INTO cutter_governance.orchestrator_run
                       (run_id, source_document_id, source_version_id, doc_code, mode, actor,
                        state, kb_folder)
                   VALUES (%s, %s, %s, %s, 'live', 'operator', 'SURVEYING', 'kb/run')""",
                (run_id, self.doc_id, self.version_id, self.code),
            )
            self.record(cur, run_id, "source_pin", {})
            self.record(cur, run_id, "structure_review", {"payload_sha": "e" * 64})
        return run_id

    def record(self, cur, run_id: str, key: str, pins: dict) -> None:
        self._phase(cur, run_id, key, pins)

    def bare_run(self) -> str:
        """A rehearsal just opened: SURVEYING, no phase recorded yet."""
        run_id = str(uuid.uuid4())
        with self.conn.cursor() as cur:
            cur.execute(
                """INSERT INTO cutter_governance.orchestrator_run
                       (run_id, source_document_id, source_version_id, doc_code, mode, actor,
                        state)
                   VALUES (%s, %s, %s, %s, 'dryrun', 'operator', 'SURVEYING')""",
                (run_id, self.doc_id, self.version_id, self.code),
            )
        return run_id

    def green_rehearsal(self, digest: str = "d" * 64) -> str:
        """A COMPLETED dryrun of the same plan, walked along the transition table."""
        run_id = self.run("AWAITING_CUT_AUTHORIZATION", mode="dryrun", digest=digest)
        with self.conn.cursor() as cur:
            for state in ("WRITING", "AWAITING_LIFECYCLE_AUTHORIZATION", "ENACTING", "COMPLETED"):
                cur.execute(
                    "UPDATE cutter_governance.orchestrator_run SET state = %s WHERE run_id = %s",
                    (state, run_id),
                )
        return run_id

    @staticmethod
    def _phase(cur, run_id: str, key: str, pins: dict) -> None:
        cur.execute(
            "INSERT INTO cutter_governance.phase_record (run_id, phase, outcome, pins) "
            "VALUES (%s, %s, 'passed', %s)",
            (run_id, key, Json(pins)),
        )

    def arm(self, run_id: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE cutter_governance.execution_switch SET disarmed_at = now() "
                "WHERE disarmed_at IS NULL"
            )
            cur.execute(
                "INSERT INTO cutter_governance.execution_switch (run_id) VALUES (%s)", (run_id,)
            )


def approval_text(run_id: str, payload_sha: str) -> str:
    return f"gate: SG_1_cut_authz\nrun_id: {run_id}\npayload_sha: {payload_sha}\n"


def record_decision(
    cur,
    run_id: str,
    payload_sha: str,
    *,
    gate: str = "SG_1_cut_authz",
    text: str | None = None,
    signed: str = "now()",
) -> str:
    text = text if text is not None else approval_text(run_id, payload_sha)
    cur.execute(
        "SELECT cutter_governance.fn_decision_record(%s, %s, %s, 'kb/run/SG1.md', %s, %s, "
        f"'stub', 'sovereign', NULL, {signed}, %s)::text",
        (
            gate,
            run_id,
            payload_sha,
            hashlib.sha256(text.encode()).hexdigest(),
            uuid.uuid4().hex,
            text,
        ),
    )
    return cur.fetchone()[0]


@pytest.fixture
def world(conn):
    return Ledger(conn, "SM-" + uuid.uuid4().hex[:6].upper())


def _as(conn, role: str):
    cur = conn.cursor()
    cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    return cur


def _attempt(conn, role: str, statement: str, params=()) -> None:
    """``statement`` as ``role`` must be refused; the session is usable afterwards."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT attack")
        cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        try:
            with pytest.raises(REFUSED):
                cur.execute(statement, params)
        finally:
            cur.execute("ROLLBACK TO SAVEPOINT attack")
            cur.execute("RESET ROLE")


def _refused_unchanged(conn, role: str, *attacks: tuple[str, tuple]) -> None:
    """Each attack as ``role`` is refused and the ledger and units stay as they were."""
    with conn.cursor() as cur:
        before = ledger_digest(cur)
    for statement, params in attacks:
        _attempt(conn, role, statement, params)
    with conn.cursor() as cur:
        assert ledger_digest(cur) == before


# ---- 1. no lane role writes a ledger table directly --------------------------------
@pytest.mark.parametrize("role", LANES)
@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_no_lane_role_may_insert_update_or_delete_a_ledger_table(conn, role, table):
    with conn.cursor() as cur:
        for privilege in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
            cur.execute(
                "SELECT has_table_privilege(%s, %s, %s)",
                (role, f"cutter_governance.{table}", privilege),
            )
            assert cur.fetchone()[0] is False, (role, privilege, table)
        cur.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attacl IS NOT "
            "NULL",
            (f"cutter_governance.{table}",),
        )
        assert cur.fetchone()[0] == 0, f"column grants on {table}"


@pytest.mark.parametrize("role", LANES)
def test_mode_flip_inside_a_transaction_is_refused_for_every_lane_role(conn, world, role):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    _refused_unchanged(
        conn,
        role,
        (
            "UPDATE cutter_governance.orchestrator_run SET mode = 'dryrun' WHERE run_id = %s",
            (run_id,),
        ),
        (
            "UPDATE cutter_governance.orchestrator_run SET state = 'WRITING' WHERE run_id = %s",
            (run_id,),
        ),
    )


@pytest.mark.parametrize("role", LANES)
def test_a_forged_consumed_decision_is_refused_for_every_lane_role(conn, world, role):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    _refused_unchanged(
        conn,
        role,
        (
            """INSERT INTO cutter_governance.review_decision
               (gate, run_id, payload_sha, approval_doc_path, approval_doc_sha256,
                signature_sha256, provider, approver, signed_utc, consumed_at)
           VALUES ('SG_1_cut_authz', %s, %s, 'x.md', 'x', %s, 'stub', 'me', now(), now())""",
            (run_id, world.payload["SG_1_cut_authz"], uuid.uuid4().hex),
        ),
    )


def test_the_mode_never_changes_even_for_the_owner(conn, world):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    with conn.cursor() as cur, pytest.raises(errors.RaiseException, match="never change"):
        cur.execute(
            "UPDATE cutter_governance.orchestrator_run SET mode = 'dryrun' WHERE run_id = %s",
            (run_id,),
        )


def test_a_state_jump_outside_the_transition_table_is_refused_even_for_the_owner(conn, world):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    with conn.cursor() as cur, pytest.raises(errors.RaiseException, match="not a transition"):
        cur.execute(
            "UPDATE cutter_governance.orchestrator_run SET state = 'ENACTING' WHERE run_id = %s",
            (run_id,),
        )


def test_across_transactions_the_attack_leaves_nothing(db_url):
    """The same attacks, each committed on its own, change nothing."""
    admin = psycopg2.connect(db_url)
    world = Ledger(admin, "SM-X" + uuid.uuid4().hex[:4].upper())
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    admin.commit()
    with admin.cursor() as cur:
        before = ledger_digest(cur)
    attacks = [
        (
            "UPDATE cutter_governance.orchestrator_run SET mode = 'dryrun' WHERE run_id = %s",
            (run_id,),
        ),
        ("SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_1_cut_authz', NULL, 'me')", (run_id,)),
        (
            "SELECT cutter_governance.fn_run_move(%s, 'AWAITING_CUT_AUTHORIZATION', 'WRITING')",
            (run_id,),
        ),
        ("SELECT cutter_governance.fn_claim_execution(%s)", (run_id,)),
    ]
    for role in LANES:
        for statement, params in attacks:
            lane = psycopg2.connect(db_url)
            try:
                with lane.cursor() as cur:
                    cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
                    with pytest.raises(REFUSED):
                        cur.execute(statement, params)
            finally:
                lane.rollback()
                lane.close()
    with admin.cursor() as cur:
        assert ledger_digest(cur) == before
    admin.close()


# ---- 2. decisions: the gatekeeper records, the move consumes ----------------------
@pytest.mark.parametrize("role", ["cutter_exec", "cutter_enact", "cutter_verify"])
def test_only_the_gatekeeper_records_a_decision(conn, world, role):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    cur = _as(conn, role)
    cur.execute("SAVEPOINT s")
    with pytest.raises(errors.InsufficientPrivilege):
        record_decision(cur, run_id, world.payload["SG_1_cut_authz"])
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("RESET ROLE")


@pytest.mark.parametrize(
    "case",
    ["not awaiting", "other payload", "text is not the doc", "stale", "future", "unknown gate"],
)
def test_the_gatekeeper_cannot_record_a_decision_that_does_not_fit(conn, world, case):
    run_id = world.run("SURVEYING" if case == "not awaiting" else "AWAITING_CUT_AUTHORIZATION")
    payload = world.payload["SG_1_cut_authz"]
    kwargs: dict = {}
    if case == "other payload":
        payload = "c" * 64
    if case == "text is not the doc":
        kwargs["text"] = approval_text(run_id, payload) + "extra"
    ttl_hours = int(TTL["SG_1_cut_authz"].total_seconds() // 3600)
    if case == "stale":
        kwargs["signed"] = f"now() - interval '{ttl_hours + 1} hours'"
    if case == "future":
        kwargs["signed"] = "now() + interval '1 hour'"
    if case == "unknown gate":
        kwargs["gate"] = "SG_9"
    cur = _as(conn, "cutter_gatekeeper")
    cur.execute("SAVEPOINT s")
    with pytest.raises(REFUSED):
        if "text" in kwargs:
            text = kwargs.pop("text")
            cur.execute(
                "SELECT cutter_governance.fn_decision_record('SG_1_cut_authz', %s, %s, 'x.md', "
                "%s, %s, 'stub', 'sovereign', NULL, now(), %s)",
                (run_id, payload, sha(approval_text(run_id, payload)), uuid.uuid4().hex, text),
            )
        else:
            record_decision(cur, run_id, payload, **kwargs)
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("RESET ROLE")


def _live_ready(conn, world) -> tuple[str, str]:
    """A live run awaiting SG_1 with a green rehearsal, an armed switch and a
    recorded decision: (run_id, decision_id)."""
    world.green_rehearsal()
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    world.arm(run_id)
    cur = _as(conn, "cutter_gatekeeper")
    decision = record_decision(cur, run_id, world.payload["SG_1_cut_authz"])
    cur.execute("RESET ROLE")
    return run_id, decision


def test_the_write_moves_on_only_under_its_own_decision_and_consumes_it(conn, world):
    run_id, decision = _live_ready(conn, world)
    cur = _as(conn, "cutter_exec")
    cur.execute("SAVEPOINT s")
    with pytest.raises(REFUSED):  # a made-up decision id
        cur.execute(
            "SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_1_cut_authz', %s, 'me')",
            (run_id, str(uuid.uuid4())),
        )
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute(
        "SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_1_cut_authz', %s, 'me')",
        (run_id, decision),
    )
    cur.execute("RESET ROLE")
    with conn.cursor() as check:
        check.execute(
            "SELECT r.state, d.consumed_at IS NOT NULL, d.consumed_by "
            "FROM cutter_governance.orchestrator_run r JOIN cutter_governance.review_decision d "
            "ON d.run_id = r.run_id WHERE r.run_id = %s",
            (run_id,),
        )
        assert check.fetchone() == ("WRITING", True, "me")


@pytest.mark.parametrize("missing", ["decision", "switch", "rehearsal"])
def test_a_live_write_without_decision_switch_or_rehearsal_never_begins(conn, world, missing):
    if missing != "rehearsal":
        world.green_rehearsal()
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    if missing != "switch":
        world.arm(run_id)
    decision = None
    if missing != "decision":
        cur = _as(conn, "cutter_gatekeeper")
        decision = record_decision(cur, run_id, world.payload["SG_1_cut_authz"])
        cur.execute("RESET ROLE")
    _refused_unchanged(
        conn,
        "cutter_exec",
        (
            "SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_1_cut_authz', %s, 'me')",
            (run_id, decision),
        ),
    )


def test_units_are_never_written_for_a_run_that_did_not_pass_sg1(conn, world):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    change_set = str(uuid.uuid4())
    for role in ("cutter_exec", "cutter_enact", "cutter_verify"):
        _attempt(
            conn,
            role,
            "SELECT cutter_governance.fn_change_set_open(%s, %s, 'k', %s, 1)",
            (change_set, run_id, "d" * 64),
        )
        _attempt(
            conn,
            role,
            "SELECT * FROM public.fn_iu_create_many(%s, %s)",
            (change_set, json.dumps(world.rows)),
        )


# ---- 3. the transition table and the phase order ------------------------------------
@pytest.mark.parametrize(
    "role,statement",
    [
        ("cutter_exec", "fn_run_move(%s, 'AWAITING_CUT_AUTHORIZATION', 'WRITING')"),
        ("cutter_exec", "fn_run_move(%s, 'AWAITING_CUT_AUTHORIZATION', 'COMPLETED')"),
        ("cutter_enact", "fn_run_move(%s, 'AWAITING_CUT_AUTHORIZATION', 'WRITING')"),
        ("cutter_enact", "fn_run_pass_gate(%s, 'SG_2_lifecycle_authz', NULL, 'me')"),
        ("cutter_exec", "fn_run_pass_gate(%s, 'SG_9', NULL, 'me')"),
        ("cutter_enact", "fn_run_void(%s, 'kb/reason.md')"),
        ("cutter_exec", "fn_run_reopen_for_leg_b(%s)"),
        ("cutter_verify", "fn_run_stop(%s, 'STOP_STATE', 'x')"),
        ("cutter_gatekeeper", "fn_run_stop(%s, 'STOP_STATE', 'x')"),
    ],
)
def test_moves_outside_the_transition_table_are_refused(conn, world, role, statement):
    run_id = world.run("AWAITING_CUT_AUTHORIZATION")
    _refused_unchanged(
        conn,
        role,
        ("SELECT cutter_governance." + statement, (run_id,)),
    )


def test_a_phase_is_recorded_only_in_order_in_its_state_by_its_role(conn, world):
    record = (
        "SELECT cutter_governance.fn_phase_record(%s, %s, 'passed', '{}', NULL, NULL, NULL, NULL)"
    )
    # a fresh run (no phases yet): a later phase before the first is refused
    fresh = world.bare_run()
    _attempt(conn, "cutter_exec", record, (fresh, "cutplan"))
    _attempt(conn, "cutter_exec", record, (fresh, "change_set"))  # wrong state
    _attempt(conn, "cutter_enact", record, (fresh, "source_pin"))  # wrong role
    _attempt(conn, "cutter_exec", record, (fresh, "no_such_phase"))
    cur = _as(conn, "cutter_exec")
    cur.execute(record, (fresh, "source_pin"))  # the first phase, by its role: recorded
    cur.execute("RESET ROLE")
    with conn.cursor() as check:
        check.execute(
            "SELECT phase FROM cutter_governance.phase_record WHERE run_id = %s", (fresh,)
        )
        assert check.fetchall() == [("source_pin",)]


def test_the_run_leaves_a_state_only_when_its_phases_passed(conn, world):
    fresh = world.bare_run()
    _attempt(
        conn,
        "cutter_exec",
        "SELECT cutter_governance.fn_run_move(%s, 'SURVEYING', 'AWAITING_CUT_AUTHORIZATION')",
        (fresh,),
    )


# ---- 4. the catalogue and the database agree ---------------------------------------
def test_the_phase_and_gate_rules_in_the_database_are_the_catalogue(conn):
    with conn.cursor() as cur:
        phases, gates = rules_in_force(cur)
    assert phases == catalogue.phase_rules()
    assert gates == catalogue.gate_rules()
    # the gate rules name real phases, and each gate opens the stage after its request
    # (SG_0, mid-survey, returns the run to the survey)
    assert {g[2] for g in gates} == {g.request_phase for g in catalogue.GATES}
    assert {g[3] for g in gates} == {"SURVEYING", "WRITING", "ENACTING"}


def test_the_mid_stage_gates_of_the_database_are_those_a_rehearsal_waits_for(conn):
    """What the functions derive from the rules (a mid-stage gate: no switch
    claimed, a rehearsal passes it under its decision) is what the catalogue
    says of its gates."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT g.gate FROM cutter_governance.gate_rule g "
            "WHERE cutter_governance.fn_mid_stage(g)"
        )
        mid_stage = {row[0] for row in cur.fetchall()}
    assert mid_stage == set(catalogue.REHEARSED_GATES) == {catalogue.GATE_SG0}
    assert mid_stage == {g.name for g in catalogue.GATES if not catalogue.writes_past(g.name)}


def test_the_forward_transitions_in_the_database_are_the_catalogues(conn):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT from_state, to_state, role, mode FROM cutter_governance.run_transition "
            "WHERE to_state NOT IN ('STOPPED', 'VOIDED') AND from_state <> 'STOPPED'"
        )
        rows = cur.fetchall()
    for mode in ("dryrun", "live"):
        assert {(f, t, r) for f, t, r, m in rows if m == mode} == catalogue.forward_moves()


# ---- 5. the structure review (SG_0): a mid-survey gate -----------------------------
SG0 = catalogue.GATE_SG0
PASS_SG0 = "SELECT cutter_governance.fn_run_pass_gate(%s, 'SG_0_structure', %s, 'me')"


def _reviewing(world, *, mode: str = "live", payload: str = "e" * 64) -> str:
    """A run whose structure review asked for SG_0: source_pin and the request
    recorded, nothing after them, the run awaiting the review."""
    run_id = world.bare_run() if mode == "dryrun" else world.run_before_mark()
    with world.conn.cursor() as cur:
        if mode == "dryrun":
            world.record(cur, run_id, "source_pin", {})
            world.record(cur, run_id, "structure_review", {"payload_sha": payload})
        cur.execute(
            "UPDATE cutter_governance.orchestrator_run SET state = 'AWAITING_STRUCTURE_REVIEW' "
            "WHERE run_id = %s",
            (run_id,),
        )
    return run_id


def _acknowledge(conn, run_id: str, *, provider: str = "gpg", payload: str = "e" * 64) -> str:
    cur = _as(conn, "cutter_gatekeeper")
    text = f"gate: {SG0}\nrun_id: {run_id}\npayload_sha: {payload}\n"
    cur.execute(
        "SELECT cutter_governance.fn_decision_record(%s, %s, %s, 'kb/run/SG0.md', %s, %s, %s, "
        "'sovereign', %s, now(), %s)::text",
        (SG0, run_id, payload, sha(text), uuid.uuid4().hex, provider,
         "A" * 40 if provider == "gpg" else None, text),
    )  # fmt: skip
    decision = cur.fetchone()[0]
    cur.execute("RESET ROLE")
    return decision


def _state_and_switch(conn, run_id: str) -> tuple[str, int]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT state, (SELECT count(*) FROM cutter_governance.execution_switch "
            "WHERE run_id = r.run_id) FROM cutter_governance.orchestrator_run r WHERE run_id = %s",
            (run_id,),
        )
        return cur.fetchone()


def test_a_run_waits_for_the_structure_review_once_its_request_passed(conn, world):
    fresh = world.bare_run()
    move = "SELECT cutter_governance.fn_run_move(%s, 'SURVEYING', 'AWAITING_STRUCTURE_REVIEW')"
    _attempt(conn, "cutter_exec", move, (fresh,))  # nothing recorded yet
    with conn.cursor() as cur:
        world.record(cur, fresh, "source_pin", {})
    _attempt(conn, "cutter_exec", move, (fresh,))  # the request has not passed
    _attempt(conn, "cutter_enact", move, (fresh,))  # not the executor
    with conn.cursor() as cur:
        world.record(cur, fresh, "structure_review", {"payload_sha": "e" * 64})
    cur = _as(conn, "cutter_exec")
    cur.execute("SAVEPOINT s")
    with pytest.raises(REFUSED):  # the survey's other phases have not passed: not to SG_1
        cur.execute(
            "SELECT cutter_governance.fn_run_move(%s, 'SURVEYING', 'AWAITING_CUT_AUTHORIZATION')",
            (fresh,),
        )
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute(move, (fresh,))
    cur.execute("RESET ROLE")
    assert _state_and_switch(conn, fresh) == ("AWAITING_STRUCTURE_REVIEW", 0)


def test_a_live_run_passes_the_review_under_its_decision_and_claims_no_switch(conn, world):
    run_id = _reviewing(world)
    _refused_unchanged(conn, "cutter_exec", (PASS_SG0, (run_id, None)))  # no decision
    decision = _acknowledge(conn, run_id)
    _refused_unchanged(conn, "cutter_enact", (PASS_SG0, (run_id, decision)))  # not its role
    cur = _as(conn, "cutter_exec")
    cur.execute(PASS_SG0, (run_id, decision))
    cur.execute("RESET ROLE")
    assert _state_and_switch(conn, run_id) == ("SURVEYING", 0)  # no switch armed or claimed
    with conn.cursor() as check:
        check.execute(
            "SELECT consumed_by FROM cutter_governance.review_decision WHERE id = %s", (decision,)
        )
        assert check.fetchone() == ("me",)


def test_a_rehearsal_waits_for_the_review_and_passes_it_under_a_stub_signed_decision(conn, world):
    run_id = _reviewing(world, mode="dryrun")
    _refused_unchanged(conn, "cutter_exec", (PASS_SG0, (run_id, None)))  # it needs one
    decision = _acknowledge(conn, run_id, provider="stub")
    cur = _as(conn, "cutter_exec")
    cur.execute(PASS_SG0, (run_id, decision))
    cur.execute("RESET ROLE")
    assert _state_and_switch(conn, run_id) == ("SURVEYING", 0)


@pytest.mark.parametrize("case", ["stub in live", "other payload", "replayed"])
def test_the_review_is_never_passed_under_a_decision_that_does_not_fit(conn, world, case):
    run_id = _reviewing(world)
    if case == "stub in live":
        cur = _as(conn, "cutter_gatekeeper")
        cur.execute("SAVEPOINT s")
        with pytest.raises(REFUSED, match="for a rehearsal only"):
            record_decision(cur, run_id, "e" * 64, gate=SG0)
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("RESET ROLE")
        return
    if case == "other payload":
        cur = _as(conn, "cutter_gatekeeper")
        cur.execute("SAVEPOINT s")
        with pytest.raises(REFUSED, match="not over the requested payload"):
            _acknowledge(conn, run_id, payload="f" * 64)
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("RESET ROLE")
        return
    decision = _acknowledge(conn, run_id)
    cur = _as(conn, "cutter_exec")
    cur.execute(PASS_SG0, (run_id, decision))
    cur.execute("RESET ROLE")
    with conn.cursor() as back:  # the owner puts the run back: the decision is spent
        back.execute(
            "UPDATE cutter_governance.orchestrator_run SET state = 'AWAITING_STRUCTURE_REVIEW' "
            "WHERE run_id = %s",
            (run_id,),
        )
    _refused_unchanged(conn, "cutter_exec", (PASS_SG0, (run_id, decision)))
