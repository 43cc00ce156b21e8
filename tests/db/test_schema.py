"""Versioned schema files: applied once, checksums recorded, edits refused,
governed functions pinned by fingerprint."""

from __future__ import annotations

import re
import shutil

import psycopg2
import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.schema import (
    apply_schema,
    live_fingerprints,
    pinned_fingerprints,
    schema_files,
    verify_fingerprints,
)
from cutter_assets.platform.settings import SQL_DIR

CATALOG_SNAPSHOT = """
SELECT 'rel', n.nspname || '.' || c.relname || ':' || c.relkind::text
       || ':' || coalesce(c.relacl::text, '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('public', 'cutter_governance', 'cutter_meta')
UNION ALL
SELECT 'fn', p.oid::regprocedure::text || ':' || md5(pg_get_functiondef(p.oid))
       || ':' || coalesce(p.proacl::text, '')
  FROM pg_proc p WHERE p.pronamespace IN ('public'::regnamespace, 'cutter_governance'::regnamespace)
UNION ALL
SELECT 'trg', tgname || ':' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'row', name || ':' || sha256 || ':' || applied_at::text FROM cutter_meta.schema_change
UNION ALL
SELECT 'vocab', unit_kind FROM public.unit_kind_vocab
ORDER BY 1, 2
"""


def _snapshot(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(CATALOG_SNAPSHOT)
        return cur.fetchall()


def _apply(url, sql_dir=SQL_DIR):
    conn = psycopg2.connect(url)
    try:
        return apply_schema(conn, sql_dir)
    finally:
        conn.close()


def test_schema_applies_twice_with_no_change(empty_db_url):
    first = _apply(empty_db_url)
    assert first.applied == [f.name for f in schema_files()] and first.unchanged == []
    before = _snapshot(empty_db_url)
    second = _apply(empty_db_url)
    assert second.applied == []
    assert second.unchanged == first.applied
    assert _snapshot(empty_db_url) == before


@pytest.fixture
def sql_copy(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    return target


@pytest.fixture
def applied_copy(pg_server_url, sql_copy, request):
    """A fresh database with the schema applied from a private copy of sql/."""
    from cutter_assets.db.server import create_database, drop_database, with_database

    name = "t_schema_copy_" + re.sub(r"\W", "", request.node.name)[-20:].lower()
    create_database(pg_server_url, name)
    url = with_database(pg_server_url, name)
    _apply(url, sql_copy)
    yield url, sql_copy
    drop_database(pg_server_url, name)


def test_an_edited_applied_file_is_refused_naming_it(applied_copy):
    url, sql_copy = applied_copy
    edited = sql_copy / "deploy" / "004_units.sql"
    edited.write_text(edited.read_text() + "\n-- a harmless-looking edit\n")
    before = _snapshot(url)
    with pytest.raises(CutterStop) as stop:
        _apply(url, sql_copy)
    assert stop.value.code is StopCode.STOP_SCHEMA_DRIFT
    assert "004_units.sql" in stop.value.line()
    assert _snapshot(url) == before


def test_a_removed_applied_file_is_refused(applied_copy):
    url, sql_copy = applied_copy
    (sql_copy / "deploy" / "002_documents.sql").unlink()
    with pytest.raises(CutterStop) as stop:
        _apply(url, sql_copy)
    assert stop.value.code is StopCode.STOP_SCHEMA_DRIFT
    assert "002_documents.sql" in stop.value.line()


def test_a_new_file_is_applied_once_and_a_failing_verify_applies_nothing(applied_copy):
    url, sql_copy = applied_copy
    (sql_copy / "deploy" / "900_extra.sql").write_text(
        "SET LOCAL ROLE cutter_owner;\nCREATE TABLE public.extra_thing (x int);\n"
    )
    (sql_copy / "verify" / "900_extra.sql").write_text("SELECT x FROM public.extra_thing;\n")
    assert _apply(url, sql_copy).applied == ["900_extra.sql"]
    assert _apply(url, sql_copy).applied == []

    (sql_copy / "deploy" / "901_broken.sql").write_text(
        "SET LOCAL ROLE cutter_owner;\nCREATE TABLE public.half_done (x int);\n"
    )
    (sql_copy / "verify" / "901_broken.sql").write_text(
        "SELECT missing_column FROM public.half_done;\n"
    )
    with pytest.raises(CutterStop) as stop:
        _apply(url, sql_copy)
    assert stop.value.code is StopCode.STOP_SCHEMA_FAILED
    assert "verify/901_broken.sql" in stop.value.line()
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT to_regclass('public.half_done'), "
            "(SELECT count(*) FROM cutter_meta.schema_change WHERE name = '901_broken.sql')"
        )
        assert cur.fetchone() == (None, 0)


def test_pinned_fingerprints_match_the_live_functions(db_url):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        live = live_fingerprints(cur)
    pinned = pinned_fingerprints()
    assert live == pinned
    assert {"public.fn_iu_create", "public.fn_iu_enact"} <= {s.split("(")[0] for s in live}


@pytest.mark.parametrize(
    "redefinition",
    [
        "ALTER FUNCTION public.fn_iu_enact(uuid, uuid) SECURITY INVOKER",
        "ALTER FUNCTION public.fn_iu_enact(uuid, uuid) SET search_path = public, pg_temp",
        "ALTER FUNCTION public.fn_iu_enact(uuid, uuid) STABLE",
        "CREATE OR REPLACE FUNCTION public.tg_append_only() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path = pg_catalog AS $$ BEGIN RETURN NEW; END $$",
    ],
    ids=["security-invoker", "search-path", "volatility", "body"],
)
def test_redefining_a_function_changes_its_digest_and_is_refused(db_url, redefinition):
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            before = live_fingerprints(cur)
            cur.execute(redefinition)
            after = live_fingerprints(cur)
            changed = [sig for sig in before if before[sig] != after[sig]]
            assert len(changed) == 1
            with pytest.raises(CutterStop) as stop:
                verify_fingerprints(cur)
            assert stop.value.code is StopCode.STOP_FINGERPRINT_DRIFT
            assert changed[0] in stop.value.line()
    finally:
        conn.rollback()
        conn.close()


def test_no_password_or_login_secret_in_versioned_files():
    for path in SQL_DIR.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").upper()
            assert "PASSWORD" not in text, path
            assert not re.search(r"POSTGRES(QL)?://[^\s]*:[^\s@]+@", text), path
