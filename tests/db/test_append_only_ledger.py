"""The ledger's records are append-only for everyone, the superuser included."""

from __future__ import annotations

import uuid

import pytest
from psycopg2 import errors

LEDGER_TABLES = [
    "batch",
    "cut_change_set",
    "gate_rule",
    "phase_rule",
    "run_transition",
    "signature",
    "manifest_envelope",
    "verify_result",
    "cut_change_set_affected_row",
    "approval_attempt",
    "phase_record",
    "cutplan_row",
]


def _refused(conn, statement: str, params=()) -> None:
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s")
        with pytest.raises(errors.RaiseException, match="is append-only"):
            cur.execute(statement, params)
        cur.execute("ROLLBACK TO SAVEPOINT s")


def test_a_signature_cannot_be_rewritten_or_removed(conn):
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO cutter_governance.signature "
            "(provider, principal, payload_sha, signature, signature_sha256) "
            "VALUES ('gpg', 'executor', 'p', 'sig', %s) RETURNING id",
            (uuid.uuid4().hex,),
        )
        signature_id = cur.fetchone()[0]
    _refused(
        conn,
        "UPDATE cutter_governance.signature SET signature = 'forged' WHERE id = %s",
        (signature_id,),
    )
    _refused(conn, "DELETE FROM cutter_governance.signature WHERE id = %s", (signature_id,))


@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_no_ledger_table_can_be_truncated(conn, table):
    _refused(conn, f"TRUNCATE cutter_governance.{table} CASCADE")


def test_every_ledger_table_refuses_updates_and_deletes(conn):
    """The row triggers are there and enabled on each table (the signature
    test above shows what they do)."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT c.relname FROM pg_trigger t
                 JOIN pg_class c ON c.oid = t.tgrelid
                 JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE c.relnamespace = 'cutter_governance'::regnamespace
                  AND t.tgname = 'append_only' AND t.tgenabled = 'O'
                  AND p.proname = 'tg_append_only'
                  AND t.tgtype & (8 | 16) = (8 | 16)  -- on DELETE and UPDATE
                  AND t.tgtype & 2 = 2  -- BEFORE"""
        )
        assert sorted(r[0] for r in cur.fetchall()) == sorted(LEDGER_TABLES)
