"""Digests over extracted units: content hashes, the marked region, the
manifest, per-row idempotency keys and the writer digest of a rowset.

All of them are computed from normalised text, so the same document given as
NFC or NFD, with CRLF or LF line ends or with trailing spaces yields the same
values — except ``manifest_digest``, which deliberately pins the exact source
bytes (see there).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cutter_assets.core.legal.model import ACCEPTED_FIELD, PLAN_COLUMNS, Extraction, Unit

# Doc codes are [A-Z0-9-], addresses [A-Za-z0-9_/-], content hashes hex: none holds "|".
KEY_SEPARATOR = "|"
# Every column the unit writers (fn_iu_create, fn_iu_create_many) set from a
# plan row; the body is covered through its content_hash.
WRITER_FIELDS = tuple(column for column in PLAN_COLUMNS if column != "body")
_OPTIONAL_TEXT = ("number", "raw_heading", "parent_address")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """The one JSON form every digest hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_digest_holds(text: str, text_sha256: str) -> bool:
    """Whether ``text`` is the registered bytes whose sha256 is ``text_sha256``
    (intake drops a BOM, if any, from the stored text)."""
    data = text.encode("utf-8")
    return text_sha256 in (_sha256(text), hashlib.sha256(b"\xef\xbb\xbf" + data).hexdigest())


def content_hash(body: str) -> str:
    """sha256 hex of a unit body exactly as given (pass ``Unit.body``, already
    normalised by ``normalize_body``); the database re-checks this value."""
    return _sha256(body)


def region_sha(extraction: Extraction) -> str:
    """sha256 of the normalised text of the input span the units cover."""
    return _sha256(extraction.region_text)


def manifest_digest(extraction: Extraction, source_sha256: str) -> str:
    """sha256 over doc code, language, region_sha, unit count and the source sha.

    ``source_sha256`` is the digest of the exact source bytes (the registered
    source_version). It is covered on purpose: the manifest pins *this* version
    of the source, so an NFD or CRLF re-encoding of the same text — a different
    source version — gives a different manifest, while every other component
    is normalisation-invariant.
    """
    return _sha256(
        canonical_json(
            {
                "doc_code": extraction.doc_code,
                "language": extraction.language,
                "region_sha": region_sha(extraction),
                "unit_count": len(extraction.units),
                "source_sha256": source_sha256,
            }
        )
    )


def idempotency_key(doc_code: str, canonical_address: str, content_hash: str) -> str:
    """sha256 of doc code, address and content hash joined by a separator none can hold."""
    parts = (doc_code, canonical_address, content_hash)
    if any(KEY_SEPARATOR in part for part in parts):
        raise ValueError(f"idempotency key parts may not contain {KEY_SEPARATOR!r}")
    return _sha256(KEY_SEPARATOR.join(parts))


def _optional_text(value: Any) -> str | None:
    # NULL columns read back as None; a DataFrame may hold NaN for them instead.
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _writer_row(row: Unit | Mapping[str, Any]) -> dict[str, Any]:
    data: Mapping[str, Any] = vars(row) if isinstance(row, Unit) else row
    missing = [f for f in WRITER_FIELDS if f != "idempotency_key" and f not in data]
    if missing:
        raise ValueError(f"writer row {data.get('canonical_address')!r} lacks {missing}")
    address = str(data["canonical_address"])
    key = data.get("idempotency_key")
    if not key:
        key = idempotency_key(address.split("/", 1)[0], address, str(data["content_hash"]))
    out: dict[str, Any] = {f: _optional_text(data[f]) for f in _OPTIONAL_TEXT}
    out.update(
        canonical_address=address,
        unit_kind=str(data["unit_kind"]),
        section_type=str(data["section_type"]),
        # The writers store coalesce(title, ''): a None title is written as "".
        title=_optional_text(data["title"]) or "",
        sort_order=int(data["sort_order"]),
        content_hash=str(data["content_hash"]),
        idempotency_key=str(key),
    )
    # A row's anomalies accepted as found are written with it: covered when it has
    # some; a row with none (every row of a clean plan) is digested as before.
    accepted = data.get(ACCEPTED_FIELD)
    if accepted:
        out[ACCEPTED_FIELD] = [dict(entry) for entry in accepted]
    return out


def writer_rows(rows: Any) -> list[dict[str, Any]]:
    """The rowset the writer digest covers: ``WRITER_FIELDS`` of every row, as
    the writers store them, sorted by canonical address.

    Accepts Units, mappings, or a DataFrame holding every field of
    ``WRITER_FIELDS`` (idempotency_key is computed when absent) and maybe
    ``ACCEPTED_FIELD`` (the row's anomalies accepted as found, covered when it
    has any); other columns (body, id, lifecycle_status, ...) are ignored. The
    order of the input does not matter; a changed value in any field of any row
    changes the digest.
    """
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        items: Iterable[Any] = rows.to_dict("records")
    else:
        items = rows
    out = [_writer_row(row) for row in items]
    # Addresses are unique in a valid plan; the JSON breaks ties in one that is not.
    out.sort(key=lambda r: (r["canonical_address"], canonical_json(r)))
    return out


def writer_digest(rows: Any, accepted: Sequence[Mapping[str, Any]] = ()) -> str:
    """sha256 over the canonical JSON of ``writer_rows(rows)``: pins exactly
    what the writer will write (or, recomputed from the stored rows, what it
    wrote), so a re-parented, re-ordered or re-titled plan is another plan.

    A plan cut as found (``acceptance.py``) is the rows *and* the anomalies
    accepted (``accepted_records``): the digest covers both, so a rehearsal
    that accepted other anomalies, or none, is another plan. With none it is
    the digest of the rows alone."""
    written = writer_rows(rows)
    if not accepted:
        return _sha256(canonical_json(written))
    return _sha256(canonical_json({"rows": written, "accepted_anomalies": list(accepted)}))
