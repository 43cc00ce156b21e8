"""The structure review (gate SG_0) end to end, on damaged copies of a real law
(a point letter skipped at the end of a list, a clause number repeated, a
clause marker lost, a chapter number skipped), through real PostgreSQL,
Dagster and GnuPG.

A cut of such a text stops once with every anomaly, in one STRUCTURE-REVIEW
request doc in the run's KB folder, and waits in AWAITING_STRUCTURE_REVIEW; a
signed acknowledgment of exactly those anomalies (a stub one for a rehearsal)
lets the survey go on, and the text is cut as found through SG_1 and SG_2 to
COMPLETED. Every wrong acknowledgment is refused, and the run keeps waiting.
The defects are made here and their lines' sha256 computed here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import datetime

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from cutter_assets.app.orchestration import describe_run, launch_cut, project_instance, resume
from cutter_assets.app.sovereign import arm, disarm, draft_approval, sign_approval
from cutter_assets.core import approvals as core
from cutter_assets.core.approvals import ApprovalRefused, Refusal
from cutter_assets.core.commands import command
from cutter_assets.core.legal import Acknowledgment, AnomalyKey, extract_units, writer_digest
from cutter_assets.core.legal.akn import eid_of, schema_errors
from cutter_assets.core.phases import GATE_SG0, RunState
from cutter_assets.core.pins import sha256_of
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import approvals, ledger
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.signing.documents import gpg_sign, stub_sign
from tests.assets.flow import ALL, count, last_attempt
from tests.assets.harness import (
    consumed_decision,
    materialized,
    phase_records,
    refused,
    register,
    run_row,
    start,
    survey,
)
from tests.core.legal.corpus import corpus_text
from tests.core.legal.test_akn import anomaly_notes, parse
from tests.core.legal.test_anomalies import (
    DROP_A_MARKER,
    REPEAT_A_NUMBER,
    SKIP_A_CHAPTER,
    SKIP_THE_LAST_LETTER,
    VI_LAW,
    _damaged,
    _sha256,
)

ACTOR = "operator@test.cutter"
APPROVER = "Sovereign <sovereign@test.cutter>"
DEFECTS = [SKIP_THE_LAST_LETTER, REPEAT_A_NUMBER, DROP_A_MARKER, SKIP_A_CHAPTER]
TEXT, LOCATED = _damaged(corpus_text(VI_LAW), DEFECTS)


@pytest.fixture(autouse=True)
def disarmed(governed_env):
    disarm()
    yield
    disarm()


def _registered(db_url: str, prefix: str = "SG0") -> str:
    code = f"{prefix}-{uuid.uuid4().hex[:5].upper()}"
    register(db_url, code, TEXT)
    return code


def _request_doc(run_id: str) -> str:
    record = phase_records(run_id)["structure_review"]
    return (RESOURCES["kb"].root_path() / record.kb_doc_path).read_text(encoding="utf-8")


def _next(run_id: str) -> str:
    line = next(x for x in describe_run(run_id).splitlines() if x.startswith("next"))
    return line.split(None, 1)[1]


def _sensor(run_id: str) -> list:
    with build_sensor_context(instance=DagsterInstance.ephemeral(), resources=RESOURCES) as ctx:
        result = approval_sensor(ctx)
    return [r for r in result.run_requests if r.tags.get("cutter/run_id") == run_id]


def _units(db_url: str, run_id: str) -> dict[str, tuple]:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT iu.canonical_address, iu.number, iu.raw_heading, iu.lifecycle_status "
            "FROM public.information_unit iu JOIN cutter_governance.cut_change_set c "
            "ON c.change_set_id = iu.change_set_id WHERE c.run_id = %s",
            (run_id,),
        )
        return {row[0]: row[1:] for row in cur.fetchall()}


def _as_found_addresses(code: str) -> set[str]:
    """The addresses the acknowledged text cuts to, computed here from the text."""
    keys = tuple(AnomalyKey(d.kind, at, _sha256(TEXT, at)) for d, at in LOCATED)
    text_sha = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    extraction = extract_units(TEXT, doc_code=code, accept=Acknowledgment(text_sha, keys))
    return {u.canonical_address for u in extraction.units}


def _waits_with_every_anomaly(run_id: str) -> None:
    assert run_row(run_id).state == RunState.AWAITING_STRUCTURE_REVIEW
    doc = _request_doc(run_id)
    for defect, at in LOCATED:  # each anomaly by its line and that line's sha256
        row = f"| {at} | {defect.kind} | {defect.expected} | {defect.found} | {_sha256(TEXT, at)} |"
        assert row in doc
    assert f"anomaly_count: {len(LOCATED)}" in doc


# ---- the whole path: rehearsal and live cut, each through the review --------------------
def test_a_law_with_true_defects_is_reviewed_then_cut_as_found_to_completed(
    governed_env, db_url, cli
):
    code, key = _registered(db_url), governed_env["sovereign"]

    rehearsal = launch_cut(code, mode="dryrun", actor=ACTOR, scope="enacted_only")
    assert (rehearsal.state, rehearsal.stop) == (RunState.AWAITING_STRUCTURE_REVIEW, None)
    _waits_with_every_anomaly(rehearsal.run_id)
    assert command(f"approve draft --run-id {rehearsal.run_id} --gate SG_0") in _next(
        rehearsal.run_id
    )
    assert "--provider stub" in _next(rehearsal.run_id)
    view = describe_run(rehearsal.run_id)
    assert f"structure {len(LOCATED)} anomaly(ies) found" in view
    assert "awaiting  SG_0 structure review from the sovereign" in view
    acknowledgment = draft_approval(rehearsal.run_id, "SG_0", APPROVER)
    for defect, at in LOCATED:
        assert f"accept: {defect.kind} line {at} sha256 {_sha256(TEXT, at)} " in acknowledgment
    sign_approval(acknowledgment, None, "stub")  # a rehearsal's acknowledgment
    (request,) = _sensor(rehearsal.run_id)  # recorded, and the rehearsal goes on
    assert request.job_name == "rehearsal_after_review"
    done = resume(rehearsal.run_id, None)
    assert (done.state, done.stop) == (RunState.COMPLETED, None)

    live = launch_cut(code, mode="live", actor=ACTOR, scope="enacted_only")
    assert (live.state, live.stop) == (RunState.AWAITING_STRUCTURE_REVIEW, None)
    _waits_with_every_anomaly(live.run_id)
    assert "--key <FPR>" in _next(live.run_id) and "killswitch" not in _next(live.run_id)
    sign_approval(draft_approval(live.run_id, "SG_0", APPROVER), key, "gpg")
    (request,) = _sensor(live.run_id)
    assert request.job_name == "survey_after_review"
    assert resume(live.run_id, None).state == RunState.AWAITING_CUT_AUTHORIZATION

    arm(live.run_id)
    resume(live.run_id, sign_approval(draft_approval(live.run_id, "SG_1", APPROVER), key, "gpg"))
    path = sign_approval(draft_approval(live.run_id, "SG_2", APPROVER), key, "gpg")
    assert resume(live.run_id, path).state == RunState.COMPLETED

    units = _units(db_url, live.run_id)
    assert set(units) == _as_found_addresses(code)
    assert {status for *_, status in units.values()} == {"enacted"}
    repeated = next(at for defect, at in LOCATED if defect is REPEAT_A_NUMBER)
    assert units[f"{code}/chp_1/art_3/para_1-dup2"][:2] == ("1", TEXT.split("\n")[repeated - 1])
    assert f"{code}/chp_2/sec_1/art_16/para_4/point_d" in units
    assert f"{code}/chp_2/sec_1/art_16/para_4/point_c" not in units
    assert units[f"{code}/chp_4"][1] == "Chương IV" and f"{code}/chp_3" not in units
    _the_cut_records_what_it_accepted(live.run_id, code)
    _each_unit_holds_what_affects_it(db_url, live.run_id, code)
    _the_exports_show_it_per_unit(db_url, cli, live.run_id)


def _the_cut_records_what_it_accepted(run_id: str, code: str) -> None:
    """The mark pins, the writer digest, the SG_1 payload, the cutplan doc and
    the mark asset's metadata all carry the anomalies accepted as found."""
    records = phase_records(run_id)
    mark, plan = records["mark"].pins, records["cutplan"].pins
    accepted = mark["accepted_anomalies"]
    assert [(a["kind"], a["line"], a["sha256"]) for a in accepted] == [
        (d.kind, at, _sha256(TEXT, at)) for d, at in LOCATED
    ]
    assert all(len(a["units"]) == 1 and a["units"][0].startswith(f"{code}/") for a in accepted)
    assert mark["accepted_anomalies_sha"] == sha256_of(accepted)
    with RESOURCES["database"].transaction(commit=False) as conn:
        rows = ledger.load_cutplan(conn, run_id)
        cur = conn.cursor()
        cur.execute(
            "SELECT id::text FROM cutter_governance.review_decision "
            "WHERE run_id = %s AND gate = %s AND consumed_at IS NOT NULL",
            (run_id, GATE_SG0),
        )
        assert mark["sg0_decision"] == cur.fetchone()[0]
    assert plan["writer_digest"] == writer_digest(rows, accepted) != writer_digest(rows)
    sg1 = records["cut_authorization_request"].pins["payload"]
    assert sg1["accepted_anomalies_sha"] == mark["accepted_anomalies_sha"]
    cutplan_doc = (RESOURCES["kb"].root_path() / records["cutplan"].kb_doc_path).read_text()
    for _, at in LOCATED:
        assert f"at line {at} " in cutplan_doc
    instance = project_instance()
    try:
        event = instance.get_latest_materialization_event(AssetKey("mark"))
        metadata = event.asset_materialization.metadata
    finally:
        instance.dispose()
    assert (
        "accepted_anomalies" in metadata
        and metadata["approval/decision_id"].value == (mark["sg0_decision"])
    )


def test_in_the_rehearsal_job_the_review_stops_the_rehearsal_and_mark_waits(governed_env, db_url):
    code = _registered(db_url)
    run_id = start(code, mode="dryrun", actor=ACTOR)
    result = survey(code, run_id, assets=ALL)
    assert materialized(result) == ["source_pin", "structure_review"]
    assert refused(result).code is StopCode.STOP_APPROVAL_INVALID  # mark: no decision yet
    _waits_with_every_anomaly(run_id)
    assert result.success  # a refusal is no failure: nothing failed, the run waits


def _opened_by(code: str) -> dict:
    """The unit each defect's line opens, read off the damaged text by hand: the
    last point of a list, the repeated clause, the clause after the lost marker,
    the chapter numbered one up."""
    return {
        SKIP_THE_LAST_LETTER: f"{code}/chp_2/sec_1/art_16/para_4/point_d",
        REPEAT_A_NUMBER: f"{code}/chp_1/art_3/para_1-dup2",
        DROP_A_MARKER: f"{code}/chp_1/art_5/para_4",
        SKIP_A_CHAPTER: f"{code}/chp_4",
    }


def _stored_acceptance(db_url: str, run_id: str) -> dict[str, tuple]:
    """address -> (raw heading, accepted anomalies, SG_0 decision) as the units hold them."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT iu.canonical_address, iu.raw_heading, iu.accepted_anomalies, "
            "iu.structure_decision_id::text FROM public.information_unit iu "
            "JOIN cutter_governance.cut_change_set c ON c.change_set_id = iu.change_set_id "
            "WHERE c.run_id = %s",
            (run_id,),
        )
        return {row[0]: row[1:] for row in cur.fetchall()}


def _each_unit_holds_what_affects_it(db_url: str, run_id: str, code: str) -> None:
    """Each anomaly on exactly the unit its line opens (its raw heading is that
    line), with the SG_0 decision; every other unit holds none; the plan rows
    hold the same, and the verifier saw it so."""
    stored, decision = (
        _stored_acceptance(db_url, run_id),
        consumed_decision(db_url, run_id, GATE_SG0)[0],
    )
    opened = _opened_by(code)
    lines = TEXT.split("\n")
    affected = {}
    for defect, at in LOCATED:
        entry = {
            "kind": defect.kind,
            "line": at,
            "sha256": _sha256(TEXT, at),
            "expected": defect.expected,
            "found": defect.found,
        }
        affected[opened[defect]] = ([entry], decision)
        assert stored[opened[defect]][0] == lines[at - 1]
    assert {a: v[1:] for a, v in stored.items() if v[1]} == affected
    assert all(v[1:] == ([], None) for a, v in stored.items() if a not in affected)
    assert len(stored) > len(affected)
    with RESOURCES["database"].transaction(commit=False) as conn:
        plan = {
            r["canonical_address"]: r["accepted_anomalies"]
            for r in ledger.load_cutplan(conn, run_id)
        }
        cur = conn.cursor()
        cur.execute(
            "SELECT v.observed FROM cutter_governance.verify_result v "
            "JOIN cutter_governance.cut_change_set c ON c.change_set_id = v.change_set_id "
            "WHERE c.run_id = %s",
            (run_id,),
        )
        (observed,) = cur.fetchone()
    assert plan == {a: v[1] for a, v in stored.items()}
    assert observed["anomalies_are_the_accepted_ones"] is True
    assert observed["anomalies_under_the_sg0_decision"] is True


def _the_exports_show_it_per_unit(db_url: str, cli, run_id: str) -> None:
    """JSON lines (a list), CSV (one JSON text field) and AKN (a note per anomaly
    placed at its unit) each show exactly what each unit holds."""
    stored = _stored_acceptance(db_url, run_id)

    def export(fmt: str) -> str:
        code, out, err = cli("export", "--run-id", run_id, "--format", fmt)
        assert code == 0 and err == "", err
        return out

    rows = [json.loads(line) for line in export("jsonl").splitlines()]
    assert {
        r["canonical_address"]: (r["accepted_anomalies"], r["structure_decision_id"]) for r in rows
    } == {a: v[1:] for a, v in stored.items()}
    header, *records = list(csv.reader(io.StringIO(export("csv"), newline="")))
    at = {
        name: header.index(name)
        for name in ("canonical_address", "accepted_anomalies", "structure_decision_id")
    }
    assert {
        r[at["canonical_address"]]: (
            json.loads(r[at["accepted_anomalies"]]),
            r[at["structure_decision_id"]] or None,
        )
        for r in records
    } == {a: v[1:] for a, v in stored.items()}
    xml = export("akn").encode("utf-8")
    assert schema_errors(xml) == []
    notes = anomaly_notes(parse(xml))
    with_some = {a: v for a, v in stored.items() if v[1]}
    assert set(notes) == {eid_of(a) for a in with_some}
    for address, (_, anomalies, decision) in with_some.items():
        placed = notes[eid_of(address)]
        assert [ref for ref, _ in placed] == [f"#anomaly_{a['kind']}" for a in anomalies]
        for (_, text), anomaly in zip(placed, anomalies, strict=True):
            assert f"at line {anomaly['line']} " in text and anomaly["sha256"] in text
            assert f"SG_0 decision {decision}" in text


# ---- every wrong acknowledgment is refused, and the run keeps waiting ---------------------
@pytest.fixture(scope="module")
def waiting(governed_env, db_url) -> str:
    """A live cut of the damaged law, awaiting its structure review."""
    code = _registered(db_url, "SG0W")
    result = launch_cut(code, mode="live", actor=ACTOR, scope="enacted_only")
    assert result.state == RunState.AWAITING_STRUCTURE_REVIEW
    return result.run_id


def _request(run_id: str) -> tuple[str, dict]:
    pins = phase_records(run_id)["structure_review"].pins
    return pins["payload_sha"], pins["payload"]


def _acknowledgment(run_id: str, payload: dict, *, payload_sha=None, approver=APPROVER) -> str:
    requested_sha, _ = _request(run_id)
    return core.draft(
        gate=GATE_SG0,
        run_id=run_id,
        payload_sha=payload_sha or requested_sha,
        approver=approver,
        signed_utc=datetime.now().astimezone(),
        doc_code=run_row(run_id).doc_code,
        payload=payload,
    )


def _wrong(run_id: str, key: str, case: str) -> str:
    """The signed acknowledgment of ``case``, each wrong in one way."""
    _, payload = _request(run_id)
    anomalies = payload["anomalies"]
    if case == "other text":
        text = dict(payload, text_sha256=hashlib.sha256(b"another text").hexdigest())
        return gpg_sign(_acknowledgment(run_id, text), key)
    if case == "other line":
        moved = [dict(anomalies[0], line=anomalies[0]["line"] + 1), *anomalies[1:]]
        return gpg_sign(_acknowledgment(run_id, dict(payload, anomalies=moved)), key)
    if case == "missing anomaly":
        return gpg_sign(_acknowledgment(run_id, dict(payload, anomalies=anomalies[1:])), key)
    if case == "extra anomaly":
        extra = dict(anomalies[0], kind="duplicate", line=1, sha256=_sha256(TEXT, 1))
        return gpg_sign(_acknowledgment(run_id, dict(payload, anomalies=[*anomalies, extra])), key)
    if case == "payload recomputed for one anomaly fewer":
        fewer = dict(payload, anomalies=anomalies[1:])
        return gpg_sign(_acknowledgment(run_id, fewer, payload_sha=sha256_of(fewer)), key)
    if case == "unsigned":
        return _acknowledgment(run_id, payload)
    if case == "self-signed":
        return gpg_sign(_acknowledgment(run_id, payload, approver=ACTOR), key)
    return stub_sign(_acknowledgment(run_id, payload), "sovereign")  # stub in live


WRONG = {
    "other text": Refusal.WRONG_TEXT,
    "other line": Refusal.ANOMALIES_DIFFER,
    "missing anomaly": Refusal.ANOMALIES_DIFFER,
    "extra anomaly": Refusal.ANOMALIES_DIFFER,
    "payload recomputed for one anomaly fewer": Refusal.WRONG_PAYLOAD,
    "unsigned": Refusal.UNSIGNED,
    "self-signed": Refusal.SELF_APPROVAL,
    "stub in live": Refusal.STUB_IN_LIVE,
}


def _place(run_id: str, text: str, name: str) -> str:
    folder = run_row(run_id).kb_folder
    return RESOURCES["kb"].write_once(f"{folder}/SG0-structure-approval-{name}.md", text).path


def _evaluate(path: str) -> approvals.Decision:
    return approvals.evaluate(
        RESOURCES["database"], RESOURCES["kb"].root_path(), path, channel="test"
    )


@pytest.mark.parametrize("case", list(WRONG))
def test_every_wrong_acknowledgment_is_refused_and_the_run_keeps_waiting(
    waiting, governed_env, db_url, monkeypatch, case
):
    monkeypatch.setenv("CUTTER_ALLOW_STUB_LIVE", "yes")  # allowed for SG_1/SG_2: never for SG_0
    path = _place(waiting, _wrong(waiting, governed_env["sovereign"], case), case.replace(" ", "-"))
    decisions = count(db_url, "SELECT count(*) FROM cutter_governance.review_decision")
    with pytest.raises(ApprovalRefused) as refusal:
        _evaluate(path)
    assert refusal.value.reason is WRONG[case]
    assert last_attempt(db_url, path)[1].startswith(WRONG[case].name)
    assert count(db_url, "SELECT count(*) FROM cutter_governance.review_decision") == decisions
    assert run_row(waiting).state == RunState.AWAITING_STRUCTURE_REVIEW


def test_a_replayed_acknowledgment_is_refused(waiting, governed_env):
    _, payload = _request(waiting)
    text = gpg_sign(_acknowledgment(waiting, payload), governed_env["sovereign"])
    assert _evaluate(_place(waiting, text, "first")).gate == GATE_SG0
    with pytest.raises(ApprovalRefused) as refusal:
        _evaluate(_place(waiting, text, "again"))
    assert refusal.value.reason is Refusal.REPLAYED


def test_the_stub_never_signs_a_live_runs_acknowledgment(waiting):
    with pytest.raises(CutterStop) as refusal:
        sign_approval(draft_approval(waiting, "SG_0", APPROVER), None, "stub")
    assert refusal.value.code is StopCode.STOP_APPROVAL_INVALID and "gpg" in refusal.value.detail


# ---- drift: the acknowledgment the cut was made under -------------------------------------
def test_an_acknowledgment_changed_after_mark_stops_the_survey(governed_env, db_url):
    code = _registered(db_url, "SG0D")
    run_id = launch_cut(code, mode="live", actor=ACTOR, scope="enacted_only").run_id
    path = sign_approval(draft_approval(run_id, "SG_0", APPROVER), governed_env["sovereign"], "gpg")
    _evaluate(path)
    mark = next(a for a in ALL if AssetKey("mark") in a.keys)
    assert materialized(survey(code, run_id, assets=[mark])) == ["mark"]
    signed = RESOURCES["kb"].root_path() / path
    signed.chmod(0o644)
    signed.write_text(signed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    cutplan = next(a for a in ALL if AssetKey("cutplan") in a.keys)
    assert not survey(code, run_id, assets=[cutplan]).success
    row = run_row(run_id)
    assert (row.state, row.stop_code) == (RunState.STOPPED, "STOP_DRIFT_KB")
    assert "the SG_0 acknowledgment" in row.stop_detail
