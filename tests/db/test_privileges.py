"""The privilege matrix, tried for real against PostgreSQL: every allowed
action succeeds and every forbidden one raises a permission error."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from psycopg2 import errors

from tests.db.builders import (
    add_document,
    add_review_decision,
    advance,
    as_role,
    create_unit,
    open_change_set,
    open_run,
    plan_row,
    sha,
)

NOBODY = "cutter_test_nobody"  # a login with nothing but what PUBLIC has


@pytest.fixture(scope="module")
def world(db_url):
    """One document with a run in WRITING, a change set and one draft unit."""
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{NOBODY}') "
            f"THEN CREATE ROLE {NOBODY} LOGIN; END IF; END $$"
        )
    doc_id, version_id = add_document(conn, "PRIV-DOC")
    run_id = open_run(conn, doc_id, version_id, "PRIV-DOC")
    change_set_id = open_change_set(conn, run_id)
    unit_id, _ = create_unit(conn, change_set_id, "PRIV-DOC/art_1")
    decision_id = add_review_decision(conn, run_id)
    # a second run, past SG_2: one draft to enact under its consumed decision
    enact_doc, enact_version = add_document(conn, "PRIV-ENACT")
    enact_run = open_run(conn, enact_doc, enact_version, "PRIV-ENACT")
    enact_unit, _ = create_unit(conn, open_change_set(conn, enact_run), "PRIV-ENACT/art_1")
    enact_decision = add_review_decision(conn, enact_run)
    advance(conn, enact_run, "ENACTING")
    signature_id = str(uuid.uuid4())
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO cutter_governance.signature
                   (id, provider, principal, payload_sha, signature, signature_sha256)
               VALUES (%s, 'stub', 'exec', 'x', 'sig', %s)""",
            (signature_id, uuid.uuid4().hex),
        )
    conn.commit()
    conn.close()
    return {
        "doc_id": doc_id,
        "version_id": version_id,
        "run_id": run_id,
        "cs": change_set_id,
        "unit": unit_id,
        "decision": decision_id,
        "signature": signature_id,
        "enact": (enact_unit, enact_decision),
    }


def _create(w, suffix):
    body = "Thân " + suffix
    return (
        "SELECT * FROM public.fn_iu_create(%s, %s, %s, 'article', 'provision', '2', 'Điều 2.', "
        "'', %s, NULL, 2, %s)",
        (w["cs"], "k-" + suffix, "PRIV-DOC/art_" + suffix, body, sha(body)),
    )


def _create_many(w, suffix):
    import json

    rows = [
        plan_row(
            "PRIV-DOC/art_" + suffix, "Thân " + suffix, key="m-" + suffix, sort_order=int(suffix)
        )
    ]
    return ("SELECT * FROM public.fn_iu_create_many(%s, %s::jsonb)", (w["cs"], json.dumps(rows)))


INSERT_UNIT = (
    "INSERT INTO public.information_unit (source_document_id, source_version_id, change_set_id, "
    "idempotency_key, canonical_address, unit_kind, section_type, sort_order, content_hash) "
    "VALUES (%s, %s, %s, 'direct', 'PRIV-DOC/art_9', 'article', 'provision', 9, %s)"
)


def _insert_unit(w):
    return INSERT_UNIT, (w["doc_id"], w["version_id"], w["cs"], "a" * 64)


def _verify_result(w):
    return (
        "INSERT INTO cutter_governance.verify_result "
        "(id, change_set_id, verifier_signature_id, verdict, payload_sha) "
        "VALUES (%s, %s, %s, 'pass', 'p')",
        (str(uuid.uuid4()), w["cs"], w["signature"]),
    )


def _signature(w):
    return (
        "INSERT INTO cutter_governance.signature "
        "(provider, principal, payload_sha, signature, signature_sha256) "
        "VALUES ('stub', 'me', 'p', 's', %s) RETURNING created_by",
        (uuid.uuid4().hex,),
    )


def _envelope_through_its_function(w):
    return (
        "SELECT cutter_governance.fn_envelope_record(gen_random_uuid(), %s, "
        "cutter_governance.fn_signature_record('stub', 'executor', 'p', 's', %s), 'p', 3)",
        (w["cs"], uuid.uuid4().hex),
    )


def _verify_result_through_its_function(w):
    return (
        "SELECT cutter_governance.fn_verify_record(gen_random_uuid(), %s, "
        "cutter_governance.fn_signature_record('stub', 'verifier', 'p', 's', %s), 'pass', '{}', "
        "'p')",
        (w["cs"], uuid.uuid4().hex),
    )


def _envelope(w):
    return (
        "INSERT INTO cutter_governance.manifest_envelope "
        "(id, change_set_id, executor_signature_id, payload_sha, row_count) "
        "VALUES (%s, %s, %s, 'p', 1)",
        (str(uuid.uuid4()), w["cs"], w["signature"]),
    )


# (role, action, statement builder, allowed)
MATRIX = [
    # cutter_exec: IUs only through fn_iu_create; cannot enact
    ("cutter_exec", "create an IU through fn_iu_create", lambda w: _create(w, "10"), True),
    ("cutter_exec", "insert an IU directly", _insert_unit, False),
    (
        "cutter_exec",
        "update an IU directly",
        lambda w: ("UPDATE public.information_unit SET title = 'x'", ()),
        False,
    ),
    ("cutter_exec", "delete an IU", lambda w: ("DELETE FROM public.information_unit", ()), False),
    (
        "cutter_exec",
        "enact through fn_iu_enact",
        lambda w: ("SELECT public.fn_iu_enact(%s, %s)", w["enact"]),
        False,
    ),
    ("cutter_exec", "write a verify_result", _verify_result, False),
    ("cutter_exec", "write a manifest envelope (leg B) directly", _envelope, False),
    (
        "cutter_exec",
        "write a manifest envelope (leg B) through fn_envelope_record",
        _envelope_through_its_function,
        True,
    ),
    (
        "cutter_exec",
        "write a verify_result through fn_verify_record",
        _verify_result_through_its_function,
        False,
    ),
    (
        "cutter_exec",
        "read the IU table",
        lambda w: ("SELECT count(*) FROM public.information_unit", ()),
        True,
    ),
    ("cutter_exec", "create IUs through fn_iu_create_many", lambda w: _create_many(w, "20"), True),
    (
        "cutter_enact",
        "create IUs through fn_iu_create_many",
        lambda w: _create_many(w, "21"),
        False,
    ),
    (
        "cutter_verify",
        "create IUs through fn_iu_create_many",
        lambda w: _create_many(w, "22"),
        False,
    ),
    (NOBODY, "call fn_iu_create_many", lambda w: _create_many(w, "23"), False),
    (
        "cutter_exec",
        "look up a change set's run through the writers' helper",
        lambda w: ("SELECT cutter_governance.fn_run_of_change_set('x', %s)", (w["cs"],)),
        False,
    ),
    (
        "cutter_exec",
        "call the write guard directly",
        lambda w: (
            "SELECT cutter_governance.fn_require_writable('x', %s, NULL, 'WRITING', 'dryrun')",
            (w["cs"],),
        ),
        False,
    ),
    # cutter_enact: enact only
    (
        "cutter_enact",
        "enact through fn_iu_enact",
        lambda w: ("SELECT public.fn_iu_enact(%s, %s)", w["enact"]),
        True,
    ),
    ("cutter_enact", "create an IU through fn_iu_create", lambda w: _create(w, "11"), False),
    ("cutter_enact", "insert an IU directly", _insert_unit, False),
    (
        "cutter_enact",
        "update an IU directly",
        lambda w: ("UPDATE public.information_unit SET lifecycle_status = 'enacted'", ()),
        False,
    ),
    # cutter_verify: reads; writes only verify_result and its signature
    (
        "cutter_verify",
        "read the IU tables",
        lambda w: (
            "SELECT count(*) FROM public.information_unit JOIN public.unit_version uv "
            "ON uv.information_unit_id = information_unit.id",
            (),
        ),
        True,
    ),
    ("cutter_verify", "write a verify_result directly", _verify_result, False),
    ("cutter_verify", "write a signature directly", _signature, False),
    (
        "cutter_verify",
        "write a verify_result through fn_verify_record",
        _verify_result_through_its_function,
        True,
    ),
    ("cutter_verify", "insert an IU directly", _insert_unit, False),
    (
        "cutter_verify",
        "update an IU",
        lambda w: ("UPDATE public.information_unit SET title = 'x'", ()),
        False,
    ),
    ("cutter_verify", "create an IU through fn_iu_create", lambda w: _create(w, "12"), False),
    (
        "cutter_verify",
        "enact through fn_iu_enact",
        lambda w: ("SELECT public.fn_iu_enact(%s, %s)", w["enact"]),
        False,
    ),
    ("cutter_verify", "write a manifest envelope", _envelope, False),
    (
        "cutter_verify",
        "update a verify_result",
        lambda w: ("UPDATE cutter_governance.verify_result SET verdict = 'fail'", ()),
        False,
    ),
    (
        "cutter_verify",
        "move a run's state",
        lambda w: ("UPDATE cutter_governance.orchestrator_run SET state = 'COMPLETED'", ()),
        False,
    ),
    (
        "cutter_verify",
        "record a review decision",
        lambda w: (
            "INSERT INTO cutter_governance.review_decision (gate, run_id, payload_sha, "
            "approval_doc_path, approval_doc_sha256, signature_sha256, provider, approver, "
            "signed_utc) VALUES ('SG_1_cut_authz', %s, 'p', 'x', 'd', 'zz', 'stub', 'a', now())",
            (w["run_id"],),
        ),
        False,
    ),
    # PUBLIC: nothing in cutter_governance, no function, no IU
    (
        NOBODY,
        "read the ledger",
        lambda w: ("SELECT count(*) FROM cutter_governance.orchestrator_run", ()),
        False,
    ),
    (
        NOBODY,
        "read review decisions",
        lambda w: ("SELECT count(*) FROM cutter_governance.review_decision", ()),
        False,
    ),
    (NOBODY, "call fn_iu_create", lambda w: _create(w, "13"), False),
    (
        NOBODY,
        "call fn_iu_enact",
        lambda w: ("SELECT public.fn_iu_enact(%s, %s)", w["enact"]),
        False,
    ),
    (NOBODY, "call fn_iu_void", lambda w: ("SELECT public.fn_iu_void(%s)", (w["cs"],)), False),
    (
        NOBODY,
        "read the IU table",
        lambda w: ("SELECT count(*) FROM public.information_unit", ()),
        False,
    ),
    (
        NOBODY,
        "register a document",
        lambda w: (
            "INSERT INTO public.source_document (doc_code, language) VALUES ('NOPE', 'vi')",
            (),
        ),
        False,
    ),
    (
        NOBODY,
        "create a table in public",
        lambda w: ("CREATE TABLE public.intruder (x int)", ()),
        False,
    ),
]


@pytest.mark.parametrize(
    "role,action,build,allowed", MATRIX, ids=[f"{r}:{a}" for r, a, _, _ in MATRIX]
)
def test_privilege_matrix(db_url, world, role, action, build, allowed):
    statement, params = build(world)
    conn = psycopg2.connect(db_url)
    try:
        if allowed:
            with as_role(conn, role) as cur:
                cur.execute(statement, params)
        else:
            with pytest.raises(errors.InsufficientPrivilege):
                with as_role(conn, role) as cur:
                    cur.execute(statement, params)
    finally:
        conn.rollback()
        conn.close()


def test_signature_records_the_real_writer(db_url, world):
    """A verifier cannot pass its signature off as another role's: the record
    names the calling role, and it signs only as the verifier."""
    conn = psycopg2.connect(db_url)
    try:
        with as_role(conn, "cutter_verify") as cur:
            cur.execute(
                "SELECT cutter_governance.fn_signature_record('stub', 'verifier', 'p', 's', %s)",
                (uuid.uuid4().hex,),
            )
            signature_id = cur.fetchone()[0]
            cur.execute(
                "SELECT created_by FROM cutter_governance.signature WHERE id = %s", (signature_id,)
            )
            assert cur.fetchone()[0] == "cutter_verify"
        with pytest.raises(errors.InsufficientPrivilege, match="may not"):
            with as_role(conn, "cutter_verify") as cur:
                cur.execute(
                    "SELECT cutter_governance.fn_signature_record('stub', 'executor', 'p', "
                    "'s', %s)",
                    (uuid.uuid4().hex,),
                )
    finally:
        conn.rollback()
        conn.close()
