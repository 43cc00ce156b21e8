"""Registering documents and their versions (intake) and reading them back."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from cutter_assets.core.intake import (
    DocumentText,
    check_doc_code,
    check_language,
    check_max_units,
    check_title,
)
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries


@dataclass(frozen=True)
class Registration:
    doc_code: str
    version_no: int
    text_sha256: str
    created: bool  # False: the text equals the latest version; nothing was added

    def describe(self) -> str:
        if self.created:
            return (
                f"{self.doc_code} version {self.version_no} registered "
                f"(sha256 {self.text_sha256[:16]})"
            )
        return (
            f"{self.doc_code} unchanged: version {self.version_no} already has this text "
            f"(sha256 {self.text_sha256[:16]})"
        )


@dataclass(frozen=True)
class DocumentListing:
    doc_code: str
    title: str
    language: str
    version_no: int | None
    text_sha256: str | None
    byte_size: int | None
    registered_at: datetime | None


def register_version(
    conn,
    *,
    doc_code: str,
    title: str,
    language: str,
    text: DocumentText,
    max_units: int | None = None,
) -> Registration:
    """Add a version unless the text equals the latest one; one transaction.

    The document row is locked so two concurrent registrations of the same
    document cannot both add a version with the same number. Every argument is
    checked before the first statement, so a refusal writes nothing.
    """
    check_doc_code(doc_code)
    check_language(language)
    check_title(title)
    if max_units is not None:
        check_max_units(max_units)
    with conn.cursor() as cur:
        params = {"doc_code": doc_code, "title": title, "language": language}
        cur.execute(queries.INSERT_DOCUMENT, params)
        cur.execute(queries.DOCUMENT_BY_CODE_FOR_UPDATE, params)
        document_id, _, _, registered_language = cur.fetchone()
        if registered_language != language:
            conn.rollback()
            raise CutterStop(
                StopCode.STOP_REFUSED_INPUT,
                f"{doc_code} is registered as {registered_language!r}, not {language!r}",
            )
        if max_units is not None:
            cur.execute(queries.SET_MAX_UNITS, {"doc_code": doc_code, "max_units": max_units})
        cur.execute(queries.LATEST_VERSION, {"document_id": document_id})
        latest = cur.fetchone()
        if latest is not None and latest[2] == text.sha256:
            conn.commit()  # keeps a changed --max-units; adds no version
            return Registration(doc_code, latest[1], text.sha256, created=False)
        version_no = 1 if latest is None else latest[1] + 1
        cur.execute(
            queries.INSERT_VERSION,
            {
                "document_id": document_id,
                "version_no": version_no,
                "text_sha256": text.sha256,
                "byte_size": text.byte_size,
                "full_text": text.text,
            },
        )
    conn.commit()
    return Registration(doc_code, version_no, text.sha256, created=True)


def list_documents(conn) -> list[DocumentListing]:
    with conn.cursor() as cur:
        cur.execute(queries.LIST_DOCUMENTS)
        return [DocumentListing(*row) for row in cur.fetchall()]


def doc_codes(conn) -> list[str]:
    """Every registered document's code, in order."""
    with conn.cursor() as cur:
        cur.execute(queries.ALL_DOC_CODES)
        return [row[0] for row in cur.fetchall()]


def nearest_doc_codes(conn, wanted: str, limit: int = 3) -> list[str]:
    return difflib.get_close_matches(wanted.upper(), doc_codes(conn), n=limit, cutoff=0.3)
