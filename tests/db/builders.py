"""Small builders for database tests: rows made the way the system makes them."""

from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager

from psycopg2 import sql


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def add_document(conn, code: str, text: str = "Điều 1. Phạm vi\nNội dung.") -> tuple[str, str]:
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO public.source_document (doc_code, language) "
            "VALUES (%s, 'vi') RETURNING id",
            (code,),
        )
        doc_id = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO public.source_version
                   (source_document_id, version_no, text_sha256, byte_size, full_text)
               VALUES (%s, 1, %s, %s, %s) RETURNING id""",
            (doc_id, sha(text), len(text.encode()), text),
        )
        return doc_id, cur.fetchone()[0]


def open_run(conn, doc_id, version_id, code, *, state="WRITING", mode="live") -> str:
    run_id = str(uuid.uuid4())
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO cutter_governance.orchestrator_run
                   (run_id, source_document_id, source_version_id, doc_code, mode, actor, state)
               VALUES (%s, %s, %s, %s, %s, 'tester', %s)""",
            (run_id, doc_id, version_id, code, mode, state),
        )
    if mode == "live" and state == "WRITING":
        authorize(conn, run_id)
    return run_id


FORWARD = (
    "SURVEYING",
    "AWAITING_CUT_AUTHORIZATION",
    "WRITING",
    "AWAITING_LIFECYCLE_AUTHORIZATION",
    "ENACTING",
    "COMPLETED",
)


def advance(conn, run_id, to_state: str) -> None:
    """Move a run to ``to_state`` one transition at a time, as the database's
    transition table allows (STOPPED and VOIDED are one step from anywhere open)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT state FROM cutter_governance.orchestrator_run WHERE run_id = %s", (run_id,)
        )
        state = cur.fetchone()[0]
        steps = [to_state]
        if state in FORWARD and to_state in FORWARD:
            steps = list(FORWARD[FORWARD.index(state) + 1 : FORWARD.index(to_state) + 1])
        for step in steps:
            cur.execute(
                "UPDATE cutter_governance.orchestrator_run SET state = %s WHERE run_id = %s",
                (step, run_id),
            )


def authorize(conn, run_id) -> None:
    """What a live write needs from the database's point of view: an armed
    execution switch and a consumed SG_1 decision of the run."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO cutter_governance.execution_switch (run_id) SELECT NULL WHERE NOT EXISTS "
            "(SELECT 1 FROM cutter_governance.execution_switch WHERE disarmed_at IS NULL)"
        )
    add_review_decision(conn, run_id, gate="SG_1_cut_authz")


def open_change_set(conn, run_id, expected: int = 3) -> str:
    change_set_id = str(uuid.uuid4())
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO cutter_governance.cut_change_set
                   (change_set_id, run_id, idempotency_key, writer_digest, expected_count)
               VALUES (%s, %s, %s, %s, %s)""",
            (change_set_id, run_id, "cs-" + change_set_id, "0" * 64, expected),
        )
    return change_set_id


def plan_row(
    address: str,
    body: str,
    *,
    key: str,
    sort_order: int = 1,
    parent: str | None = None,
    unit_kind: str = "article",
    raw_heading: str = "",
) -> dict:
    """One cut-plan row as the unit writers take it (the hash is the body's)."""
    return {
        "canonical_address": address,
        "unit_kind": unit_kind,
        "section_type": "provision",
        "number": str(sort_order),
        "raw_heading": raw_heading,
        "title": "",
        "body": body,
        "parent_address": parent,
        "sort_order": sort_order,
        "content_hash": sha(body),
        "idempotency_key": key,
    }


def create_unit(
    conn,
    change_set_id,
    address,
    body="Nội dung.",
    *,
    parent=None,
    sort=1,
    key=None,
    content_hash=None,
):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT * FROM public.fn_iu_create(%s, %s, %s, 'article', 'provision', '1', "
            "'Điều 1.', 'Phạm vi', %s, %s, %s, %s)",
            (
                change_set_id,
                key or "key-" + address,
                address,
                body,
                parent,
                sort,
                content_hash or sha(body),
            ),
        )
        return cur.fetchone()


def add_review_decision(conn, run_id, gate="SG_2_lifecycle_authz", *, consumed=True) -> str:
    """A recorded decision of ``gate``; consumed (re-validated and spent by the
    phase it authorizes, as the writers and fn_iu_enact require) unless told."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO cutter_governance.review_decision
                   (gate, run_id, payload_sha, approval_doc_path, approval_doc_sha256,
                    signature_sha256, provider, approver, signed_utc, consumed_at)
               VALUES (%s, %s, %s, 'kb/approval.md', %s, %s, 'stub', 'sovereign', now(),
                       CASE WHEN %s THEN now() END)
               RETURNING id""",
            (gate, run_id, uuid.uuid4().hex, "d" * 64, uuid.uuid4().hex, consumed),
        )
        return cur.fetchone()[0]


@contextmanager
def as_role(conn, role: str):
    """Run the block as ``role`` inside a savepoint; an error undoes only the block."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT as_role")
        cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
    try:
        with conn.cursor() as cur:
            yield cur
    except BaseException:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT as_role")
            cur.execute("RESET ROLE")
        raise
    with conn.cursor() as cur:
        cur.execute("RESET ROLE")
        cur.execute("RELEASE SAVEPOINT as_role")
