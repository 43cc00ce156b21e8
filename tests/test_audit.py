"""Audit from the UI and without it, over a real completed live cut (real
PostgreSQL, GnuPG and Dagster): the gated assets carry the approval they
passed under, every KB doc is named by its full path, a rehearsal's and a
voided run's materializations say they are not the document's state, and
``cutter audit`` writes one evidence pack (HTML and JSON, the same facts)
whose checks are made now: a tampered KB doc, approval or service signature
is FAILED in the pack and a STOP line with its exit code."""

from __future__ import annotations

import hashlib
import html
import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey

from cutter_assets.app.orchestration import project_instance, void
from cutter_assets.app.sovereign import arm
from cutter_assets.assets.runner import REHEARSAL, VOIDED
from cutter_assets.core.ids import uuid7
from cutter_assets.core.phases import PHASES
from cutter_assets.core.stops import StopCode
from cutter_assets.resources import RESOURCES
from cutter_assets.signing.documents import gpg_sign
from tests.assets.flow import ALL, approve, enact, live_to_sg1, signed_doc, write
from tests.assets.harness import phase_records, register, run_row, start, survey
from tests.conftest import CORPUS

LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
CODE = "AUDIT-LAW"
GATED = {"change_set": "SG_1_cut_authz", "lifecycle_enactment": "SG_2_lifecycle_authz"}


@dataclass
class Cut:
    rehearsal: str
    live: str
    materialized: dict[str, dict]  # asset -> metadata of its live materialization
    rehearsed: dict[str, tuple[dict, dict]]  # asset -> (metadata, tags) of the rehearsal's


def _materializations(result) -> dict[str, tuple[dict, dict]]:
    return {
        event.asset_key.path[-1]: (
            event.materialization.metadata,
            event.materialization.tags or {},
        )
        for event in result.get_asset_materialization_events()
    }


@pytest.fixture(scope="module")
def cut(governed_env, db_url) -> Cut:
    """A rehearsal and a completed live cut of one law, with what Dagster recorded."""
    register(db_url, CODE, LAW)
    rehearsal = start(CODE, mode="dryrun", actor="operator@test.cutter")
    rehearsed = survey(CODE, rehearsal, assets=ALL)
    assert rehearsed.success
    live = live_to_sg1(CODE)
    arm(live)
    approve(live, "SG_1", governed_env["sovereign"])
    written = write(CODE, live)
    assert written.success
    approve(live, "SG_2", governed_env["sovereign"])
    enacted = enact(CODE, live)
    assert enacted.success and run_row(live).state == "COMPLETED"
    materialized = {
        key: metadata
        for result in (written, enacted)
        for key, (metadata, _) in _materializations(result).items()
    }
    return Cut(rehearsal, live, materialized, _materializations(rehearsed))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _decisions(db_url: str, run_id: str) -> dict[str, tuple]:
    """gate -> (id, approval doc path, its sha256, signer, approver) as the ledger holds them."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT gate, id::text, approval_doc_path, approval_doc_sha256, signer_fingerprint, "
            "approver FROM cutter_governance.review_decision WHERE run_id = %s",
            (run_id,),
        )
        return {row[0]: row[1:] for row in cur.fetchall()}


# ---- the UI: asset metadata ------------------------------------------------------
def test_each_gated_asset_shows_the_approval_it_passed_under(cut, governed_env, db_url):
    root = Path(governed_env["CUTTER_KB_ROOT"])
    decisions = _decisions(db_url, cut.live)
    for asset, gate in GATED.items():
        metadata = cut.materialized[asset]
        decision_id, doc, doc_sha, signer, approver = decisions[gate]
        assert metadata["approval/decision_id"].value == decision_id
        assert metadata["approval/approver"].value == approver == "sovereign"
        assert metadata["approval/signer_fingerprint"].value == signer == governed_env["sovereign"]
        assert metadata["approval/signer_uid"].value == "test sovereign <sovereign@test.cutter>"
        shown = Path(metadata["approval/doc"].value)
        assert shown == root / doc and shown.is_absolute()
        assert metadata["approval/doc_sha256"].value == doc_sha == _sha256(shown)
        assert metadata["approval/signed_at"].value.endswith("+00:00")


def test_every_kb_doc_in_asset_metadata_is_a_full_path_to_the_recorded_doc(cut, governed_env):
    root = Path(governed_env["CUTTER_KB_ROOT"])
    records = phase_records(cut.live)
    for asset, metadata in cut.materialized.items():
        docs = {
            k.removeprefix("kb_doc/"): Path(v.value)
            for k, v in metadata.items()
            if k.startswith("kb_doc/")
        }
        docs[asset] = Path(metadata["kb_doc"].value)
        for phase, path in docs.items():
            assert path.is_absolute() and path == root / records[phase].kb_doc_path
            assert _sha256(path) == records[phase].kb_doc_sha256
    assert "kb_doc/structural_verify" in cut.materialized["change_set"]


def test_a_rehearsal_materialization_says_it_is_not_the_documents_state(cut):
    assert set(cut.rehearsed) == {p.key for p in PHASES if p.asset}
    for asset, (metadata, tags) in cut.rehearsed.items():
        assert next(iter(metadata)) == REHEARSAL, asset  # the first entry the UI shows
        assert "not the document's state" in metadata[REHEARSAL].value
        assert tags["cutter/mode"] == "dryrun" and tags["cutter/run_id"] == cut.rehearsal
    for asset in GATED:
        assert "approval/decision_id" not in cut.rehearsed[asset][0]
        assert "rehearsal" in cut.rehearsed[asset][0]["approval"].value
    for metadata in cut.materialized.values():
        assert REHEARSAL not in metadata


def test_a_void_marks_each_asset_the_run_materialized_as_voided(governed_env, db_url):
    code = "AUDIT-VOID"
    register(db_url, code, LAW)
    rehearsal = start(code, mode="dryrun", actor="operator@test.cutter")
    assert survey(code, rehearsal, assets=ALL).success
    run_id = live_to_sg1(code)
    reason = RESOURCES["kb"].write_once("reasons/audit-void.md", "# why\nwrong text\n").path
    plan = void(run_id, reason)
    root = Path(governed_env["CUTTER_KB_ROOT"])
    instance = project_instance()
    try:
        for phase in phase_records(run_id):
            observations = instance.fetch_observations(AssetKey(phase), limit=10).records
            ours = [
                o.asset_observation
                for o in observations
                if o.partition_key == code and VOIDED in o.asset_observation.metadata
            ]
            assert len(ours) == 1, phase
            metadata = ours[0].metadata
            assert "VOIDED" in metadata[VOIDED].value and run_id in metadata[VOIDED].value
            assert metadata["void/reason_doc"].value == str(root / reason)
            assert metadata["void/compensation_plan"].value == str(root / plan)
    finally:
        instance.dispose()
    pack, out, _ = _audit_files(run_id, governed_env["root"] / "void-pack")
    assert pack["run"]["state"] == "VOIDED" and pack["run"]["voided_at"]
    assert "VOIDED at" in out and "not the document's state" in out


# ---- cutter audit ------------------------------------------------------------------
def _audit_files(run_id: str, folder: Path, cli=None) -> tuple[dict, str, tuple]:
    """Run the audit (through the CLI when given) and read both files back."""
    from cutter_assets.app.cli import main

    if cli is None:
        with pytest.raises(SystemExit) as done:
            main(["audit", "--run-id", run_id, "--output", str(folder)])
            raise SystemExit(0)
        outcome = (done.value.code or 0,)
    else:
        outcome = cli("audit", "--run-id", run_id, "--output", str(folder))
    pack = json.loads((folder / f"audit-{run_id}.json").read_text(encoding="utf-8"))
    page = (folder / f"audit-{run_id}.html").read_text(encoding="utf-8")
    return pack, page, outcome


def test_the_pack_of_a_completed_live_cut_verifies_every_doc_and_signature(
    cut, governed_env, db_url, cli, tmp_path
):
    pack, page, (code, out, err) = _audit_files(cut.live, tmp_path, cli)
    assert (code, err) == (0, "")
    assert "verified" in out and str(tmp_path / f"audit-{cut.live}.html") in out
    assert pack["verdict"] == "verified" and pack["failures"] == []
    records = phase_records(cut.live)
    root = Path(governed_env["CUTTER_KB_ROOT"])
    # every phase the ledger holds, its KB doc hashed again (by the test, too)
    assert [p["phase"] for p in pack["phases"]] == [p.key for p in PHASES if p.key in records]
    for entry in pack["phases"]:
        doc, record = entry["kb_doc"], records[entry["phase"]]
        assert doc["recorded_sha256"] == record.kb_doc_sha256
        assert doc["sha256_now"] == _sha256(root / record.kb_doc_path)
        assert doc["status"] == "verified"
        assert doc["full_path"] == str(root / record.kb_doc_path)
        assert f'href="{(root / record.kb_doc_path).as_uri()}"' in page
        assert doc["sha256_now"] in page
    # both approvals: who, which key, the doc, and the signature checked again
    decisions = _decisions(db_url, cut.live)
    assert {a["gate"] for a in pack["approvals"]} == set(decisions)
    for approval in pack["approvals"]:
        decision_id, doc, doc_sha, signer, approver = decisions[approval["gate"]]
        assert approval["decision_id"] == decision_id and approval["approver"] == approver
        assert approval["signer_fingerprint"] == signer
        assert approval["signer_uid"] == "test sovereign <sovereign@test.cutter>"
        assert approval["doc"]["sha256_now"] == doc_sha == _sha256(root / doc)
        assert approval["consumed_at"] and approval["signature"]["status"] == "verified"
        assert decision_id in page and html.escape(approval["signer_uid"]) in page
    assert len(pack["kb_docs"]) == len(records) + 2
    signed = {s["record"]: s for s in pack["service_signatures"]}
    assert {k: (s["principal"], s["status"]) for k, s in signed.items()} == {
        "manifest_envelope": ("executor", "verified"),
        "verify_result": ("verifier", "verified"),
    }
    assert (
        signed["manifest_envelope"]["payload_sha"]
        == records["manifest_envelope"].pins["payload_sha"]
    )
    assert pack["digests"]["cutplan.writer_digest"] == records["cutplan"].pins["writer_digest"]
    assert pack["digests"]["source_pin.text_sha256"] in page
    stamps = [event["at"] for event in pack["timeline"]]
    assert stamps == sorted(stamps) and len(stamps) >= len(records) + 1 + 2 * 2
    assert 'class="failed"' not in page and "Failed checks" not in page


def test_the_pack_of_a_rehearsal_says_it_is_one(cut, tmp_path):
    pack, page, (code,) = _audit_files(cut.rehearsal, tmp_path)
    assert code == 0 and pack["verdict"] == "verified"
    assert pack["run"]["mode"] == "dryrun" and pack["approvals"] == []
    assert "REHEARSAL (dryrun)" in page


@contextmanager
def _tampered(path: Path, data: bytes):
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        yield
    finally:
        path.write_bytes(original)


def test_a_tampered_kb_doc_is_failed_and_stops_with_drift_kb(cut, governed_env, cli, tmp_path):
    doc = Path(governed_env["CUTTER_KB_ROOT"]) / phase_records(cut.live)["mark"].kb_doc_path
    with _tampered(doc, doc.read_bytes() + b"\n(edited later)\n"):
        pack, page, (code, out, err) = _audit_files(cut.live, tmp_path, cli)
        now = _sha256(doc)
    assert code == StopCode.STOP_DRIFT_KB.exit_code
    assert err.startswith("STOP_DRIFT_KB:") and err.count("\n") == 1 and "mark" in err
    assert "FAILED" in out
    failed = [d for d in pack["kb_docs"] if d["status"] != "verified"]
    assert [(d["owner"], d["sha256_now"]) for d in failed] == [("mark", now)]
    assert pack["verdict"] == "FAILED" and pack["failures"][0]["stop"] == "STOP_DRIFT_KB"
    assert now in page and 'class="failed">FAILED' in page


def test_a_tampered_approval_doc_is_failed(cut, governed_env, db_url, cli, tmp_path):
    _, doc, doc_sha, _, _ = _decisions(db_url, cut.live)["SG_1_cut_authz"]
    path = Path(governed_env["CUTTER_KB_ROOT"]) / doc
    text = path.read_text(encoding="utf-8").replace("approver: sovereign", "approver: mallory")
    assert "approver: mallory" in text
    with _tampered(path, text.encode("utf-8")):
        pack, page, (code, _, err) = _audit_files(cut.live, tmp_path, cli)
    assert code == StopCode.STOP_DRIFT_KB.exit_code and err.startswith("STOP_DRIFT_KB:")
    sg1 = next(a for a in pack["approvals"] if a["gate"] == "SG_1_cut_authz")
    assert sg1["doc"]["status"] == "FAILED" and sg1["doc"]["recorded_sha256"] == doc_sha
    # the signed text the ledger kept still verifies: the pack tells the two apart
    assert sg1["signature"]["status"] == "verified"


@contextmanager
def _ledger_changed(db_url: str, sql: str, params: tuple, undo: str, undo_params: tuple):
    """A change to the append-only ledger only a superuser with its triggers
    switched off can make, undone afterwards."""

    def run(statement: str, values: tuple) -> None:
        with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute(statement, values)

    run(sql, params)
    try:
        yield
    finally:
        run(undo, undo_params)


def test_an_approval_rewritten_everywhere_fails_its_signature_check(
    cut, governed_env, db_url, cli, tmp_path
):
    """The doc and the ledger's copy of it rewritten together (hashes made to
    match): only the signature can tell, and the audit checks it again."""
    decision_id, doc, doc_sha, _, _ = _decisions(db_url, cut.live)["SG_2_lifecycle_authz"]
    path = Path(governed_env["CUTTER_KB_ROOT"]) / doc
    original = path.read_text(encoding="utf-8")
    forged = original.replace("approver: sovereign", "approver: mallory")
    forged_sha = hashlib.sha256(forged.encode("utf-8")).hexdigest()
    with (
        _tampered(path, forged.encode("utf-8")),
        _ledger_changed(
            db_url,
            "UPDATE cutter_governance.review_decision SET approval_text = %s, "
            "approval_doc_sha256 = %s, approver = 'mallory' WHERE id = %s",
            (forged, forged_sha, decision_id),
            "UPDATE cutter_governance.review_decision SET approval_text = %s, "
            "approval_doc_sha256 = %s, approver = 'sovereign' WHERE id = %s",
            (original, doc_sha, decision_id),
        ),
    ):
        pack, page, (code, _, err) = _audit_files(cut.live, tmp_path, cli)
    assert code == StopCode.STOP_APPROVAL_INVALID.exit_code
    assert err.startswith("STOP_APPROVAL_INVALID:") and decision_id in err
    sg2 = next(a for a in pack["approvals"] if a["gate"] == "SG_2_lifecycle_authz")
    assert sg2["doc"]["status"] == "verified"  # the hashes were made to match
    assert sg2["signature"]["status"] == "FAILED"
    assert "BAD_SIGNATURE" in sg2["signature"]["detail"]
    assert html.escape(sg2["signature"]["detail"]) in page


def test_a_forged_service_signature_is_failed(cut, governed_env, db_url, cli, tmp_path):
    envelope = phase_records(cut.live)["manifest_envelope"].pins
    forged = gpg_sign(
        f"cutter executor signs payload_sha {envelope['payload_sha']}", governed_env["sovereign"]
    )  # the right words, signed by a key that is not the executor's
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT signature FROM cutter_governance.signature WHERE id = %s",
            (envelope["executor_signature_id"],),
        )
        original = cur.fetchone()[0]
    update = "UPDATE cutter_governance.signature SET signature = %s WHERE id = %s"
    with _ledger_changed(
        db_url,
        update,
        (forged, envelope["executor_signature_id"]),
        update,
        (original, envelope["executor_signature_id"]),
    ):
        pack, _, (code, _, err) = _audit_files(cut.live, tmp_path, cli)
    assert code == StopCode.STOP_INVARIANT_FAILED.exit_code
    assert err.startswith("STOP_INVARIANT_FAILED:") and "executor signature" in err
    signed = {s["record"]: s["status"] for s in pack["service_signatures"]}
    assert signed == {"manifest_envelope": "FAILED", "verify_result": "verified"}


def test_an_unknown_run_is_refused_in_one_line_and_writes_nothing(cut, cli, tmp_path):
    for run_id in (str(uuid7()), "not-a-run"):
        code, out, err = cli("audit", "--run-id", run_id, "--output", str(tmp_path))
        assert code == StopCode.STOP_RUN_UNKNOWN.exit_code
        assert err.startswith("STOP_RUN_UNKNOWN:") and err.count("\n") == 1 and out == ""
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_pack_is_never_replaced(cut, cli, tmp_path):
    _audit_files(cut.live, tmp_path, cli)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = cli("audit", "--run-id", cut.live, "--output", str(tmp_path))
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "exists already" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_refused_approval_attempt_is_in_the_pack(cut, governed_env, cli, tmp_path):
    """A refused attempt is part of the record: the pack's table and timeline show it."""
    from cutter_assets.core.approvals import ApprovalRefused
    from cutter_assets.db.approvals import evaluate
    from tests.assets.flow import place

    text = signed_doc(cut.live, "SG_1", governed_env["sovereign"], payload="0" * 64)
    path = place(cut.live, "SG_1", text, name="SG1-cut-authz-approval-late")
    with pytest.raises(ApprovalRefused):
        evaluate(RESOURCES["database"], RESOURCES["kb"].root_path(), path, channel="test")
    pack, page, (code, _, _) = _audit_files(cut.live, tmp_path, cli)
    assert code == 0
    refused = [a for a in pack["approval_attempts"] if a["doc_path"] == path]
    assert [a["outcome"] for a in refused] == ["refused"]
    shown = f"approval attempt refused (test): {path}: {refused[0]['reason']}"
    assert shown in [event["event"] for event in pack["timeline"]]
    assert html.escape(refused[0]["reason"]) in page
