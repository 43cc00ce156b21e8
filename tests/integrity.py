"""Helpers for the write-path integrity tests: a deadline that turns a hang
into a failure, and a snapshot of everything a refused command must leave as
it was."""

from __future__ import annotations

from pathlib import Path

import psycopg2

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
