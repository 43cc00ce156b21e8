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
    }


def verified(units: list[dict], plan: list[dict], accepted=(), claimed=()) -> dict:
    """The verifier's observations of ``units`` written for ``plan``, whose units
    were cut as found with ``accepted`` anomalies (leg A claims ``claimed``)."""
    leg_a = {"writer_digest": writer_digest(plan, list(claimed))}
    return independent_verification(units, plan, leg_a, {"accepted_anomalies": list(accepted)})


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
    accepted = [{"kind": "gap", "line": 4, "sha256": "a" * 64, "units": [f"{CODE}/chp_1"]}]
    assert verified(units, plan, accepted, accepted)["writer_digest_recomputed"] is True
    assert verified(units, plan, (), accepted)["writer_digest_recomputed"] is False
    assert verified(units, plan, accepted, ())["writer_digest_recomputed"] is False
    other = [{**accepted[0], "line": 5}]
    assert verified(units, plan, other, accepted)["writer_digest_recomputed"] is False
