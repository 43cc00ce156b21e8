"""The sovereign's side: an approver is one line of text, and an approval is
signed only by an allow-listed secret key of the keyring, exactly that key
(never gpg's default key); refusals come before the ledger is read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cutter_assets.app.sovereign import draft_approval, sign_approval
from cutter_assets.core import approvals as core
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.resources import RESOURCES
from cutter_assets.signing.documents import verify_document
from tests.assets.flow import live_to_sg1, rehearse
from tests.assets.harness import register
from tests.conftest import CORPUS

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/unreachable"  # refusals must not need it


@pytest.fixture
def offline(tmp_path, monkeypatch, gpg_home, sovereign_key, stranger_key):
    """A deployment whose database cannot be reached and whose keyring holds
    the sovereign key (allow-listed) and a stranger's."""
    for name, value in {
        "CUTTER_DATABASE_URL": UNREACHABLE,
        "CUTTER_STATE_DIR": str(tmp_path / "state"),
        "CUTTER_KB_ROOT": str(tmp_path / "kb"),
        "CUTTER_GNUPGHOME": str(gpg_home),
        "CUTTER_SOVEREIGN_KEYS": sovereign_key,
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _drafted(approver: str = "sovereign") -> str:
    return core.draft(
        gate="SG_1_cut_authz",
        run_id=str(uuid.uuid4()),
        payload_sha="ab" * 32,
        approver=approver,
        signed_utc=datetime.now(UTC),
        doc_code="ICX-CONST",
    )


@pytest.mark.parametrize(
    "approver", ["sovereign\ngate: SG_2_lifecycle_authz", "x\u2028y", "x\ry", "\x1b[2Jx"]
)
def test_an_approver_with_a_line_break_is_refused(offline, approver):
    with pytest.raises(CutterStop) as stop:
        draft_approval(str(uuid.uuid4()), "SG_1", approver)
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert "approver contains a line break" in stop.value.detail


def test_the_cli_refuses_such_an_approver_in_one_line(offline, cli):
    code, out, err = cli(
        "approve", "draft", "--run-id", str(uuid.uuid4()), "--gate", "SG_1",
        "--approver", "sovereign\ngate: SG_2_lifecycle_authz",
    )  # fmt: skip
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and out == ""
    assert err.startswith("STOP_REFUSED_INPUT:") and err.count("\n") == 1


@pytest.mark.parametrize(
    "key,refusal",
    [
        ("stranger", "is not on the sovereign allow-list"),
        ("0" * 40, "is not in the keyring"),
        ("nobody@nowhere.example", "is not in the keyring"),
        ("test.cutter", "secret keys; give its full fingerprint"),
        (None, "--key FPR is needed"),
    ],
    ids=["stranger", "unknown-fingerprint", "unknown-uid", "ambiguous", "no-key"],
)
def test_signing_with_a_key_that_may_not_sign_is_refused(offline, stranger_key, key, refusal):
    key = stranger_key if key == "stranger" else key
    with pytest.raises(CutterStop) as stop:
        sign_approval(_drafted(), key, "gpg")
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert refusal in stop.value.detail and "\n" not in stop.value.line()
    assert not (offline / "kb").exists()


def test_no_allow_list_no_signature(offline, monkeypatch, sovereign_key):
    monkeypatch.setenv("CUTTER_SOVEREIGN_KEYS", "")
    with pytest.raises(CutterStop) as stop:
        sign_approval(_drafted(), sovereign_key, "gpg")
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert "no sovereign keys are configured" in stop.value.detail


def test_the_sovereign_key_signs_into_the_run_folder(governed_env, db_url):
    register(db_url, "SOV-LAW", CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt")
    rehearse("SOV-LAW")
    run_id = live_to_sg1("SOV-LAW")
    sovereign = governed_env["sovereign"]
    text = draft_approval(run_id, "SG_1", "Sovereign <sovereign@test.cutter>")
    path = sign_approval(text, sovereign[-16:], "gpg")  # a long key id naming one secret key
    signed = RESOURCES["kb"].read(path, cap=core.MAX_DOC_BYTES).decode()
    document = verify_document(signed, allowed=(sovereign,))
    assert document.signer == sovereign
    assert core.parse(document.content).approver == "Sovereign <sovereign@test.cutter>"
