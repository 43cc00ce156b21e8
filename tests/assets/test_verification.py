"""The verifier's recomputation, without a database: rows read back as the
unit writers store them (title coalesced to '', NULL parents, extra columns)
recompute the planned writer digest, and a unit written other than planned
(re-parented, re-ordered, re-titled, ...) does not."""

from __future__ import annotations

import pytest

from cutter_assets.assets.write import independent_verification
from cutter_assets.core.cutplan import plan_rows
from cutter_assets.core.legal import extract_units, writer_digest

CODE = "VN-VERIFY"
DECISION = "0193a000-0000-7000-8000-00000000d0c0"
TEXT = """Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
1. Khoản một.
2. Khoản hai.
Điều 2. Đối tượng áp dụng
Luật này áp dụng cho mọi người.
"""


def stored(row: dict, index: int) -> dict:
    """One row of UNITS_OF_CHANGE_SET for a plan row, as fn_iu_create_many writes it."""
    return {
        "id": f"00000000-0000-0000-0000-{index:012d}",
        "canonical_address": row["canonical_address"],
        "unit_kind": row["unit_kind"],
        "section_type": row["section_type"],
        "number": row["number"],
        "raw_heading": row["raw_heading"],
        "title": row["title"] if row["title"] is not None else "",
        "parent_address": row["parent_address"],
        "sort_order": row["sort_order"],
        "content_hash": row["content_hash"],
        "idempotency_key": row["idempotency_key"],
        "lifecycle_status": "draft",
        "body": row["body"],
        "accepted_anomalies": row["accepted_anomalies"],
        "structure_decision_id": DECISION if row["accepted_anomalies"] else None,
    }


def verified(units: list[dict], plan: list[dict], accepted=(), claimed=()) -> dict:
    """The verifier's observations of ``units`` written for ``plan``, whose units
    were cut as found with ``accepted`` anomalies under SG_0 decision ``DECISION``
    (leg A claims ``claimed``)."""
    leg_a = {"writer_digest": writer_digest(plan, list(claimed))}
    marked = {"accepted_anomalies": list(accepted), "sg0_decision": DECISION}
    return independent_verification(units, plan, leg_a, marked)


@pytest.fixture(scope="module")
def plan() -> list[dict]:
    rows = plan_rows(extract_units(TEXT, doc_code=CODE, language="vi").units, CODE)
    # A plan may carry None for an empty title: the writer stores ''.
    return [dict(r, title=None) if r["title"] == "" else r for r in rows]


def test_a_faithful_write_verifies(plan) -> None:
    assert any(r["title"] is None for r in plan)
    assert any(r["parent_address"] is None for r in plan)
    units = [stored(r, i) for i, r in enumerate(plan)]
    observed = verified(units, plan)
    assert observed == dict.fromkeys(observed, True)
    assert set(observed) == {
        "count_matches_plan",
        "all_draft",
        "bodies_hash_to_content_hash",
        "addresses_match_plan",
        "writer_digest_recomputed",
        "anomalies_are_the_accepted_ones",
        "anomalies_under_the_sg0_decision",
    }


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("parent_address", f"{CODE}/chp_1/art_2"),
        ("sort_order", 99),
        ("title", "Một tiêu đề khác"),
        ("number", "7"),
        ("raw_heading", "2. Khoản hai (sửa)."),
        ("unit_kind", "point"),
        ("section_type", "heading"),
    ],
)
def test_a_unit_written_other_than_planned_fails_the_digest(plan, column, value) -> None:
    units = [stored(r, i) for i, r in enumerate(plan)]
    clause = next(u for u in units if u["canonical_address"] == f"{CODE}/chp_1/art_1/para_2")
    assert clause[column] != value
    clause[column] = value
    observed = verified(units, plan)
    assert observed["writer_digest_recomputed"] is False
    assert all(v for k, v in observed.items() if k != "writer_digest_recomputed")


def test_a_plan_cut_as_found_verifies_only_with_the_anomalies_it_was_accepted_with(plan) -> None:
    units = [stored(r, i) for i, r in enumerate(plan)]
    accepted = [
        {
            "kind": "gap",
            "line": 4,
            "sha256": "a" * 64,
            "expected": "2",
            "found": "3",
            "units": [f"{CODE}/chp_1"],
        }
    ]
    assert verified(units, plan, accepted, accepted)["writer_digest_recomputed"] is True
    assert verified(units, plan, (), accepted)["writer_digest_recomputed"] is False
    assert verified(units, plan, accepted, ())["writer_digest_recomputed"] is False
    other = [{**accepted[0], "line": 5}]
    assert verified(units, plan, other, accepted)["writer_digest_recomputed"] is False


# ---- the anomalies each unit was cut as found with ---------------------------------------
CLAUSE = f"{CODE}/chp_1/art_1/para_2"
ACCEPTED = [
    {
        "kind": "gap",
        "line": 5,
        "sha256": "b" * 64,
        "expected": "3",
        "found": "2",
        "units": [CLAUSE],
    }
]
ON_CLAUSE = [{k: ACCEPTED[0][k] for k in ("kind", "line", "sha256", "expected", "found")}]


@pytest.fixture(scope="module")
def plan_as_found() -> list[dict]:
    return plan_rows(extract_units(TEXT, doc_code=CODE, language="vi").units, CODE, ACCEPTED)


def test_units_written_with_their_anomalies_verify(plan_as_found) -> None:
    assert [r["accepted_anomalies"] for r in plan_as_found if r["canonical_address"] == CLAUSE] == [
        ON_CLAUSE
    ]
    units = [stored(r, i) for i, r in enumerate(plan_as_found)]
    observed = verified(units, plan_as_found, ACCEPTED, ACCEPTED)
    assert observed == dict.fromkeys(observed, True)


@pytest.mark.parametrize(
    ("address", "anomalies", "decision"),
    [
        (CLAUSE, [], None),  # written without its anomaly
        (CLAUSE, [{**ON_CLAUSE[0], "line": 6}], DECISION),  # another line
        (CLAUSE, [*ON_CLAUSE, {**ON_CLAUSE[0], "kind": "duplicate"}], DECISION),  # one more
        (f"{CODE}/chp_1/art_1/para_1", ON_CLAUSE, DECISION),  # on a unit it does not affect
    ],
    ids=["missing", "other line", "one more", "on another unit"],
)
def test_a_unit_written_with_other_anomalies_fails_verification(
    plan_as_found, address, anomalies, decision
) -> None:
    units = [stored(r, i) for i, r in enumerate(plan_as_found)]
    unit = next(u for u in units if u["canonical_address"] == address)
    unit["accepted_anomalies"], unit["structure_decision_id"] = anomalies, decision
    observed = verified(units, plan_as_found, ACCEPTED, ACCEPTED)
    assert observed["writer_digest_recomputed"] is False
    assert observed["anomalies_are_the_accepted_ones"] is False


def test_anomalies_stored_under_another_decision_fail_verification(plan_as_found) -> None:
    units = [stored(r, i) for i, r in enumerate(plan_as_found)]
    unit = next(u for u in units if u["canonical_address"] == CLAUSE)
    unit["structure_decision_id"] = "0193a000-0000-7000-8000-0000000000ff"
    observed = verified(units, plan_as_found, ACCEPTED, ACCEPTED)
    assert observed["anomalies_under_the_sg0_decision"] is False
    assert all(v for k, v in observed.items() if k != "anomalies_under_the_sg0_decision")
