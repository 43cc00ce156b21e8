"""The cut plan and its writer digest, without a database: the digest pins
every column the writer writes, so the two-pass determinism check catches a
plan builder that depends on the order of its input. Expected digests are
recomputed here with hashlib and json, never copied from the code's output."""

from __future__ import annotations

import copy
import hashlib
import json
import random

import pytest

from cutter_assets.core import cutplan
from cutter_assets.core.legal import extract_units, writer_digest

CODE = "VN-TEST"
TEXT = """Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
1. Khoản một.
2. Khoản hai.
Điều 2. Đối tượng áp dụng
1. Khoản ba.
Chương II
ĐIỀU KHOẢN THI HÀNH
Điều 3. Hiệu lực
Luật này có hiệu lực.
"""
# What fn_iu_create_many stores for a plan row (the body through its content hash).
WRITTEN = (
    "canonical_address",
    "unit_kind",
    "section_type",
    "number",
    "raw_heading",
    "title",
    "parent_address",
    "sort_order",
    "content_hash",
    "idempotency_key",
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def independent_digest(rows) -> str:
    written = sorted(
        ({column: row[column] for column in WRITTEN} for row in rows),
        key=lambda r: r["canonical_address"],
    )
    return sha(json.dumps(written, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


@pytest.fixture(scope="module")
def units():
    return extract_units(TEXT, doc_code=CODE, language="vi").units


def test_plan_rows_follow_document_order_and_carry_keys(units) -> None:
    rows = cutplan.plan_rows(list(reversed(units)), CODE)
    assert [r["canonical_address"] for r in rows] == [u.canonical_address for u in units]
    for row in rows:
        assert row["idempotency_key"] == sha(
            f"{CODE}|{row['canonical_address']}|{row['content_hash']}"
        )
    assert writer_digest(rows) == independent_digest(rows)


def test_two_pass_digests_agree_for_the_real_plan_builder(units) -> None:
    forward, backward = cutplan.two_pass_digests(units, CODE)
    assert forward == backward == independent_digest(cutplan.plan_rows(units, CODE))
    shuffled = list(units)
    random.Random(7).shuffle(shuffled)
    assert writer_digest(cutplan.plan_rows(shuffled, CODE)) == forward


def _sort_order_by_input_position(build):
    def plan(units, doc_code, accepted=()):
        rows = build(units, doc_code, accepted)
        position = {u.canonical_address: i + 1 for i, u in enumerate(units)}
        for row in rows:
            row["sort_order"] = position[row["canonical_address"]]
        return rows

    return plan


def _parent_by_last_seen_in_input(build):
    def plan(units, doc_code, accepted=()):
        rows = build(units, doc_code, accepted)
        kind_of = {u.canonical_address: u.unit_kind for u in units}
        last_seen: dict[str, str] = {}
        for unit in units:
            last_seen[unit.unit_kind] = unit.canonical_address
            row = next(r for r in rows if r["canonical_address"] == unit.canonical_address)
            if row["parent_address"] is not None:
                row["parent_address"] = last_seen.get(
                    kind_of[row["parent_address"]], row["parent_address"]
                )
        return rows

    return plan


@pytest.mark.parametrize("bug", [_sort_order_by_input_position, _parent_by_last_seen_in_input])
def test_two_pass_digests_catch_an_order_dependent_plan_builder(units, monkeypatch, bug) -> None:
    buggy = bug(cutplan.plan_rows)
    # The bug is real: the reversed input yields another rowset...
    forward_rows = buggy(units, CODE)
    backward_rows = buggy(list(reversed(units)), CODE)
    assert independent_digest(forward_rows) != independent_digest(backward_rows)
    # ...and the gate the cutplan asset runs sees it.
    monkeypatch.setattr(cutplan, "plan_rows", buggy)
    forward, backward = cutplan.two_pass_digests(units, CODE)
    assert forward != backward
    assert (forward, backward) == (
        independent_digest(forward_rows),
        independent_digest(backward_rows),
    )


def _changed(field: str, row: dict, rows: list[dict]):
    other = next(r for r in rows if r["canonical_address"] != row["canonical_address"])
    return {
        "canonical_address": row["canonical_address"] + "_x",
        "unit_kind": "article" if row["unit_kind"] != "article" else "clause",
        "section_type": "heading" if row["section_type"] != "heading" else "provision",
        "number": row["number"] + "9",
        "raw_heading": row["raw_heading"] + " (sửa)",
        "title": row["title"] + " (sửa)",
        "parent_address": other["canonical_address"],
        "sort_order": row["sort_order"] + len(rows),
        "content_hash": sha("another body"),
        "idempotency_key": sha("another key"),
    }[field]


@pytest.mark.parametrize("field", WRITTEN)
@pytest.mark.parametrize("index", [0, 3])
def test_writer_digest_changes_with_any_written_column(units, field, index) -> None:
    rows = cutplan.plan_rows(units, CODE)
    tampered = copy.deepcopy(rows)
    tampered[index][field] = _changed(field, tampered[index], tampered)
    assert tampered[index][field] != rows[index][field]
    assert independent_digest(tampered) != independent_digest(rows)
    assert writer_digest(tampered) == independent_digest(tampered)
    assert writer_digest(tampered) != writer_digest(rows)


def test_body_is_covered_through_its_hash_only(units) -> None:
    rows = cutplan.plan_rows(units, CODE)
    without_bodies = [{k: v for k, v in r.items() if k != "body"} for r in rows]
    assert writer_digest(without_bodies) == writer_digest(rows)


def test_a_missing_title_is_digested_as_the_writer_stores_it(units) -> None:
    # fn_iu_create stores coalesce(title, ''); a top-level unit keeps parent NULL.
    rows = cutplan.plan_rows(units, CODE)
    untitled = [r for r in rows if r["title"] == ""]
    assert untitled and any(r["parent_address"] is None for r in rows)
    with_none = [dict(r, title=None) if r["title"] == "" else r for r in rows]
    assert writer_digest(with_none) == writer_digest(rows) == independent_digest(rows)


# ---- the anomalies a plan's units were cut as found with ---------------------------------
def _record(line: int, kind: str, *addresses: str) -> dict:
    """An ``accepted_records`` entry, made here: the anomaly and the units it names."""
    return {
        "kind": kind,
        "line": line,
        "sha256": sha(f"line {line}"),
        "expected": "c",
        "found": "d",
        "units": list(addresses),
    }


def _entry(record: dict) -> dict:
    return {k: record[k] for k in ("kind", "line", "sha256", "expected", "found")}


def test_each_row_carries_exactly_the_anomalies_that_name_its_unit(units) -> None:
    clause, article = f"{CODE}/chp_1/art_1/para_2", f"{CODE}/chp_1/art_2"
    late, early = _record(9, "gap", clause), _record(4, "duplicate", clause)
    both = _record(6, "out_of_order", article, clause)
    rows = cutplan.plan_rows(list(reversed(units)), CODE, [late, early, both])
    carried = {r["canonical_address"]: r["accepted_anomalies"] for r in rows}
    assert carried[clause] == [_entry(early), _entry(both), _entry(late)]  # by line
    assert carried[article] == [_entry(both)]
    assert all(v == [] for a, v in carried.items() if a not in (clause, article))
    assert all(r["accepted_anomalies"] == [] for r in cutplan.plan_rows(units, CODE))


def test_a_rows_anomalies_are_in_its_writer_digest(units) -> None:
    clause = f"{CODE}/chp_1/art_1/para_2"
    accepted = [_record(4, "gap", clause)]
    rows = cutplan.plan_rows(units, CODE, accepted)
    forward, backward = cutplan.two_pass_digests(units, CODE, accepted)
    assert forward == backward == writer_digest(rows, accepted)
    # the same records, but the row stored without them (or with other ones): another plan
    bare = [dict(r, accepted_anomalies=[]) for r in rows]
    assert writer_digest(bare, accepted) != forward
    other = [dict(r, accepted_anomalies=[_entry(_record(5, "gap", clause))]) for r in rows]
    assert writer_digest(other, accepted) != forward
    # a plan with no anomaly digests exactly as the rows alone (clean plans keep their digest)
    assert writer_digest(cutplan.plan_rows(units, CODE)) == independent_digest(rows)


def test_anomalies_on_a_unit_the_plan_lacks_are_drift(units) -> None:
    from cutter_assets.core.stops import CutterStop, StopCode

    with pytest.raises(CutterStop) as stop:
        cutplan.plan_rows(units, CODE, [_record(4, "gap", f"{CODE}/chp_9")])
    assert stop.value.code is StopCode.STOP_DRIFT and f"{CODE}/chp_9" in stop.value.detail
