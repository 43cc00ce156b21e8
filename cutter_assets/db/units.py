"""Writing and enacting units through the governed functions, in batches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg2.extras import execute_values

from cutter_assets.db import queries

PAGE = 500


def create_units(cur, change_set_id: str, rows: Sequence[dict[str, Any]]) -> Counter:
    """fn_iu_create for every plan row, ``PAGE`` rows per round trip, in plan
    order (parents before children); returns the count per status."""
    values = [
        (
            change_set_id,
            r["idempotency_key"],
            r["canonical_address"],
            r["unit_kind"],
            r["section_type"],
            r["number"],
            r["raw_heading"],
            r["title"],
            r["body"],
            r["parent_address"],
            r["sort_order"],
            r["content_hash"],
        )
        for r in rows
    ]
    statuses: Counter = Counter()
    for status, count in execute_values(
        cur, queries.CREATE_UNITS, values, page_size=PAGE, fetch=True
    ):
        statuses[status] += count  # one group per page
    return statuses
