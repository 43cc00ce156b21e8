"""Read-only discovery of live state: documents, versions, vocab, units
already written, function fingerprints and the privilege matrix."""

from __future__ import annotations

from dataclasses import dataclass

from cutter_assets.core.grants import matrix_lines
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries
from cutter_assets.db.documents import nearest_doc_codes


@dataclass(frozen=True)
class SourceVersion:
    id: str
    version_no: int
    text_sha256: str
    byte_size: int
    full_text: str


@dataclass(frozen=True)
class Document:
    id: str
    doc_code: str
    title: str
    language: str
    max_units: int


def find_document(conn, doc_code: str) -> Document:
    """The registered document, or STOP_DOCUMENT_UNKNOWN naming the nearest codes."""
    with conn.cursor() as cur:
        cur.execute(queries.DOCUMENT_BY_CODE, {"doc_code": doc_code})
        row = cur.fetchone()
    if row is None:
        nearest = nearest_doc_codes(conn, doc_code)
        hint = f"; nearest: {', '.join(nearest)}" if nearest else "; no documents are registered"
        raise CutterStop(StopCode.STOP_DOCUMENT_UNKNOWN, f"{doc_code} is not registered{hint}")
    return Document(str(row[0]), *row[1:])


def latest_version(conn, document_id: str) -> SourceVersion:
    with conn.cursor() as cur:
        cur.execute(queries.LATEST_VERSION_WITH_TEXT, {"document_id": document_id})
        row = cur.fetchone()
    if row is None:
        raise CutterStop(StopCode.STOP_DOCUMENT_UNKNOWN, "the document has no registered version")
    return SourceVersion(str(row[0]), *row[1:])


def version_by_id(conn, version_id: str) -> SourceVersion:
    with conn.cursor() as cur:
        cur.execute(queries.VERSION_BY_ID, {"version_id": version_id})
        row = cur.fetchone()
    return SourceVersion(str(row[0]), *row[1:])


def vocab(conn) -> dict[str, list[str]]:
    with conn.cursor() as cur:
        cur.execute(queries.VOCAB)
        found: dict[str, list[str]] = {"unit_kind": [], "section_type": []}
        for kind, value in cur.fetchall():
            found[kind].append(value)
    return found


def units_under_prefix(conn, doc_code: str) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute(queries.UNITS_UNDER_PREFIX, {"doc_code": doc_code})
        return {status: int(count) for status, count in cur.fetchall()}


def privilege_matrix(conn) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(queries.PRIVILEGE_MATRIX)
        return matrix_lines(cur.fetchall())
