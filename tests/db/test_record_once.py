"""Leg B's envelope and the verifier's result are recorded once per change set:
a second is refused by the table's UNIQUE key as the phase's guard STOP, and
the transaction goes on without it."""

from __future__ import annotations

import uuid

import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries
from cutter_assets.db.records import record_once
from tests.db.builders import add_document, open_change_set, open_run, sha


def _signature(cur, payload_sha: str) -> str:
    marker = uuid.uuid4().hex
    cur.execute(
        queries.INSERT_SIGNATURE,
        {
            "provider": "gpg",
            "principal": "executor",
            "payload_sha": payload_sha,
            "signature": marker,
            "signature_sha256": sha("sig" + marker),
        },
    )
    return cur.fetchone()[0]


def test_a_second_envelope_is_the_guard_stop_and_the_first_stays(conn):
    code = "ONCE-" + uuid.uuid4().hex[:6].upper()
    doc_id, version_id = add_document(conn, code)
    change_set_id = open_change_set(conn, open_run(conn, doc_id, version_id, code))
    guard = "G-LEG-B-ONCE: the change set already has its manifest envelope"
    with conn.cursor() as cur:
        cur.execute("SET LOCAL ROLE cutter_exec")  # leg B's role records through fn_envelope_record

        def envelope() -> int:
            payload_sha = sha(uuid.uuid4().hex)
            row = {
                "id": str(uuid.uuid4()),
                "change_set_id": change_set_id,
                "signature_id": _signature(cur, payload_sha),
                "payload_sha": payload_sha,
                "row_count": 3,
            }
            return record_once(cur, queries.INSERT_ENVELOPE, row, "manifest_envelope", guard)

        assert envelope() == 1
        with pytest.raises(CutterStop) as stop:
            envelope()
        assert stop.value.code is StopCode.STOP_INVARIANT_FAILED and stop.value.detail == guard
        cur.execute(  # the savepoint kept the transaction usable, with the first row only
            "SELECT count(*) FROM cutter_governance.manifest_envelope WHERE change_set_id = %s",
            (change_set_id,),
        )
        assert cur.fetchone()[0] == 1
