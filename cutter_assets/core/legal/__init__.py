"""Legal-text extraction (the ``mark`` phase): cut a Vietnamese or English law
into addressed, hashed units, or stop with STOP_STRUCTURE and every anomaly of
its structure, each at its line (``anomalies.py``).

Pure core: no database, no Dagster, no filesystem.
"""

from cutter_assets.core.legal.acceptance import Acknowledgment, AnomalyKey
from cutter_assets.core.legal.digests import (
    content_hash,
    idempotency_key,
    manifest_digest,
    region_sha,
    writer_digest,
)
from cutter_assets.core.legal.extract import (
    EXTRACTORS,
    extract_as_found,
    extract_units,
    register_extractor,
)
from cutter_assets.core.legal.frame import FRAME_COLUMNS, units_frame
from cutter_assets.core.legal.model import Anomaly, Extraction, ExtractWarning, Unit
from cutter_assets.core.legal.normalize import normalize_body
from cutter_assets.core.legal.vocab import (
    ANOMALY_KINDS,
    DEFAULT_MAX_UNITS,
    SECTION_TYPES,
    UNIT_KINDS,
    WARNING_KINDS,
)

__all__ = [
    "ANOMALY_KINDS",
    "DEFAULT_MAX_UNITS",
    "EXTRACTORS",
    "FRAME_COLUMNS",
    "SECTION_TYPES",
    "UNIT_KINDS",
    "WARNING_KINDS",
    "Acknowledgment",
    "Anomaly",
    "AnomalyKey",
    "ExtractWarning",
    "Extraction",
    "Unit",
    "content_hash",
    "extract_as_found",
    "extract_units",
    "idempotency_key",
    "manifest_digest",
    "normalize_body",
    "region_sha",
    "register_extractor",
    "units_frame",
    "writer_digest",
]
