"""Lifecycle rules held by PostgreSQL itself: immutability of enacted units,
draft -> enacted exactly once, every lifecycle change logged, idempotent
creation, and one open cut run per document version."""

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
    authorize,
    create_unit,
    open_change_set,
    open_run,
    plan_row,
    sha,
)


@pytest.fixture
def change_set(conn):
    code = "LC-" + uuid.uuid4().hex[:8].upper()
    doc_id, version_id = add_document(conn, code)
    run_id = open_run(conn, doc_id, version_id, code)
    return code, run_id, open_change_set(conn, run_id)


def _count(conn, table, where="true", params=()):
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
        return cur.fetchone()[0]


def test_enacted_unit_cannot_be_updated_or_deleted(conn, change_set):
    code, run_id, cs = change_set
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1")
    decision = add_review_decision(conn, run_id)
    advance(conn, run_id, "ENACTING")
    with as_role(conn, "cutter_enact") as cur:
        cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, decision))
    for statement in (
        "UPDATE public.information_unit SET title = 'changed' WHERE id = %s",
        "UPDATE public.information_unit SET lifecycle_status = 'draft' WHERE id = %s",
        "DELETE FROM public.information_unit WHERE id = %s",
        "UPDATE public.unit_version SET body = 'x' WHERE information_unit_id = %s",
    ):
        with conn.cursor() as cur:
            cur.execute("SAVEPOINT s")
            # even the superuser is stopped by the triggers
            with pytest.raises(
                errors.RaiseException, match="immutable|append-only|cannot be deleted"
            ):
                cur.execute(statement, (unit_id,))
            cur.execute("ROLLBACK TO SAVEPOINT s")


def test_draft_is_enacted_exactly_once_and_each_change_is_logged(conn, change_set):
    code, run_id, cs = change_set
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1")
    decision = add_review_decision(conn, run_id)
    advance(conn, run_id, "ENACTING")
    assert _count(conn, "public.iu_lifecycle_log", "information_unit_id = %s", (unit_id,)) == 0
    with as_role(conn, "cutter_enact") as cur:
        cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, decision))
        assert cur.fetchone()[0] == "enacted"
    with pytest.raises(errors.RaiseException, match="only draft -> enacted"):
        with as_role(conn, "cutter_enact") as cur:
            cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, decision))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT from_status, to_status, review_decision_id::text, change_set_id::text "
            "FROM public.iu_lifecycle_log WHERE information_unit_id = %s",
            (unit_id,),
        )
        assert cur.fetchall() == [("draft", "enacted", decision, cs)]


def test_enact_needs_a_consumed_sg2_decision_of_the_same_run(conn, change_set):
    code, run_id, cs = change_set
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1")
    sg1 = add_review_decision(conn, run_id, gate="SG_1_cut_authz", consumed=False)
    advance(conn, run_id, "ENACTING")
    with pytest.raises(errors.RaiseException, match="no consumed SG_2 review decision"):
        with as_role(conn, "cutter_enact") as cur:
            cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, sg1))
    recorded_only = add_review_decision(conn, run_id, consumed=False)
    with pytest.raises(errors.RaiseException, match="no consumed SG_2 review decision"):
        with as_role(conn, "cutter_enact") as cur:
            cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, recorded_only))
    other_doc, other_version = add_document(conn, code + "-X")
    other_run = open_run(conn, other_doc, other_version, code + "-X")
    foreign = add_review_decision(conn, other_run)
    with pytest.raises(errors.RaiseException, match="no consumed SG_2 review decision"):
        with as_role(conn, "cutter_enact") as cur:
            cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, foreign))
    assert (
        _count(
            conn, "public.information_unit", "id = %s AND lifecycle_status = 'draft'", (unit_id,)
        )
        == 1
    )


def test_void_is_logged_and_leaves_enacted_units_alone(conn, change_set):
    code, run_id, cs = change_set
    first, _ = create_unit(conn, cs, f"{code}/art_1", "Một", sort=1)
    create_unit(conn, cs, f"{code}/art_2", "Hai", sort=2)
    with as_role(conn, "cutter_exec") as cur:  # the void goes through the run
        cur.execute("SELECT cutter_governance.fn_run_void(%s, 'kb/reason.md')", (run_id,))
        assert cur.fetchone()[0] == 2
    assert (
        _count(
            conn, "public.iu_lifecycle_log", "change_set_id = %s AND to_status = 'voided'", (cs,)
        )
        == 2
    )
    # a voided unit is kept (forward-only) and cannot come back
    decision = add_review_decision(conn, run_id)
    with pytest.raises(errors.RaiseException, match="only draft -> enacted|not ENACTING"):
        with as_role(conn, "cutter_enact") as cur:
            cur.execute("SELECT public.fn_iu_enact(%s, %s)", (first, decision))
    assert _count(conn, "public.information_unit", "change_set_id = %s", (cs,)) == 2


def test_void_refuses_a_change_set_with_enacted_units(conn, change_set):
    code, run_id, cs = change_set
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1")
    decision = add_review_decision(conn, run_id)
    advance(conn, run_id, "ENACTING")
    with as_role(conn, "cutter_enact") as cur:
        cur.execute("SELECT public.fn_iu_enact(%s, %s)", (unit_id, decision))
    with pytest.raises(errors.RaiseException, match="has enacted units"):
        with conn.cursor() as cur:  # the function itself, as its owner would call it
            cur.execute("SELECT public.fn_iu_void(%s)", (cs,))


def test_replayed_idempotency_key_creates_nothing_new(conn, change_set):
    code, _, cs = change_set
    with as_role(conn, "cutter_exec"):
        first_id, first_status = create_unit(conn, cs, f"{code}/art_1", key="same-key")
        before = {
            t: _count(conn, t)
            for t in (
                "public.information_unit",
                "public.unit_version",
                "cutter_governance.cut_change_set_affected_row",
            )
        }
        again_id, again_status = create_unit(conn, cs, f"{code}/art_1", key="same-key")
    assert (first_status, again_status) == ("created", "replayed")
    assert again_id == first_id
    assert {t: _count(conn, t) for t in before} == before


@pytest.mark.parametrize(
    "address,body,content_hash,parent,match",
    [
        ("OTHER-DOC/art_1", "x", None, None, "lies outside document"),
        ("{code}/art_1", "x", "0" * 64, None, "does not match its content hash"),
        ("{code}/art_1/para_1", "x", None, "{code}/art_1", "is not written in this change set"),
    ],
    ids=["foreign-address", "hash-mismatch", "orphan"],
)
def test_fn_iu_create_refuses_bad_rows(
    conn, change_set, address, body, content_hash, parent, match
):
    code, _, cs = change_set
    with pytest.raises(errors.RaiseException, match=match):
        with as_role(conn, "cutter_exec"):
            create_unit(
                conn,
                cs,
                address.format(code=code),
                body,
                parent=parent and parent.format(code=code),
                content_hash=content_hash,
            )
    assert _count(conn, "public.information_unit", "change_set_id = %s", (cs,)) == 0


def test_fn_iu_create_refuses_unless_the_run_is_writing(conn):
    doc_id, version_id = add_document(conn, "LC-PAUSED")
    run_id = open_run(conn, doc_id, version_id, "LC-PAUSED", state="AWAITING_CUT_AUTHORIZATION")
    cs = open_change_set(conn, run_id)
    with pytest.raises(errors.RaiseException, match="not WRITING"):
        with as_role(conn, "cutter_exec"):
            create_unit(conn, cs, "LC-PAUSED/art_1")


def test_only_one_open_run_per_document_version(conn):
    doc_id, version_id = add_document(conn, "LC-ONCE")
    first = open_run(conn, doc_id, version_id, "LC-ONCE", state="SURVEYING")
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s")
    with pytest.raises(errors.UniqueViolation, match="orchestrator_run_one_open_per_version"):
        open_run(conn, doc_id, version_id, "LC-ONCE", state="SURVEYING")
    with conn.cursor() as cur:
        cur.execute("ROLLBACK TO SAVEPOINT s")
        # a stopped live run still blocks until it is voided
        advance(conn, first, "STOPPED")
        cur.execute("SAVEPOINT s")
    with pytest.raises(errors.UniqueViolation):
        open_run(conn, doc_id, version_id, "LC-ONCE", state="SURVEYING")
    with conn.cursor() as cur:
        cur.execute("ROLLBACK TO SAVEPOINT s")
        advance(conn, first, "VOIDED")
    second = open_run(conn, doc_id, version_id, "LC-ONCE", state="SURVEYING")
    assert second != first


def test_a_finished_rehearsal_does_not_block_a_cut(conn):
    doc_id, version_id = add_document(conn, "LC-REHEARSED")
    rehearsal = open_run(conn, doc_id, version_id, "LC-REHEARSED", state="SURVEYING", mode="dryrun")
    advance(conn, rehearsal, "COMPLETED")
    open_run(conn, doc_id, version_id, "LC-REHEARSED", state="SURVEYING")


def test_content_hash_is_sha256_of_the_stored_body(conn, change_set):
    code, _, cs = change_set
    body = "Khoản 1. Nội dung có dấu tiếng Việt."
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1", body)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT body, content_hash FROM public.unit_version WHERE information_unit_id = %s",
            (unit_id,),
        )
        assert cur.fetchone() == (body, sha(body))


def test_batched_creation_counts_every_page_and_replays_as_a_whole(conn, change_set):
    """More rows than one page (500): every page's statuses are summed."""
    from cutter_assets.db.units import PAGE, create_units

    code, _, cs = change_set
    rows = [
        plan_row(
            f"{code}/art_{i}",
            f"Điều {i}. nội dung {i}",
            key=f"{code}-{i}",
            sort_order=i,
            raw_heading=f"Điều {i}.",
        )
        for i in range(1, 2 * PAGE + 201)
    ]
    with as_role(conn, "cutter_exec") as cur:
        assert create_units(cur, cs, rows) == {"created": len(rows)}
        assert create_units(cur, cs, rows) == {"replayed": len(rows)}
    assert _count(conn, "public.information_unit", "change_set_id = %s", (cs,)) == len(rows)


def test_batched_creation_links_each_version_and_affected_row_to_its_own_unit(conn, change_set):
    """A chapter in the first page, its articles in the first and the second
    page: the second page's parent is found among the units already written,
    and every version and affected row belongs to the unit it describes."""
    from cutter_assets.db.units import PAGE, create_units

    code, _, cs = change_set
    rows = [
        plan_row(f"{code}/chp_1", "chp_1: nội dung 1", key=f"{code}-chp_1", unit_kind="chapter")
    ]
    rows += [
        plan_row(
            f"{code}/chp_1/art_{i}",
            f"chp_1/art_{i}: nội dung {i + 1}",
            key=f"{code}-chp_1/art_{i}",
            sort_order=i + 1,
            parent=f"{code}/chp_1",
        )
        for i in range(1, PAGE + 101)
    ]
    with as_role(conn, "cutter_exec") as cur:
        assert create_units(cur, cs, rows) == {"created": len(rows)}
    with conn.cursor() as cur:
        cur.execute(
            """SELECT count(*),
                      count(*) FILTER (WHERE uv.content_hash = iu.content_hash
                                         AND encode(sha256(convert_to(uv.body, 'UTF8')), 'hex')
                                             = iu.content_hash
                                         AND ar.canonical_address = iu.canonical_address)
                 FROM public.information_unit iu
                 JOIN public.unit_version uv ON uv.information_unit_id = iu.id
                 JOIN cutter_governance.cut_change_set_affected_row ar
                   ON ar.information_unit_id = iu.id AND ar.change_set_id = iu.change_set_id
                WHERE iu.change_set_id = %s""",
            (cs,),
        )
        assert cur.fetchone() == (len(rows), len(rows))


def test_a_units_version_must_be_a_version_of_its_document(conn, change_set):
    code, _, cs = change_set
    other_doc, _ = add_document(conn, code + "-OTHER")
    with conn.cursor() as cur:
        cur.execute(
            "SELECT source_version_id FROM cutter_governance.orchestrator_run r "
            "JOIN cutter_governance.cut_change_set c USING (run_id) WHERE c.change_set_id = %s",
            (cs,),
        )
        version_of_code = cur.fetchone()[0]
        with pytest.raises(errors.ForeignKeyViolation, match="information_unit_source_fkey"):
            cur.execute(
                """INSERT INTO public.information_unit
                       (source_document_id, source_version_id, change_set_id, idempotency_key,
                        canonical_address, unit_kind, section_type, sort_order, content_hash)
                   VALUES (%s, %s, %s, 'k', %s, 'article', 'provision', 1, %s)""",
                (other_doc, version_of_code, cs, f"{code}/art_1", sha("x")),
            )


def test_an_affected_row_must_name_a_unit_of_its_own_change_set(conn, change_set):
    code, _, cs = change_set
    unit_id, _ = create_unit(conn, cs, f"{code}/art_1")
    other_code = code + "-B"
    doc_id, version_id = add_document(conn, other_code)
    other_cs = open_change_set(conn, open_run(conn, doc_id, version_id, other_code))
    with conn.cursor() as cur:
        with pytest.raises(errors.ForeignKeyViolation, match="affected_row_unit_fkey"):
            cur.execute(
                """INSERT INTO cutter_governance.cut_change_set_affected_row
                       (change_set_id, information_unit_id, canonical_address)
                   VALUES (%s, %s, %s)""",
                (other_cs, unit_id, f"{code}/art_1"),
            )


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda r, code: r.update(canonical_address="OTHER-DOC/art_1"), "lies outside document"),
        (lambda r, code: r.update(content_hash="0" * 64), "does not match its content hash"),
        (lambda r, code: r.update(parent_address=f"{code}/art_99"), "is not written in this"),
    ],
    ids=["foreign-address", "hash-mismatch", "orphan"],
)
def test_the_batch_writer_refuses_bad_pages_whole(conn, change_set, mutate, match):
    from cutter_assets.db.units import create_units

    code, _, cs = change_set
    rows = [
        plan_row(f"{code}/art_{i}", f"Điều {i}.", key=f"{code}-b{i}", sort_order=i)
        for i in range(1, 4)
    ]
    mutate(rows[2], code)
    with pytest.raises(errors.RaiseException, match=match):
        with as_role(conn, "cutter_exec") as cur:
            create_units(cur, cs, rows)
    assert _count(conn, "public.information_unit", "change_set_id = %s", (cs,)) == 0


def _write_one(writer: str, cur, cs: str, row: dict) -> None:
    from cutter_assets.core.legal.model import PLAN_COLUMNS
    from cutter_assets.db.units import create_units

    if writer == "fn_iu_create_many":
        create_units(cur, cs, [row])
    else:
        cur.execute(
            "SELECT * FROM public.fn_iu_create(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            # fn_iu_create's order: the change set, the key, then the plan columns
            (cs, row["idempotency_key"], *(row[c] for c in PLAN_COLUMNS[:-1])),
        )


@pytest.mark.parametrize("writer", ["fn_iu_create", "fn_iu_create_many"])
def test_both_writers_refuse_an_unknown_change_set(conn, writer):
    row = plan_row("LC-NOWHERE/art_1", "x", key=f"nowhere-{writer}")
    with pytest.raises(errors.RaiseException, match=f"^{writer}: unknown change set"):
        with as_role(conn, "cutter_exec") as cur:
            _write_one(writer, cur, str(uuid.uuid4()), row)


@pytest.mark.parametrize("writer", ["fn_iu_create", "fn_iu_create_many"])
def test_both_writers_need_writing_the_switch_and_sg1_for_a_live_run(conn, writer):
    """One guard (fn_require_writable) for both writers, each named in the refusal."""
    code = "LC-GUARD-" + uuid.uuid4().hex[:6].upper()
    doc_id, version_id = add_document(conn, code)
    run_id = open_run(conn, doc_id, version_id, code, state="SURVEYING")
    cs = open_change_set(conn, run_id)
    row = plan_row(f"{code}/art_1", "x", key=f"{code}-1")
    with pytest.raises(errors.RaiseException, match=f"^{writer}: run of .* not WRITING"):
        with as_role(conn, "cutter_exec") as cur:
            _write_one(writer, cur, cs, row)
    advance(conn, run_id, "WRITING")
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE cutter_governance.execution_switch SET disarmed_at = now() "
            "WHERE disarmed_at IS NULL"
        )
    with pytest.raises(errors.RaiseException, match=f"^{writer}: execution is not enabled"):
        with as_role(conn, "cutter_exec") as cur:
            _write_one(writer, cur, cs, row)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO cutter_governance.execution_switch (run_id) VALUES (%s)", (run_id,)
        )
    with pytest.raises(errors.RaiseException, match=f"^{writer}: run .* no consumed SG_1"):
        with as_role(conn, "cutter_exec") as cur:
            _write_one(writer, cur, cs, row)
    authorize(conn, run_id)
    with as_role(conn, "cutter_exec") as cur:
        _write_one(writer, cur, cs, row)
    assert _count(conn, "public.information_unit", "change_set_id = %s", (cs,)) == 1


def test_dryrun_units_can_never_be_committed(db_url):
    from cutter_assets.db.units import create_units

    connection = psycopg2.connect(db_url)
    try:
        doc_id, version_id = add_document(connection, "LC-DRY-COMMIT")
        run_id = open_run(connection, doc_id, version_id, "LC-DRY-COMMIT", mode="dryrun")
        cs = open_change_set(connection, run_id)
        with as_role(connection, "cutter_exec") as cur:
            create_units(cur, cs, [plan_row("LC-DRY-COMMIT/art_1", "y", key="dry-1")])
        with pytest.raises(errors.RaiseException, match="never committed"):
            connection.commit()
    finally:
        connection.close()
    with psycopg2.connect(db_url) as check, check.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM public.information_unit "
            "WHERE canonical_address LIKE 'LC-DRY-COMMIT/%%'"
        )
        assert cur.fetchone()[0] == 0
