"""Each internal gate of the survey made to fail by real means: the run
stops with its STOP code, downstream assets do not run, and the STOP doc and
the ledger state are written."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import psycopg2
import pytest

from cutter_assets.assets.survey import SURVEY_ASSETS, cut_authorization_request, source_pin
from cutter_assets.core.phases import SURVEY
from cutter_assets.core.stops import StopCode
from tests.assets.harness import (
    failed_checks,
    instance_with,
    kb_files,
    materialized,
    refused,
    register,
    run_row,
    start,
    survey,
)
from tests.conftest import CORPUS
from tests.db.builders import create_unit, open_change_set, open_run

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def _code() -> str:
    return "STOP-" + uuid.uuid4().hex[:6].upper()


@contextmanager
def _sql(db_url, do: str, undo: str):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(do)
    try:
        yield
    finally:
        with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
            cur.execute(undo)


def _assert_stopped(cutter_env, run_id, code, result, *, last_materialized):
    assert not result.success
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", code)
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run)
    stop_docs = [name for name in docs if name.startswith(f"STOP-{code}-")]
    assert len(stop_docs) == 1, docs.keys()
    assert run_id in docs[stop_docs[0]]
    done = materialized(result)
    expected = list(SURVEY[: SURVEY.index(last_materialized) + 1]) if last_materialized else []
    assert done == expected
    # What the UI shows of the failed step: the STOP's one line, no stack (a failed
    # internal gate too, which Dagster would fail for its blocking check).
    (failure,) = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    assert failure.error.message == f"{code}: {run.stop_detail.split(': ', 1)[1]}"
    assert failure.error.stack == [] and failure.error.cause is None
    assert failure.user_failure_data.metadata["stop_handled"].value is True
    return docs[stop_docs[0]]


def test_a_revoked_grant_stops_at_grant_probe(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    with _sql(
        db_url,
        "REVOKE SELECT ON public.unit_version FROM cutter_verify",
        "GRANT SELECT ON public.unit_version TO cutter_verify",
    ):
        result = survey(code, run_id)
    stop_doc = _assert_stopped(
        cutter_env, run_id, "STOP_GRANT_DELTA", result, last_materialized="grant_probe"
    )
    assert failed_checks(result) == ["privilege_matrix_is_expected"]
    assert "cutter_verify SELECT public.unit_version" in stop_doc


def test_an_unexpected_grant_stops_at_grant_probe(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    with _sql(
        db_url,
        "GRANT SELECT ON cutter_governance.review_decision TO PUBLIC",
        "REVOKE SELECT ON cutter_governance.review_decision FROM PUBLIC",
    ):
        result = survey(code, run_id)
    stop_doc = _assert_stopped(
        cutter_env, run_id, "STOP_GRANT_DELTA", result, last_materialized="grant_probe"
    )
    assert "PUBLIC SELECT cutter_governance.review_decision" in stop_doc


def test_a_redefined_function_stops_at_source_pin(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    with _sql(
        db_url,
        "ALTER FUNCTION public.fn_iu_void(uuid) SECURITY INVOKER",
        "ALTER FUNCTION public.fn_iu_void(uuid) SECURITY DEFINER",
    ):
        result = survey(code, run_id)
    stop_doc = _assert_stopped(
        cutter_env, run_id, "STOP_DRIFT", result, last_materialized="source_pin"
    )
    assert failed_checks(result) == ["fingerprints_equal_pins"]
    assert "public.fn_iu_void(uuid) was redefined" in stop_doc


def test_a_function_redefined_mid_run_is_drift(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = instance_with(code)
    assert survey(code, run_id, assets=[source_pin], instance=instance).success
    with _sql(
        db_url,
        "ALTER FUNCTION public.fn_iu_enact(uuid, uuid) SET search_path = public",
        "ALTER FUNCTION public.fn_iu_enact(uuid, uuid) SET search_path = pg_catalog, pg_temp",
    ):
        result = survey(code, run_id, assets=SURVEY_ASSETS[1:], instance=instance)
    stop_doc = _assert_stopped(
        cutter_env, run_id, "STOP_FINGERPRINT_DRIFT", result, last_materialized=None
    )
    assert "fingerprints_sha" in stop_doc


def test_a_new_version_registered_mid_run_is_drift(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = instance_with(code)
    assert survey(code, run_id, assets=SURVEY_ASSETS[:3], instance=instance).success
    register(db_url, code, SMALL_LAW.read_text(encoding="utf-8") + "\n")
    result = survey(code, run_id, assets=SURVEY_ASSETS[3:], instance=instance)
    stop_doc = _assert_stopped(cutter_env, run_id, "STOP_DRIFT", result, last_materialized=None)
    assert "source_version_id" in stop_doc and "text_sha256" in stop_doc


def test_more_units_than_the_cap_stops_at_mark(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW, max_units=5)
    run_id = start(code)
    result = survey(code, run_id)
    _assert_stopped(cutter_env, run_id, "STOP_STRUCTURE", result, last_materialized="mark")
    assert failed_checks(result) == ["unit_count_within_cap"]
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM cutter_governance.cutplan_row WHERE run_id = %s", (run_id,)
        )
        assert cur.fetchone()[0] == 0


def test_a_removed_vocab_entry_stops_the_plan(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    with _sql(
        db_url,
        "DELETE FROM public.unit_kind_vocab WHERE unit_kind = 'article'",
        "INSERT INTO public.unit_kind_vocab VALUES ('article', 5)",
    ):
        result = survey(code, run_id)
    stop_doc = _assert_stopped(
        cutter_env, run_id, "STOP_INVARIANT_FAILED", result, last_materialized="cutplan"
    )
    assert failed_checks(result) == ["plan_vocabulary_is_known"]
    assert "unit_kind=article" in stop_doc


def test_a_vocab_change_mid_run_is_drift(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    instance = instance_with(code)
    assert survey(code, run_id, assets=[source_pin], instance=instance).success
    with _sql(
        db_url,
        "INSERT INTO public.section_type_vocab VALUES ('annex')",
        "DELETE FROM public.section_type_vocab WHERE section_type = 'annex'",
    ):
        result = survey(code, run_id, assets=SURVEY_ASSETS[1:], instance=instance)
    stop_doc = _assert_stopped(cutter_env, run_id, "STOP_DRIFT", result, last_materialized=None)
    assert "vocab_sha" in stop_doc


def test_units_already_under_the_prefix_stop_a_fresh_run(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    with psycopg2.connect(db_url) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT d.id, v.id FROM public.source_document d JOIN "
                "public.source_version v ON v.source_document_id = d.id "
                "WHERE d.doc_code = %s",
                (code,),
            )
            doc_id, version_id = cur.fetchone()
        earlier = open_run(conn, doc_id, version_id, code)
        create_unit(conn, open_change_set(conn, earlier), f"{code}/art_1")
        cur = conn.cursor()
        cur.execute(
            "UPDATE cutter_governance.orchestrator_run SET state = 'VOIDED' WHERE run_id = %s",
            (earlier,),
        )
    run_id = start(code)
    result = survey(code, run_id)
    _assert_stopped(cutter_env, run_id, "STOP_DRIFT", result, last_materialized="source_pin")
    assert failed_checks(result) == ["no_units_under_prefix"]


def test_a_request_without_its_phases_is_refused_and_changes_nothing(cutter_env, db_url):
    code = _code()
    register(db_url, code, SMALL_LAW)
    run_id = start(code)
    result = survey(code, run_id, assets=[cut_authorization_request])
    assert result.success and materialized(result) == []  # refused: no asset failed
    assert refused(result).code == StopCode.STOP_STATE
    assert run_row(run_id).state == "SURVEYING"
    assert kb_files(cutter_env["CUTTER_KB_ROOT"], run_row(run_id)) == {}


@pytest.mark.parametrize("bad_key", ["icx-const", "X", "../ETC", "A B"])
def test_partition_keys_are_checked_at_every_entry(cutter_env, bad_key):
    result = survey(bad_key, None, assets=[source_pin])
    assert result.success and materialized(result) == []
    assert refused(result).line().startswith("STOP_BAD_DOC_CODE:")
