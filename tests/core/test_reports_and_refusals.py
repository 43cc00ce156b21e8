"""Pure core: report rendering, refusals of the command line, the
utterance, ids, secrets redaction and pin drift."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cutter_assets.core.ids import uuid7, uuid7_datetime
from cutter_assets.core.phases import phase
from cutter_assets.core.pins import drift
from cutter_assets.core.refusals import parse_utterance, screen_arguments
from cutter_assets.core.reports import Invariant, PhaseReport, render_phase_doc, safe
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _report(**kw) -> PhaseReport:
    return PhaseReport(
        phase=phase("mark"),
        run_id="r-1",
        doc_code="ICX-CONST",
        mode="dryrun",
        written_utc=NOW,
        **kw,
    )


def test_a_huge_report_stays_within_250_lines_and_keeps_its_sections():
    text = render_phase_doc(
        _report(
            inputs={f"k{i}": "v" for i in range(500)},
            work=[f"step {i}" for i in range(500)],
            invariants=[Invariant(f"i{i}", 1, 1) for i in range(500)],
            snapshot_diff=[(f"q{i}", 0, 1) for i in range(500)],
        )
    )
    assert len(text.splitlines()) <= 250
    for section in ("## 1. Inputs", "## 4. Internal-gate invariants", "## 6. Verdict"):
        assert section in text
    assert "more" in text


def test_a_failing_invariant_makes_the_doc_fail_and_names_it():
    text = render_phase_doc(
        _report(invariants=[Invariant("count", 3, 4), Invariant("range", "1..5", 9, holds=False)])
    )
    assert "outcome             : FAIL" in text
    assert "| count | 3 | 4 | NO |" in text and "failed_invariants: count, range" in text


def test_values_cannot_break_the_markdown():
    assert safe("a|b\nc") == "a/b c"
    assert len(safe("x" * 500)) == 120


@pytest.mark.parametrize(
    "said,doc",
    [
        ("Cắt văn bản ICX-CONST", "ICX-CONST"),
        ("Cat van ban ICX-CONST", "ICX-CONST"),
        ("  CẮT   VĂN   BẢN   VN-HP-2013 ", "VN-HP-2013"),
        ("Cắt văn bản ICX-CONST", "ICX-CONST"),
        ("Cắt ICX-CONST", None),
        ("Xóa văn bản ICX-CONST", None),
        ("Cắt văn bản", None),
    ],
)
def test_the_utterance(said, doc):
    import unicodedata

    assert parse_utterance(said) == doc
    assert parse_utterance(unicodedata.normalize("NFD", said)) == doc


@pytest.mark.parametrize(
    "tokens",
    [
        ["--document-id", "ICX-CONST", "--mode", "live", "--actor", "so@x.vn"],
        ["--run-id", "0190f7a8-1234-7abc-8def-0123456789ab"],
    ],
)
def test_ordinary_arguments_pass(tokens):
    screen_arguments(tokens, ids_allowed_for=("--run-id",))


def test_secrets_are_masked_in_the_echo():
    with pytest.raises(CutterStop) as stop:
        screen_arguments(["postgresql://me:t0ps3cret@h/db"])
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert "t0ps3cret" not in stop.value.line()


def test_uuid7_is_time_ordered_and_well_formed():
    ids = [uuid7(now_ms=1_700_000_000_000 + i) for i in range(50)]
    assert ids == sorted(ids, key=str)
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert uuid7_datetime(ids[0]) == datetime.fromtimestamp(1_700_000_000, UTC)
    assert len({uuid7(now_ms=5) for _ in range(100)}) == 100


def test_redact_masks_urls_keys_and_given_secrets():
    text = redact(
        "postgresql://u:pw1234@h/db token=abcd1234 -----BEGIN PGP PRIVATE KEY BLOCK-----"
        "\nxx\n-----END PGP PRIVATE KEY BLOCK----- mysecretvalue",
        ["mysecretvalue"],
    )
    assert "pw1234" not in text and "abcd1234" not in text and "xx" not in text
    assert "mysecretvalue" not in text


def test_drift_names_every_difference_including_missing_keys():
    assert drift({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b: 2 -> 3", "c: <absent> -> 4"]
    assert drift({"a": 1}, {"a": 1}) == []
