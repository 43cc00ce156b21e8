"""structural_verify's read-back (phase 7) sees each defect a write could
leave, even one that bypassed the governed writer: the probe is the second
line behind fn_iu_create_many's own checks."""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from cutter_assets.assets.write import structural_invariants
from tests.db.builders import add_document, create_unit, open_change_set, open_run, sha


@pytest.fixture
def written(db_url):
    """A change set with a chapter and two articles under it, written through
    fn_iu_create; the connection is rolled back afterwards."""
    conn = psycopg2.connect(db_url)
    code = "SP-" + uuid.uuid4().hex[:8].upper()
    doc_id, version_id = add_document(conn, code)
    cs = open_change_set(conn, open_run(conn, doc_id, version_id, code))
    rows = []
    for sort, (address, parent) in enumerate(
        [("chp_1", None), ("chp_1/art_1", "chp_1"), ("chp_1/art_2", "chp_1")], start=1
    ):
        body = f"{address} nội dung"
        parent_address = f"{code}/{parent}" if parent else None
        create_unit(conn, cs, f"{code}/{address}", body, parent=parent_address, sort=sort)
        rows.append({"section_type": "provision", "canonical_address": f"{code}/{address}"})
    yield conn, code, cs, rows
    conn.rollback()
    conn.close()


def _bypass(conn, cs, address, body, *, parent=None, content_hash=None, doc_code=None):
    """A unit written straight into the tables, as no cutter role can."""
    with conn.cursor() as cur:
        cur.execute(
            """WITH u AS (
                   INSERT INTO public.information_unit
                       (source_document_id, source_version_id, change_set_id, idempotency_key,
                        canonical_address, unit_kind, section_type, parent_address, sort_order,
                        content_hash)
                   SELECT r.source_document_id, r.source_version_id, c.change_set_id, %s, %s,
                          'article', 'provision', %s, 99, %s
                     FROM cutter_governance.cut_change_set c
                     JOIN cutter_governance.orchestrator_run r USING (run_id)
                    WHERE c.change_set_id = %s
                   RETURNING id, canonical_address)
               , v AS (INSERT INTO public.unit_version
                           (information_unit_id, version_no, body, content_hash)
                       SELECT id, 1, %s, %s FROM u)
               INSERT INTO cutter_governance.cut_change_set_affected_row
                   (change_set_id, information_unit_id, canonical_address)
               SELECT %s, id, canonical_address FROM u""",
            (
                f"bypass-{address}",
                address,
                parent,
                content_hash or sha(body),
                cs,
                body,
                content_hash or sha(body),
                cs,
            ),
        )


def _observed(conn, cs, rows) -> dict:
    return {i.name: (i.expected, i.observed, i.ok) for i in structural_invariants(conn, cs, rows)}


def test_a_clean_change_set_passes_all_seven(written):
    conn, _, cs, rows = written
    invariants = structural_invariants(conn, cs, rows)
    assert len(invariants) == 7
    assert all(i.ok for i in invariants), [(i.name, i.observed) for i in invariants]


@pytest.mark.parametrize(
    "defect,invariant",
    [
        ("orphan", "anchored exact (parents in the change set)"),
        ("hash", "body hash match"),
        ("foreign", "foreign id intrusion"),
    ],
)
def test_each_defect_is_seen(written, defect, invariant):
    conn, code, cs, rows = written
    if defect == "orphan":
        _bypass(conn, cs, f"{code}/chp_9/art_9", "x", parent=f"{code}/chp_9")
    elif defect == "hash":
        _bypass(conn, cs, f"{code}/chp_1/art_3", "x", content_hash=sha("not x"))
    else:
        _bypass(conn, cs, "OTHER-DOC/art_1", "x")
    observed = _observed(conn, cs, rows)
    expected, seen, ok = observed[invariant]
    assert not ok and seen == 1 and expected == 0
    # the extra unit also breaks the count against the plan
    assert not observed["count = expected (units, affected rows)"][2]


def test_a_unit_stored_without_its_planned_anomalies_is_seen(written):
    """The plan says art_2 was cut as found with a gap; the unit holds none."""
    conn, code, cs, rows = written
    gap = {"kind": "gap", "line": 4, "sha256": sha("4"), "expected": "2", "found": "3"}
    planned = [
        dict(r, accepted_anomalies=[gap] if r["canonical_address"].endswith("art_2") else [])
        for r in rows
    ]
    name = "accepted anomalies as planned (units differing)"
    assert _observed(conn, cs, rows)[name] == (0, 0, True)
    assert _observed(conn, cs, planned)[name] == (0, 1, False)
