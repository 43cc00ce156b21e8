"""The approval header, pure: one line per field given once (no duplicate key,
no line break smuggling a second field), a drafted approver that reads back
as written, and separation of duties over every identity of the signer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cutter_assets.core.approvals import (
    ApprovalRefused,
    Refusal,
    acknowledged,
    check_acknowledgment,
    draft,
    gate_of_file_name,
    identity_key,
    is_self_approval,
    parse,
    uid_parts,
)
from cutter_assets.core.legal import Acknowledgment, AnomalyKey
from cutter_assets.core.phases import GATE_SG0

RUN = "0b6a9f3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b"
SHA = "ab" * 32
WHEN = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _draft(approver: str = "sovereign@example") -> str:
    return draft(
        gate="SG_1_cut_authz",
        run_id=RUN,
        payload_sha=SHA,
        approver=approver,
        signed_utc=WHEN,
        doc_code="ICX-CONST",
    )


def _header(*lines: str) -> str:
    return "\n".join(["---", *lines, "---", "", "I authorize.", ""])


GOOD = (
    "gate: SG_1_cut_authz",
    f"run_id: {RUN}",
    f"payload_sha: {SHA}",
    "signed_utc: 2026-11-21T10:00:00Z",
    "allowance: explicit",
    "approver: sovereign@example",
)


def test_a_drafted_approval_parses_back():
    header = parse(_draft("Alice Example <alice@example.org>"))
    assert (header.gate, header.run_id, header.payload_sha) == ("SG_1_cut_authz", RUN, SHA)
    assert header.approver == "Alice Example <alice@example.org>"
    assert parse(_header(*GOOD)).signed_utc == WHEN


@pytest.mark.parametrize(
    "duplicate",
    [
        "approver: someone-else",
        "gate: SG_2_lifecycle_authz",
        f"run_id: {'1' * 8}-2c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "allowance: explicit",
    ],
)
def test_a_field_given_twice_is_refused(duplicate):
    with pytest.raises(ApprovalRefused) as refused:
        parse(_header(*GOOD, duplicate))
    assert refused.value.reason is Refusal.MALFORMED
    assert "given twice" in refused.value.detail


@pytest.mark.parametrize(
    "approver_line",
    [
        'approver: "sovereign\\ngate: SG_2_lifecycle_authz"',  # an escaped \n
        'approver: "sovereign\\rx"',
        'approver: "sovereign\\u2028x"',  # LINE SEPARATOR
        'approver: "sovereign\\u2029x"',  # PARAGRAPH SEPARATOR
        'approver: "sovereign\\u0085x"',  # NEXT LINE
        'approver: "sovereign\\x1bx"',  # ESC: a control character
        "approver: |\n  sovereign\n  second line",  # a block scalar
        "approver: sovereign\rx",  # a raw CR
        "approver: sovereign\u2028x",  # a raw LINE SEPARATOR (a line break to YAML)
        "approver: sovereign\x85x",
    ],
    ids=[
        "esc-lf",
        "esc-cr",
        "esc-u2028",
        "esc-u2029",
        "esc-nel",
        "esc-ctl",
        "block",
        "cr",
        "ls",
        "nel",
    ],
)
def test_a_value_with_a_line_break_is_refused(approver_line):
    lines = [*GOOD[:-1], approver_line]
    with pytest.raises(ApprovalRefused) as refused:
        parse(_header(*lines))
    assert refused.value.reason is Refusal.MALFORMED


def test_a_value_that_is_not_text_is_refused():
    lines = [*GOOD[:-1], "approver: {name: sovereign}"]
    with pytest.raises(ApprovalRefused) as refused:
        parse(_header(*lines))
    assert refused.value.reason is Refusal.MALFORMED


@pytest.mark.parametrize(
    "approver",
    [
        "sovereign\ngate: SG_2_lifecycle_authz",
        "sovereign\r\nrun_id: x",
        "sovereign\u2028x",
        "sovereign\u2029x",
        "sovereign\x85x",
        "sovereign\x0bx",
        "sovereign\x00",
        "sovereign\tx",
        "\x1b[31msovereign",
    ],
)
def test_draft_refuses_an_approver_with_a_line_break_or_control(approver):
    with pytest.raises(ApprovalRefused) as refused:
        _draft(approver)
    assert refused.value.reason is Refusal.MALFORMED
    assert "approver" in refused.value.detail


@pytest.mark.parametrize("approver", ["a: b", "sovereign #not a comment", "[x]", "'quoted"])
def test_draft_refuses_an_approver_that_would_read_back_otherwise(approver):
    with pytest.raises(ApprovalRefused) as refused:
        _draft(approver)
    assert refused.value.reason is Refusal.MALFORMED


def test_uid_parts():
    assert uid_parts("Alice Example (ops) <Alice@Example.org>") == (
        "Alice Example (ops) <Alice@Example.org>",
        "Alice Example",
        "ops",
        "Alice@Example.org",
    )
    assert uid_parts("alice@example.org") == ("alice@example.org", "alice@example.org")


def test_identity_key_ignores_case_and_whitespace():
    assert identity_key(" ALICE@example.org ") == identity_key("alice@example.org")
    assert identity_key("alice example") == identity_key("Alice\tExample")
    assert identity_key("0xABCD1234") == identity_key("abcd 1234")


IDENTITIES = (
    "0123456789ABCDEF0123456789ABCDEF01234567",
    "89ABCDEF01234567",
    "01234567",
    *uid_parts("Alice Example (ops) <Alice@Example.org>"),
    "FEDCBA9876543210",
    "76543210",
    "FEDCBA9876543210FEDCBA9876543210FEDCBA98",
)


@pytest.mark.parametrize(
    "actor",
    [
        "alice example",
        " ALICE@example.org ",
        "ops",
        "Alice Example (ops) <alice@example.org>",
        "01234567",
        "0x89abcdef01234567",
        "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567",
        "fedcba9876543210fedcba9876543210fedcba98",
        "76543210",
        "Alice Example <alice@elsewhere.example>",  # the same name
        "Someone <ALICE@example.org>",  # the same e-mail
    ],
)
def test_the_actor_is_the_signer_under_any_identity(actor):
    assert is_self_approval(actor, "sovereign", IDENTITIES)


@pytest.mark.parametrize(
    "actor,approver",
    [("op", "OP"), ("op@x.org", " Operator <OP@x.org> "), ("Operator", "operator (ops) <o@x>")],
)
def test_the_actor_is_the_approver(actor, approver):
    assert is_self_approval(actor, approver, ())


@pytest.mark.parametrize(
    "actor", ["bob@example.org", "alice", "example.org", "Bob (ops) <bob@example.org>", "", "  "]
)
def test_another_actor_is_not_the_signer(actor):
    assert not is_self_approval(actor, "sovereign", IDENTITIES)


# ---- the structure acknowledgment (SG_0): what it says it accepts -------------------------
def _anomaly(line: int, kind: str = "gap") -> dict:
    return {
        "kind": kind,
        "line": line,
        "sha256": f"{line:064x}",
        "text": f"{line}. Một dòng.",
        "expected": "c",
        "found": "d",
        "accept_as_found": "cut point d at this line as written, with no point c before it",
    }


PAYLOAD = {"text_sha256": "cd" * 32, "anomalies": [_anomaly(12), _anomaly(40, "duplicate")]}


def _acknowledgment(payload: dict = PAYLOAD) -> str:
    return draft(
        gate=GATE_SG0,
        run_id=RUN,
        payload_sha=SHA,
        approver="sovereign@example",
        signed_utc=WHEN,
        doc_code="VN-LAW",
        payload=payload,
    )


def test_a_drafted_acknowledgment_lists_the_text_and_every_anomaly_it_accepts():
    text = _acknowledgment()
    assert parse(text).gate == GATE_SG0
    assert acknowledged(text) == Acknowledgment(
        "cd" * 32, (AnomalyKey("gap", 12, f"{12:064x}"), AnomalyKey("duplicate", 40, f"{40:064x}"))
    )
    check_acknowledgment(text, PAYLOAD)  # exactly the request: no refusal
    assert "accept: gap line 12 sha256 " in text and "(expected c, found d: cut point d" in text


@pytest.mark.parametrize(
    ("edit", "reason", "named"),
    [
        (lambda t: t.replace("cd" * 32, "ef" * 32), Refusal.WRONG_TEXT, "efefefefefef"),
        (lambda t: t.replace("accept: gap line 12", "accept: gap line 13"),
         Refusal.ANOMALIES_DIFFER, "gap at line 12"),
        (lambda t: "\n".join(x for x in t.split("\n") if "line 40" not in x),
         Refusal.ANOMALIES_DIFFER, "not acknowledged: duplicate at line 40"),
        (lambda t: t.replace("text_sha256:", f"accept: gap line 7 sha256 {7:064x}\ntext_sha256:"),
         Refusal.ANOMALIES_DIFFER, "not in the request: gap at line 7"),
        (lambda t: t + next(x for x in t.split("\n") if "line 12" in x) + "\n",
         Refusal.ANOMALIES_DIFFER, "listed twice"),
        (lambda t: t.replace("accept: gap line 12 sha256", "accept: gap line twelve sha256"),
         Refusal.MALFORMED, "cannot read"),
        (lambda t: "\n".join(x for x in t.split("\n") if not x.startswith("text_sha256")),
         Refusal.MALFORMED, "names its text once"),
    ],
    ids=["other-text", "other-line", "missing", "extra", "twice", "garbled", "no-text"],
)  # fmt: skip
def test_an_acknowledgment_that_is_not_exactly_the_request_is_refused(edit, reason, named):
    with pytest.raises(ApprovalRefused) as refused:
        check_acknowledgment(edit(_acknowledgment()), PAYLOAD)
    assert refused.value.reason is reason and named in refused.value.detail


def test_an_acknowledgment_is_drafted_only_from_its_request():
    with pytest.raises(ApprovalRefused) as refused:
        _acknowledgment(payload={})
    assert refused.value.reason is Refusal.MALFORMED
    assert gate_of_file_name("SG0-structure-approval-20261201.md") == GATE_SG0
    assert gate_of_file_name("SG0-STRUCTURE-REVIEW-20261201.md") is None
