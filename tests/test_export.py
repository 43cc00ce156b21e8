"""``cutter export``: a completed live cut (real PostgreSQL, GnuPG and Dagster)
as AKN 3.0, JSON lines and CSV, equal to the rows the database holds, read in
one read-only snapshot as a lane role, the same bytes every time; every run
that is not a completed live cut is refused with one STOP line."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

import psycopg2
import pytest
from click.testing import CliRunner
from lxml import etree
from psycopg2 import errors

from cutter_assets.app.export import EXPORT_COLUMNS
from cutter_assets.app.extract import extract
from cutter_assets.core.legal.akn import eid_of, schema_errors
from cutter_assets.db.connection import connection
from cutter_assets.db.export import EXPORT_ROLE, read_completed_cut
from cutter_assets.resources import RESOURCES
from tests.assets.flow import cut_live, live_to_sg1, rehearse
from tests.assets.harness import register
from tests.conftest import CORPUS
from tests.core.legal.test_akn import NS, alias, eids, frbr, parse
from tests.integrity import ledger_digest

LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
CODE = "EXPORT-LAW"

UNITS_OF_RUN = """
SELECT iu.canonical_address, iu.unit_kind, iu.section_type, iu.number, iu.raw_heading,
       iu.title, uv.body, iu.parent_address, iu.sort_order, iu.content_hash,
       iu.accepted_anomalies, iu.structure_decision_id::text AS structure_decision_id
  FROM public.information_unit iu
  JOIN public.unit_version uv ON uv.information_unit_id = iu.id
  JOIN cutter_governance.cut_change_set c ON c.change_set_id = iu.change_set_id
 WHERE c.run_id = %s
 ORDER BY iu.sort_order
"""
SOURCE_OF_RUN = """
SELECT r.doc_code, v.version_no, v.text_sha256, r.updated_at
  FROM cutter_governance.orchestrator_run r
  JOIN public.source_version v ON v.id = r.source_version_id
 WHERE r.run_id = %s
"""


def _rows(db_url: str, run_id: str) -> list[dict]:
    """The run's units as the database holds them, with where they came from."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(SOURCE_OF_RUN, (run_id,))
        doc_code, version_no, text_sha256, _ = cur.fetchone()
        cur.execute(UNITS_OF_RUN, (run_id,))
        names = [column.name for column in cur.description]
        units = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    source = {"run_id": run_id, "doc_code": doc_code, "version_no": version_no}
    return [{**source, "text_sha256": text_sha256, **unit} for unit in units]


def csv_field(value) -> str:
    """A value as a CSV export field: nothing for NULL, a list as compact JSON
    with sorted keys, anything else as text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _digest(db_url: str) -> dict[str, str]:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        return ledger_digest(cur)


@pytest.fixture(scope="module")
def cut(governed_env, db_url) -> dict[str, str]:
    """A completed live cut of a small law, and its rehearsal."""
    register(db_url, CODE, LAW)
    live = cut_live(CODE, governed_env["sovereign"])
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT run_id::text FROM cutter_governance.orchestrator_run "
            "WHERE doc_code = %s AND mode = 'dryrun' AND state = 'COMPLETED'",
            (CODE,),
        )
        (rehearsal,) = cur.fetchone()
    return {"live": live, "rehearsal": rehearsal}


def _export(cli, run_id: str, fmt: str) -> bytes:
    code, out, err = cli("export", "--run-id", run_id, "--format", fmt)
    assert code == 0 and err == "", err
    return out.encode("utf-8")


def _one_stop_line(result: tuple[int, str, str], stop: str, exit_code: int) -> str:
    code, out, err = result
    assert (code, out) == (exit_code, ""), err
    assert len(err.splitlines()) == 1 and err.startswith(f"{stop}: "), err
    return err


# ---- the three formats ----------------------------------------------------------
def test_akn_is_valid_and_its_eids_are_the_stored_addresses(cut, cli, db_url) -> None:
    xml = _export(cli, cut["live"], "akn")
    assert schema_errors(xml) == []
    rows = _rows(db_url, cut["live"])
    assert len(rows) == 12
    assert eids(xml) == [eid_of(row["canonical_address"]) for row in rows]
    root = parse(xml)
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(SOURCE_OF_RUN, (cut["live"],))
        doc_code, version_no, text_sha256, completed = cur.fetchone()
    assert alias(root, "Manifestation", "cutRun") == [cut["live"]]
    assert alias(root, "Work", "docCode") == [doc_code]
    assert alias(root, "Work", "title") == [doc_code]  # registered with its code as title
    assert alias(root, "Expression", "textSha256") == [text_sha256]
    assert frbr(root, "Expression", "FRBRversionNumber") == [str(version_no)]
    made = frbr(root, "Manifestation", "FRBRdate", "date")[0]
    assert datetime.fromisoformat(made) == completed


def test_akn_body_equals_the_extraction_of_the_same_file(cut, cli) -> None:
    """The units went through the database and came back exactly."""
    exported = parse(_export(cli, cut["live"], "akn"))
    result = CliRunner().invoke(extract, [str(LAW), "--doc-code", CODE, "--format", "akn"])
    assert result.exit_code == 0, result.stderr
    extracted = parse(result.stdout_bytes)
    parts = ("a:act/a:preface", "a:act/a:body", "a:act/a:conclusions")
    for part in parts:
        assert etree.tostring(exported.find(part, NS)) == etree.tostring(
            extracted.find(part, NS)
        ), part


def test_jsonl_rows_equal_the_database_rows(cut, cli, db_url) -> None:
    lines = _export(cli, cut["live"], "jsonl").decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert all(list(row) == list(EXPORT_COLUMNS) for row in rows)
    assert rows == _rows(db_url, cut["live"])


def test_csv_rows_equal_the_database_rows(cut, cli, db_url) -> None:
    data = _export(cli, cut["live"], "csv").decode("utf-8")
    header, *records = list(csv.reader(io.StringIO(data, newline="")))
    assert tuple(header) == EXPORT_COLUMNS
    expected = [[csv_field(value) for value in row.values()] for row in _rows(db_url, cut["live"])]
    assert records == expected


def test_a_clean_law_s_export_shows_no_anomaly_anywhere(cut, cli) -> None:
    rows = [json.loads(line) for line in _export(cli, cut["live"], "jsonl").splitlines()]
    assert {(str(r["accepted_anomalies"]), r["structure_decision_id"]) for r in rows} == {
        ("[]", None)
    }
    data = _export(cli, cut["live"], "csv").decode("utf-8")
    header, *records = list(csv.reader(io.StringIO(data, newline="")))
    at = header.index("accepted_anomalies"), header.index("structure_decision_id")
    assert {(record[at[0]], record[at[1]]) for record in records} == {("[]", "")}
    root = parse(_export(cli, cut["live"], "akn"))
    assert root.xpath("//a:notes | //a:note | //a:TLCConcept", namespaces=NS) == []


@pytest.mark.parametrize("fmt", ["akn", "jsonl", "csv"])
def test_the_same_run_gives_the_same_bytes_and_writes_nothing(cut, cli, db_url, fmt) -> None:
    before = _digest(db_url)
    first = _export(cli, cut["live"], fmt)
    assert _export(cli, cut["live"], fmt) == first
    assert _digest(db_url) == before


def test_output_goes_to_a_new_file_only(cut, cli, tmp_path) -> None:
    path = tmp_path / "cut.xml"
    code, out, err = cli(
        "export", "--run-id", cut["live"], "--format", "akn", "--output", str(path)
    )
    assert code == 0 and out == "" and f"12 units of cut run {cut['live']}" in err
    assert path.read_bytes() == _export(cli, cut["live"], "akn")
    again = cli("export", "--run-id", cut["live"], "--format", "akn", "--output", str(path))
    assert "exists already" in _one_stop_line(again, "STOP_REFUSED_INPUT", 10)
    missing = tmp_path / "no-such-dir" / "cut.xml"
    refused = cli("export", "--run-id", cut["live"], "--format", "csv", "--output", str(missing))
    assert "cannot be written" in _one_stop_line(refused, "STOP_REFUSED_INPUT", 10)


# ---- how it reads ---------------------------------------------------------------
def test_one_read_only_snapshot_as_the_verifier_lane(cut, db_url) -> None:
    with connection(db_url, role=EXPORT_ROLE) as conn:
        exported = read_completed_cut(conn, cut["live"])
        with conn.cursor() as cur:
            cur.execute(
                "SELECT current_user, current_setting('transaction_read_only'), "
                "current_setting('transaction_isolation')"
            )
            assert cur.fetchone() == ("cutter_verify", "on", "repeatable read")
            with pytest.raises(errors.ReadOnlySqlTransaction):
                cur.execute("CREATE TABLE public.export_probe (x int)")
    assert len(exported.units) == 12


def test_the_export_has_only_the_lane_role_s_privileges(cut, cli, db_url) -> None:
    """Take SELECT on the unit bodies from the lane: the export then fails,
    so it never reads as the administrator."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("REVOKE SELECT ON public.unit_version FROM cutter_verify")
    try:
        with pytest.raises(errors.InsufficientPrivilege):
            cli("export", "--run-id", cut["live"], "--format", "jsonl")
    finally:
        with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
            cur.execute("GRANT SELECT ON public.unit_version TO cutter_verify")
    assert _export(cli, cut["live"], "jsonl")


# ---- refusals -------------------------------------------------------------------
def test_an_unknown_run_is_refused(cut, cli) -> None:
    unknown = str(uuid.uuid4())
    err = _one_stop_line(
        cli("export", "--run-id", unknown, "--format", "akn"), "STOP_RUN_UNKNOWN", 29
    )
    assert unknown in err
    malformed = cli("export", "--run-id", "not-a-run", "--format", "csv")
    assert "UUID" in _one_stop_line(malformed, "STOP_RUN_UNKNOWN", 29)


def test_a_rehearsal_is_refused(cut, cli) -> None:
    result = cli("export", "--run-id", cut["rehearsal"], "--format", "jsonl")
    assert "dryrun rehearsal" in _one_stop_line(result, "STOP_STATE", 30)


def test_an_open_run_then_a_voided_run_is_refused(cut, cli, db_url) -> None:
    from cutter_assets.app.orchestration import void

    register(db_url, "EXPORT-OPEN", LAW)
    rehearse("EXPORT-OPEN")
    run_id = live_to_sg1("EXPORT-OPEN")
    waiting = cli("export", "--run-id", run_id, "--format", "akn")
    assert "is AWAITING_CUT_AUTHORIZATION" in _one_stop_line(waiting, "STOP_STATE", 30)
    reason = RESOURCES["kb"].write_once("reasons/void-export.md", "# why\nnot wanted\n").path
    void(run_id, reason)
    voided = cli("export", "--run-id", run_id, "--format", "csv")
    assert "was voided" in _one_stop_line(voided, "STOP_STATE", 30)


def test_a_bad_format_is_refused(cut, cli) -> None:
    result = cli("export", "--run-id", cut["live"], "--format", "pdf")
    assert "pdf" in _one_stop_line(result, "STOP_REFUSED_INPUT", 10)
    missing = cli("export", "--run-id", cut["live"])
    assert "--format" in _one_stop_line(missing, "STOP_REFUSED_INPUT", 10)


def test_export_arguments_are_screened_like_every_run_command():
    """Only --run-id may carry an id; a digest handed anywhere else is refused."""
    from cutter_assets.app.cli import translate
    from cutter_assets.core.stops import CutterStop, StopCode

    run_id = "01930000-0000-7000-8000-000000000000"
    assert translate(["export", "--run-id", run_id, "--format", "akn"])[0] == "export"
    with pytest.raises(CutterStop) as refused:
        translate(["export", "--run-id", run_id, "--output", "e" * 64])
    assert refused.value.code == StopCode.STOP_REFUSED_INPUT
