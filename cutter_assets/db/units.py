"""Writing units through the governed functions, a page per round trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg2.extras import Json

from cutter_assets.db import queries

PAGE = 1000
PLAN_COLUMNS = (
    "idempotency_key",
    "canonical_address",
    "unit_kind",
    "section_type",
    "number",
    "raw_heading",
    "title",
    "body",
    "parent_address",
    "sort_order",
    "content_hash",
)


def unit_arguments(change_set_id: str, row: dict[str, Any]) -> tuple:
    """fn_iu_create's arguments for one plan row, in its parameter order."""
    return (change_set_id, *(row[c] for c in PLAN_COLUMNS))


def create_units(cur, change_set_id: str, rows: Sequence[dict[str, Any]]) -> Counter:
    """fn_iu_create_many over pages of ``PAGE`` plan rows, in plan order
    (parents before children); returns the count per status over all pages."""
    statuses: Counter = Counter()
    ordered = sorted(rows, key=lambda r: r["sort_order"])
    for start in range(0, len(ordered), PAGE):
        page = [{c: r[c] for c in PLAN_COLUMNS} for r in ordered[start : start + PAGE]]
        cur.execute(queries.CREATE_UNITS_MANY, (change_set_id, Json(page)))
        for status, count in cur.fetchall():
            statuses[status] += count
    return statuses
