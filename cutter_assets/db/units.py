"""Writing units through the governed functions, a page per round trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg2.extras import Json

from cutter_assets.db import queries
from cutter_assets.db.ledger import CUTPLAN_COLUMNS

PAGE = 1000


def create_units(cur, change_set_id: str, rows: Sequence[dict[str, Any]]) -> Counter:
    """fn_iu_create_many over pages of ``PAGE`` plan rows, in plan order
    (parents before children); returns the count per status over all pages."""
    statuses: Counter = Counter()
    ordered = sorted(rows, key=lambda r: r["sort_order"])
    for start in range(0, len(ordered), PAGE):
        page = [{c: r[c] for c in CUTPLAN_COLUMNS} for r in ordered[start : start + PAGE]]
        cur.execute(queries.CREATE_UNITS_MANY, (change_set_id, Json(page)))
        for status, count in cur.fetchall():
            statuses[status] += count
    return statuses
