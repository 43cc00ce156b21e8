"""The survey stage materialized for real on a real law: KB evidence,
metadata, ledger, and the cut plan persisted in PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg2
import pytest

from cutter_assets.core.phases import SURVEY
from cutter_assets.core.stops import StopCode
from cutter_assets.db import ledger
from cutter_assets.resources import RESOURCES
from tests.assets.harness import (
    kb_files,
    materialized,
    phase_records,
    refused,
    register,
    run_row,
    start,
    survey,
)
from tests.conftest import CORPUS

PHASE_SECTIONS = [
    "## 1. Inputs",
    "## 2. Work performed",
    "## 3. Live snapshot diff",
    "## 4. Internal-gate invariants",
    "## 5. Artifacts produced",
    "## 6. Verdict",
]


@pytest.fixture(scope="module")
def surveyed(cutter_env, db_url):
    register(db_url, "ICX-CONST", CORPUS / "hien-phap.txt")
    run_id = start("ICX-CONST")
    result = survey("ICX-CONST", run_id)
    return run_id, result


def test_every_survey_asset_materializes_and_the_run_awaits_sg1(surveyed):
    run_id, result = surveyed
    assert result.success
    assert materialized(result) == list(SURVEY)
    run = run_row(run_id)
    assert run.state == "AWAITING_CUT_AUTHORIZATION"
    assert {k: r.outcome for k, r in phase_records(run_id).items()} == {k: "passed" for k in SURVEY}


def test_each_phase_doc_follows_the_template(surveyed, cutter_env):
    run_id, _ = surveyed
    docs = kb_files(cutter_env["CUTTER_KB_ROOT"], run_row(run_id))
    day = re.search(r"(\d{8})\.md$", next(iter(docs))).group(1)
    expected = {
        f"{stem}{day}.md"
        for stem in (
            "01-source-pin-",
            "SG0-STRUCTURE-REVIEW-",
            "02-mark-",
            "03-cutplan-",
            "04-pre-write-backup-",
            "05-grant-probe-",
            "SG1-cut-authz-request-",
        )
    }
    assert set(docs) == expected
    for name, text in docs.items():
        assert len(text.splitlines()) <= 250, name
        assert run_id in text.splitlines()[0], name
        if not name.startswith("SG1"):
            positions = [text.index(section) for section in PHASE_SECTIONS]
            assert positions == sorted(positions), name
            assert "outcome             : PASS" in text
    assert "payload_sha" in docs[f"SG1-cut-authz-request-{day}.md"]


def test_metadata_carries_pins_counts_and_the_kb_doc_sha(surveyed, cutter_env):
    run_id, result = surveyed
    records = phase_records(run_id)
    for event in result.get_asset_materialization_events():
        key = event.asset_key.path[-1]
        metadata = event.materialization.metadata
        assert metadata["cutter/run_id"].value == run_id
        doc = Path(cutter_env["CUTTER_KB_ROOT"]) / metadata["kb_doc"].value
        assert hashlib.sha256(doc.read_bytes()).hexdigest() == metadata["kb_doc_sha256"].value
        assert metadata["kb_doc_sha256"].value == records[key].kb_doc_sha256
        for pin in records[key].pins:
            assert f"pin/{pin}" in metadata, (key, pin)
        if key in ("mark", "cutplan"):
            assert "| canonical_address" in metadata["preview"].value or "canonical_address" in (
                metadata["preview"].value
            )


def test_the_cut_plan_is_persisted_in_postgres_keyed_by_run(surveyed, db_url):
    run_id, _ = surveyed
    records = phase_records(run_id)
    with RESOURCES["database"].transaction(commit=False) as conn:
        rows = ledger.load_cutplan(conn, run_id)
    assert len(rows) == records["cutplan"].pins["row_count"] == records["mark"].pins["unit_count"]
    assert [r["sort_order"] for r in rows] == sorted(r["sort_order"] for r in rows)
    assert len({r["idempotency_key"] for r in rows}) == len(rows)
    for row in rows[:50]:
        assert hashlib.sha256(row["body"].encode()).hexdigest() == row["content_hash"]
    # 120 articles: "Điều 1" .. "Điều 120" (the 2013 Constitution has 120 articles)
    assert sum(r["unit_kind"] == "article" for r in rows) == 120
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.information_unit")
        assert cur.fetchone()[0] == 0  # the survey writes no unit


def test_the_sg1_payload_pins_what_the_phases_pinned(surveyed):
    run_id, _ = surveyed
    records = phase_records(run_id)
    payload = records["cut_authorization_request"].pins["payload"]
    assert payload["writer_digest"] == records["cutplan"].pins["writer_digest"]
    assert payload["backup_sha256"] == records["backup"].pins["backup_sha256"]
    assert payload["grant_matrix_sha"] == records["grant_probe"].pins["grant_matrix_sha"]
    assert payload["run_id"] == run_id
    canonical = __import__("json").dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert (
        records["cut_authorization_request"].pins["payload_sha"]
        == hashlib.sha256(canonical.encode()).hexdigest()
    )


def test_a_phase_is_never_redone_and_the_refusal_leaves_the_run_as_it_was(surveyed, cutter_env):
    run_id, _ = surveyed
    before = kb_files(cutter_env["CUTTER_KB_ROOT"], run_row(run_id))
    again = survey("ICX-CONST", run_id)
    assert materialized(again) == [] and refused(again).code == StopCode.STOP_STATE
    assert run_row(run_id).state == "AWAITING_CUT_AUTHORIZATION"
    assert kb_files(cutter_env["CUTTER_KB_ROOT"], run_row(run_id)) == before
