"""The candidate rows of the ``mark`` asset as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutter_assets.core.legal.model import UNIT_COLUMNS, Extraction

if TYPE_CHECKING:
    import pandas as pd

FRAME_COLUMNS: tuple[str, ...] = UNIT_COLUMNS


def units_frame(extraction: Extraction) -> pd.DataFrame:
    """One row per unit in document order, columns exactly ``FRAME_COLUMNS``.

    ``parent_address`` is an object column so top-level units keep ``None``
    (pandas' string dtype would turn it into NaN, which a database writer
    would have to undo)."""
    import pandas as pd  # imported here: the CLI and the core do not need pandas

    units = extraction.units
    data = {column: [getattr(unit, column) for unit in units] for column in FRAME_COLUMNS}
    frame = pd.DataFrame({c: v for c, v in data.items() if c != "parent_address"})
    frame["sort_order"] = frame["sort_order"].astype("int64")
    frame["parent_address"] = pd.Series(data["parent_address"], dtype=object)
    return frame[list(FRAME_COLUMNS)]
