"""``cutter extract``: exit codes, one-line refusals on stderr, table and jsonl."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutter_assets.app.extract import doc_code_from_name, extract
from cutter_assets.core.legal import extract_units
from cutter_assets.core.legal.akn import eid_of, schema_errors
from cutter_assets.core.stops import StopCode
from tests.core.legal.corpus import corpus_path, corpus_text
from tests.core.legal.test_akn import alias, eids, parse


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _one_stop_line(result, code: StopCode) -> None:
    assert result.exit_code == code.exit_code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{code.name}: "), result.stderr
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)


def _anomalies_then_stop(result) -> list[str]:
    """A structure stop: one line per anomaly on stderr, then the STOP line; the
    anomaly lines."""
    assert result.exit_code == StopCode.STOP_STRUCTURE.exit_code, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    *anomalies, stop = result.stderr.splitlines()
    assert stop.startswith("STOP_STRUCTURE: ") and anomalies, result.stderr
    assert all(line.startswith("anomaly: line ") for line in anomalies), result.stderr
    return anomalies


def test_table_for_the_constitution(runner) -> None:
    result = runner.invoke(extract, [str(corpus_path("hien-phap.txt")), "--doc-code", "VN-HP-2013"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "    chp_1/art_5" in out and "      chp_1/art_5/para_2" in out
    assert "VN-HP-2013 (vi): 377 units: preamble 1, chapter 11, article 120" in out
    assert "warnings: 47 (tail_undecided 2, unicode_nfd 45)" in out
    assert "line 440: unicode_nfd" in out


def test_jsonl_is_pure_and_complete(runner) -> None:
    path = corpus_path("luat-cong-nghe-thong-tin.txt")
    result = runner.invoke(extract, [str(path), "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    direct = extract_units(corpus_text(path.name), doc_code="LUAT-CONG-NGHE-THONG-TIN")
    assert [r["canonical_address"] for r in rows] == [u.canonical_address for u in direct.units]
    assert [r["content_hash"] for r in rows] == [u.content_hash for u in direct.units]
    required = {
        "canonical_address", "unit_kind", "number", "parent_address",
        "sort_order", "content_hash", "title",
    }  # fmt: skip
    assert all(required <= row.keys() for row in rows)
    assert rows[0]["canonical_address"] == "LUAT-CONG-NGHE-THONG-TIN/preamble"
    assert [r["sort_order"] for r in rows] == list(range(1, len(rows) + 1))
    # The summary goes to stderr, with every warning.
    assert f"LUAT-CONG-NGHE-THONG-TIN (vi): {len(rows)} units" in result.stderr
    assert result.stderr.count("\n  line ") == len(direct.warnings) == 51


def test_empty_file(runner) -> None:
    path = corpus_path("luat-ban-hanh-van-ban-quy-pham-phap-luat.txt")
    _one_stop_line(runner.invoke(extract, [str(path)]), StopCode.STOP_EMPTY_INPUT)


def test_not_utf8(runner, tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Điều 1. Phạm vi\n".encode("utf-16"))
    _one_stop_line(runner.invoke(extract, [str(path)]), StopCode.STOP_NOT_UTF8)


def test_too_large(runner, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    _one_stop_line(runner.invoke(extract, [str(path)]), StopCode.STOP_TOO_LARGE)


def test_structure_stop(runner, tmp_path: Path) -> None:
    path = tmp_path / "gap.txt"
    path.write_text("LUẬT\n\nĐiều 1. A\n\nNội dung.\n\nĐiều 3. C\n\nNội dung.\n", encoding="utf-8")
    result = runner.invoke(extract, [str(path)])
    sha = hashlib.sha256("Điều 3. C".encode()).hexdigest()
    assert _anomalies_then_stop(result) == [
        f"anomaly: line 7: gap: expected 2, found 3 (sha256 {sha[:12]})"
    ]
    assert "article numbering gap (expected 2, found 3) at line 7" in result.stderr


def test_default_cap_and_raised_cap(runner) -> None:
    path = str(corpus_path("bo-luat-to-tung-hinh-su.txt"))
    result = runner.invoke(extract, [path])
    _one_stop_line(result, StopCode.STOP_STRUCTURE)
    assert "cap of 1000" in result.stderr and "--max-units" in result.stderr
    result = runner.invoke(extract, [path, "--max-units", "5000", "--format", "jsonl"])
    total = len(extract_units(corpus_text(Path(path).name), doc_code="X-Y", max_units=5000).units)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == total > 1000


def test_bad_doc_codes(runner, tmp_path: Path) -> None:
    path = tmp_path / "1.txt"
    path.write_text("Điều 1. A\n\nNội dung.\n", encoding="utf-8")
    _one_stop_line(runner.invoke(extract, [str(path)]), StopCode.STOP_BAD_DOC_CODE)
    good = tmp_path / "ok.txt"
    good.write_text("Điều 1. A\n\nNội dung.\n", encoding="utf-8")
    result = runner.invoke(extract, [str(good), "--doc-code", "x; DROP TABLE"])
    _one_stop_line(result, StopCode.STOP_BAD_DOC_CODE)


def test_missing_file(runner, tmp_path: Path) -> None:
    result = runner.invoke(extract, [str(tmp_path / "nope.txt")])
    _one_stop_line(result, StopCode.STOP_REFUSED_INPUT)


def test_doc_code_from_file_name() -> None:
    assert doc_code_from_name(Path("luật-hôn-nhân-và-gia-đình.txt")) == "LUAT-HON-NHAN-VA-GIA-DINH"
    assert doc_code_from_name(Path("/x/hien_phap 2013.v2.txt")) == "HIEN-PHAP-2013"


def test_akn_is_a_valid_act_of_the_file(runner) -> None:
    path = corpus_path("hien-phap.txt")
    args = [str(path), "--doc-code", "VN-HP-2013", "--format", "akn"]
    result = runner.invoke(extract, args)
    assert result.exit_code == 0, result.stderr
    xml = result.stdout_bytes
    assert schema_errors(xml) == []
    direct = extract_units(corpus_text(path.name), doc_code="VN-HP-2013")
    assert eids(xml) == [eid_of(u.canonical_address) for u in direct.units]
    root = parse(xml)
    # the digest of the file's exact bytes, as `cutter doc add` registers it
    assert alias(root, "Expression", "textSha256") == [
        hashlib.sha256(path.read_bytes()).hexdigest()
    ]
    assert alias(root, "Work", "docCode") == ["VN-HP-2013"]
    assert "VN-HP-2013 (vi): 377 units" in result.stderr
    assert runner.invoke(extract, args).stdout_bytes == xml


def test_akn_refusals_are_one_line(runner, tmp_path: Path) -> None:
    path = tmp_path / "gap.txt"
    path.write_text("LUẬT\n\nĐiều 1. A\n\nNội dung.\n\nĐiều 3. C\n\nNội dung.\n", encoding="utf-8")
    anomalies = _anomalies_then_stop(runner.invoke(extract, [str(path), "--format", "akn"]))
    assert len(anomalies) == 1 and anomalies[0].startswith("anomaly: line 7: gap: ")
    # a control character XML cannot carry is refused, never dropped
    bad = tmp_path / "bad.txt"
    bad.write_text("Điều 1. A\n\nNội dung \x01 lạ.\n", encoding="utf-8")
    result = runner.invoke(extract, [str(bad), "--format", "akn"])
    _one_stop_line(result, StopCode.STOP_REFUSED_INPUT)
    assert "BAD/art_1 holds U+0001" in result.stderr
