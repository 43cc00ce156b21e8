"""The pure preconditions of a phase: the run and its earlier phases."""

from __future__ import annotations

import pytest

from cutter_assets.core.preconditions import check_prerequisites, check_run
from cutter_assets.core.stops import CutterStop, StopCode


def test_a_run_of_another_document_or_state_is_refused():
    check_run("R", "DOC", "WRITING", "DOC", ("WRITING",))
    with pytest.raises(CutterStop, match="cuts OTHER, not partition DOC") as stop:
        check_run("R", "OTHER", "WRITING", "DOC", ("WRITING",))
    assert stop.value.code is StopCode.STOP_STATE
    with pytest.raises(CutterStop, match="is SURVEYING; this phase needs WRITING"):
        check_run("R", "DOC", "SURVEYING", "DOC", ("WRITING",))


def test_a_phase_past_an_optional_gate_starts_from_either_state():
    either = ("SURVEYING", "AWAITING_STRUCTURE_REVIEW")
    check_run("R", "DOC", "SURVEYING", "DOC", either)
    check_run("R", "DOC", "AWAITING_STRUCTURE_REVIEW", "DOC", either)
    with pytest.raises(CutterStop, match="needs SURVEYING or AWAITING_STRUCTURE_REVIEW"):
        check_run("R", "DOC", "WRITING", "DOC", either)


@pytest.mark.parametrize(
    "outcomes,message",
    [({"a": "passed"}, "phase b has not run"), ({"a": "passed", "b": "failed"}, "b failed")],
)
def test_every_earlier_phase_must_have_passed(outcomes, message):
    check_prerequisites({"a": "passed", "b": "passed"}, ("a", "b"))
    with pytest.raises(CutterStop, match=message) as stop:
        check_prerequisites(outcomes, ("a", "b"))
    assert stop.value.code is StopCode.STOP_STATE
