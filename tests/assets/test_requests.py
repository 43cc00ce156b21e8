"""A sovereign request is never put with a pin missing from its payload."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from cutter_assets.core.phases import GATE_SG1, RunState
from cutter_assets.core.pins import sha256_of
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.runs.phase import request_outcome


def _ctx():
    run = SimpleNamespace(run_id="0190aaaa-0000-7000-8000-000000000000", mode="dryrun")
    return SimpleNamespace(run=run, doc_code="REQ-LAW", now=lambda: datetime.now(UTC))


def _payload(**changes):
    payload = {"gate": GATE_SG1, "writer_digest": "d" * 64, "row_count": 3, "region_sha": "r"}
    return {**payload, **changes}


@pytest.mark.parametrize("missing", [None, ""])
def test_a_payload_missing_a_pin_stops_before_the_request_is_written(missing):
    with pytest.raises(CutterStop) as stopped:
        request_outcome(_ctx(), GATE_SG1, _payload(writer_digest=missing))
    assert stopped.value.code == StopCode.STOP_INVARIANT_FAILED
    assert "writer_digest" in stopped.value.detail


def test_a_full_payload_is_pinned_by_its_sha():
    payload = _payload()
    outcome = request_outcome(_ctx(), GATE_SG1, payload)
    assert outcome.pins["payload_sha"] == sha256_of(payload)
    assert outcome.next_state == RunState.AWAITING_CUT_AUTHORIZATION
    assert outcome.checks == {}
    assert outcome.pins["payload_sha"] in outcome.kb_text
