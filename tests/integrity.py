"""Helpers for the write-path integrity tests: a snapshot of everything a
refused command must leave as it was, and a digest of every ledger and unit
row for attacks that must change nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg2
from psycopg2 import sql

LEDGER_TABLES = (
    "orchestrator_run",
    "phase_record",
    "review_decision",
    "cut_change_set",
    "cutplan_row",
    "signature",
    "manifest_envelope",
    "verify_result",
    "approval_attempt",
    "cut_change_set_affected_row",
    "execution_switch",
    "run_transition",
    "phase_rule",
    "gate_rule",
)


def ledger_digest(cur) -> dict[str, str]:
    """A digest of every ledger and unit table's rows: 'unchanged' means equal."""
    found = {}
    for schema, table in [("cutter_governance", t) for t in LEDGER_TABLES] + [
        ("public", "information_unit"),
        ("public", "unit_version"),
        ("public", "iu_lifecycle_log"),
    ]:
        cur.execute(
            sql.SQL(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
            ).format(sql.Identifier(schema, table))
        )
        found[table] = cur.fetchone()[0]
    return found


COUNTED_TABLES = ("public.source_document", "public.source_version", "public.information_unit")


def snapshot(db_url: str, kb_root: str | Path | None = None) -> dict[str, int | tuple]:
    """Row counts of the document, unit and every cutter_governance table, the
    schemas that exist, and the files in the KB."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = 'cutter_governance' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        tables = [*COUNTED_TABLES, *(row[0] for row in cur.fetchall())]
        counts: dict[str, int | tuple] = {}
        for table in tables:
            cur.execute(f"SELECT count(*) FROM {table}")  # names from the catalog, not input
            counts[table] = cur.fetchone()[0]
        cur.execute(  # a session's temporary schemas come and go by themselves
            "SELECT nspname FROM pg_catalog.pg_namespace "
            "WHERE nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' "
            "ORDER BY 1"
        )
        counts["schemas"] = tuple(row[0] for row in cur.fetchall())
    conn.close()
    if kb_root is not None:
        root = Path(kb_root)
        counts["kb files"] = tuple(sorted(str(p) for p in root.rglob("*"))) if root.exists() else ()
    return counts
