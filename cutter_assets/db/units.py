"""Writing units through the governed functions, a page per round trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg2.extras import Json

from cutter_assets.core.legal.model import ACCEPTED_FIELD
from cutter_assets.db import queries
from cutter_assets.db.ledger import CUTPLAN_COLUMNS

PAGE = 1000


def page_row(row: dict[str, Any]) -> dict[str, Any]:
    """A plan row as fn_iu_create_many takes it: ``CUTPLAN_COLUMNS``, the
    anomalies the unit was cut as found with [] when the row names none (a row
    built by hand; the writer still checks every anomaly a row does name)."""
    return {c: row.get(c, []) if c == ACCEPTED_FIELD else row[c] for c in CUTPLAN_COLUMNS}


def create_units(cur, change_set_id: str, rows: Sequence[dict[str, Any]]) -> Counter:
    """fn_iu_create_many over pages of ``PAGE`` plan rows, in plan order
    (parents before children); returns the count per status over all pages.
    Each unit row stores its plan row's accepted anomalies (018)."""
    statuses: Counter = Counter()
    ordered = sorted(rows, key=lambda r: r["sort_order"])
    for start in range(0, len(ordered), PAGE):
        page = [page_row(r) for r in ordered[start : start + PAGE]]
        cur.execute(queries.CREATE_UNITS_MANY, (change_set_id, Json(page)))
        for status, count in cur.fetchall():
            statuses[status] += count
    return statuses
