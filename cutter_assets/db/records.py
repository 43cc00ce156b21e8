"""The write stage's records, read and written through the ledger functions:
the change set, service signatures, the envelope and the verify result
(each once per change set), what the verifier re-reads, and enactment."""

from __future__ import annotations

from typing import Any

from psycopg2 import errors, sql
from psycopg2.extras import Json

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries


def green_rehearsal(conn, version_id: str, writer_digest: str) -> str | None:
    """A completed dryrun of this version with the same writer digest, if any."""
    with conn.cursor() as cur:
        cur.execute(
            queries.GREEN_REHEARSAL, {"version_id": version_id, "writer_digest": writer_digest}
        )
        row = cur.fetchone()
    return row[0] if row else None


def execution_allowed(conn, run_id: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(queries.EXECUTION_ALLOWED, {"run_id": run_id})
        return bool(cur.fetchone()[0])


def open_change_set(cur, **change_set: Any) -> None:
    """change_set_id, run_id, idempotency_key, writer_digest, expected."""
    cur.execute(queries.INSERT_CHANGE_SET, change_set)


def record_signature(cur, provider: str, principal: str, payload_sha: str, signature: str,
                     signature_sha256: str) -> str:  # fmt: skip
    cur.execute(
        queries.INSERT_SIGNATURE,
        {
            "provider": provider,
            "principal": principal,
            "payload_sha": payload_sha,
            "signature": signature,
            "signature_sha256": signature_sha256,
        },
    )
    return cur.fetchone()[0]


def signature(conn, signature_id: str) -> tuple[str, str, str] | None:
    """(principal, payload_sha, signature) of a recorded signature."""
    with conn.cursor() as cur:
        cur.execute(queries.SIGNATURE_BY_ID, {"id": signature_id})
        return cur.fetchone()


def record_once(cur, insert: str, row: dict, table: str, once: str) -> int:
    """Insert the change set's one ``table`` row; a second is refused by its UNIQUE
    key and stops with the guard ``once``. Returns the change set's rows in ``table``."""
    cur.execute("SAVEPOINT record_once")
    try:
        cur.execute(insert, row)
    except errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT record_once")
        raise CutterStop(StopCode.STOP_INVARIANT_FAILED, once) from None
    cur.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE change_set_id = %s").format(
            sql.Identifier("cutter_governance", table)
        ),
        (row["change_set_id"],),
    )
    return cur.fetchone()[0]


def record_envelope(cur, **envelope: Any) -> int:
    """G-LEG-B-ONCE: id, change_set_id, signature_id, payload_sha, row_count."""
    return record_once(
        cur,
        queries.INSERT_ENVELOPE,
        envelope,
        "manifest_envelope",
        "G-LEG-B-ONCE: the change set already has its manifest envelope",
    )


def record_verify_result(cur, **result: Any) -> int:
    """G-VERIFY-ONCE: id, change_set_id, signature_id, verdict, observed, payload_sha."""
    return record_once(
        cur,
        queries.INSERT_VERIFY_RESULT,
        {**result, "observed": Json(result["observed"])},
        "verify_result",
        "G-VERIFY-ONCE: the change set was already verified",
    )


def structural_probe(conn, change_set_id: str) -> tuple[tuple, dict[str, int]]:
    """(units, drafts, foreign rows, unanchored, hash mismatches, affected rows)
    and the units per section type, read back from PostgreSQL."""
    with conn.cursor() as cur:
        cur.execute(queries.STRUCTURAL_PROBE, {"change_set_id": change_set_id})
        counts = cur.fetchone()
        cur.execute(queries.SECTION_TYPE_COUNTS, {"change_set_id": change_set_id})
        return counts, dict(cur.fetchall())


def stored_anomalies(conn, change_set_id: str) -> dict[str, list[dict[str, Any]]]:
    """The accepted anomalies each written unit stores, by address."""
    with conn.cursor() as cur:
        cur.execute(queries.UNIT_ANOMALIES_OF_CHANGE_SET, {"change_set_id": change_set_id})
        return dict(cur.fetchall())


def current_role(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT current_user")
        return cur.fetchone()[0]


def units_of_change_set(conn, change_set_id: str) -> list[dict[str, Any]]:
    """Every written unit with its body, as the verifier re-reads them."""
    with conn.cursor() as cur:
        cur.execute(queries.UNITS_OF_CHANGE_SET, {"change_set_id": change_set_id})
        columns = [column.name for column in cur.description]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def enact_change_set(conn, change_set_id: str, decision_id: str | None) -> dict[str, int]:
    """fn_iu_enact for every draft of the change set: {result: units}."""
    with conn.cursor() as cur:
        cur.execute(
            queries.ENACT_UNITS, {"decision_id": decision_id, "change_set_id": change_set_id}
        )
        return dict(cur.fetchall())


def enactment_postcheck(conn, change_set_id: str) -> tuple[int, int, int]:
    """(units enacted, lifecycle log rows to enacted, immutability triggers enabled)."""
    with conn.cursor() as cur:
        cur.execute(queries.ENACT_POSTCHECK, {"change_set_id": change_set_id})
        return cur.fetchone()
