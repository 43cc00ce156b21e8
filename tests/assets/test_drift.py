"""Every pin is re-checked right before every mutation: each kind of drift
made after SG_1 (or later) stops the next mutating phase (leg A, leg B, the
verifier, enactment) with its own STOP code, before anything is written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg2
import pytest

from cutter_assets.app.sovereign import arm, disarm
from cutter_assets.assets.write import (
    change_set,
    lifecycle_authorization_request,
    manifest_envelope,
    verify_result,
)
from cutter_assets.platform.settings import load_settings
from tests.assets.flow import approve, enact, leg_b, live_to_sg1, rehearse, write
from tests.assets.harness import phase_records, register, run_row, survey
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
PHASES = ["change_set", "manifest_envelope", "verify_result", "lifecycle_enactment"]


def _sql(db_url: str, *statements: str, params=()) -> None:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement, params)


def _kb_doc(cutter_env, run_id: str, phase: str) -> Path:
    return Path(cutter_env["CUTTER_KB_ROOT"]) / phase_records(run_id)[phase].kb_doc_path


def _backup_file(run_id: str) -> Path:
    directory = load_settings().backup_dir
    manifest = json.loads((directory / f"{run_id}.manifest.json").read_text())
    return directory / manifest["file"]


# kind -> (STOP code, make the drift, undo a drift that outlives the run)
def _grant(env, db_url, run_id, code):
    _sql(db_url, "GRANT SELECT ON cutter_governance.review_decision TO PUBLIC")


def _ungrant(db_url):
    _sql(db_url, "REVOKE SELECT ON cutter_governance.review_decision FROM PUBLIC")


def _text(env, db_url, run_id, code):
    _sql(
        db_url,
        "UPDATE public.source_version v SET full_text = full_text || ' ' "
        "FROM public.source_document d WHERE d.id = v.source_document_id AND d.doc_code = %s",
        params=(code,),
    )


def _backup(env, db_url, run_id, code):
    with _backup_file(run_id).open("ab") as handle:
        handle.write(b"\0")


def _cutplan_doc(env, db_url, run_id, code):
    with _kb_doc(env, run_id, "cutplan").open("a", encoding="utf-8") as handle:
        handle.write("\n")


def _sg1_request_doc(env, db_url, run_id, code):
    doc = _kb_doc(env, run_id, "cut_authorization_request")
    doc.write_text(doc.read_text(encoding="utf-8").replace("SG_1", "SG_l", 1), encoding="utf-8")


def _trigger(name: str, table: str, enable: str):
    def drift(env, db_url, run_id, code):
        _sql(db_url, f"ALTER TABLE {table} DISABLE TRIGGER {name}")

    def undo(db_url):
        _sql(db_url, f"ALTER TABLE {table} {enable} TRIGGER {name}")

    return drift, undo


def _function(env, db_url, run_id, code):
    _sql(db_url, "ALTER FUNCTION public.fn_iu_void(uuid) SECURITY INVOKER")


def _unfunction(db_url):
    _sql(db_url, "ALTER FUNCTION public.fn_iu_void(uuid) SECURITY DEFINER")


IU_GUARD = _trigger("iu_guard", "public.information_unit", "ENABLE")
DRYRUN_GUARD = _trigger("refuse_dryrun_commit", "public.information_unit", "ENABLE")
APPEND_ONLY = _trigger("append_only", "cutter_governance.phase_record", "ENABLE")

KINDS = {
    "an extra grant to PUBLIC": ("STOP_GRANT_DELTA", _grant, _ungrant),
    "the stored text edited, its digest kept": ("STOP_DRIFT_TEXT", _text, None),
    "one byte appended to the backup": ("STOP_DRIFT_BACKUP", _backup, None),
    "the 03-cutplan doc edited": ("STOP_DRIFT_KB", _cutplan_doc, None),
    "the SG_1 request doc edited": ("STOP_DRIFT_KB", _sg1_request_doc, None),
    "iu_guard disabled": ("STOP_DRIFT_TRIGGER", *IU_GUARD),
    "refuse_dryrun_commit disabled": ("STOP_DRIFT_TRIGGER", *DRYRUN_GUARD),
    "an append-only trigger disabled": ("STOP_DRIFT_TRIGGER", *APPEND_ONLY),
    "a governed function redefined": ("STOP_FINGERPRINT_DRIFT", _function, _unfunction),
}


def _to_phase(code: str, phase: str, sovereign: str) -> str:
    """A live run of ``code`` with every phase before ``phase`` passed."""
    rehearse(code)
    run_id = live_to_sg1(code)
    arm(run_id)
    approve(run_id, "SG_1", sovereign)
    if phase in ("manifest_envelope", "verify_result"):
        assert survey(code, run_id, assets=[change_set]).success
    if phase == "verify_result":
        assert survey(code, run_id, assets=[manifest_envelope]).success
    if phase == "lifecycle_enactment":
        assert write(code, run_id).success
        approve(run_id, "SG_2", sovereign)
    return run_id


def _run_phase(code: str, run_id: str, phase: str):
    if phase == "change_set":
        return write(code, run_id)
    if phase == "lifecycle_enactment":
        return enact(code, run_id)
    if phase == "verify_result":
        return survey(code, run_id, assets=[verify_result, lifecycle_authorization_request])
    return leg_b(code, run_id)


def _written(db_url: str, code: str, run_id: str) -> dict[str, int]:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE lifecycle_status = 'enacted') "
            "FROM public.information_unit WHERE canonical_address LIKE %s",
            (code + "/%",),
        )
        units, enacted = cur.fetchone()
        counts = {"units": units, "enacted": enacted}
        for table in ("manifest_envelope", "verify_result"):
            cur.execute(
                f"SELECT count(*) FROM cutter_governance.{table} t "
                "JOIN cutter_governance.cut_change_set c USING (change_set_id) "
                "WHERE c.run_id = %s",
                (run_id,),
            )
            counts[table] = cur.fetchone()[0]
    return counts


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_drift_stops_the_next_mutation_with_its_own_code(governed_env, db_url, kind, phase):
    stop_code, make_drift, undo = KINDS[kind]
    code = "DRIFT-" + uuid.uuid4().hex[:6].upper()
    register(db_url, code, SMALL_LAW)
    run_id = _to_phase(code, phase, governed_env["sovereign"])
    before = _written(db_url, code, run_id)
    try:
        make_drift(governed_env, db_url, run_id, code)
        result = _run_phase(code, run_id, phase)
    finally:
        if undo is not None:
            undo(db_url)
        disarm()
    assert not result.success
    run = run_row(run_id)
    assert run.state == "STOPPED"
    if phase == "manifest_envelope":  # leg A is in: the stop says so, and names the drift
        assert run.stop_code == "STOP_BETWEEN_LEG_A_AND_LEG_B"
        assert stop_code in run.stop_detail
    else:
        assert run.stop_code == stop_code, run.stop_detail
    assert run.stop_detail.startswith(phase), run.stop_detail  # before the phase did anything
    assert phase not in phase_records(run_id)
    assert _written(db_url, code, run_id) == before
