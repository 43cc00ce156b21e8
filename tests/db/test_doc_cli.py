"""`cutter doc add` / `cutter doc list` against a real database: the
no-new-version rule and every intake refusal (one line, own exit code,
nothing written)."""

from __future__ import annotations

import psycopg2
import pytest

from cutter_assets.core.stops import StopCode


@pytest.fixture
def cutter(db_url, monkeypatch, tmp_path, cli):
    monkeypatch.setenv("CUTTER_DATABASE_URL", db_url)
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path / "state"))
    return cli


def _versions(db_url, code):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM public.source_version v JOIN public.source_document d "
            "ON d.id = v.source_document_id WHERE d.doc_code = %s",
            (code,),
        )
        return cur.fetchone()[0]


def _all_rows(db_url):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM public.source_document), "
            "(SELECT count(*) FROM public.source_version)"
        )
        return cur.fetchone()


def test_same_text_adds_no_version_and_new_text_does(cutter, db_url, tmp_path):
    law = tmp_path / "law.txt"
    law.write_text("Điều 1. Phạm vi\nNội dung.\n", encoding="utf-8")
    assert cutter("doc", "add", "--code", "CLI-LAW", "--language", "vi", str(law))[0] == 0
    code, out, _ = cutter("doc", "add", "--code", "CLI-LAW", "--language", "vi", str(law))
    assert code == 0 and "unchanged" in out
    assert _versions(db_url, "CLI-LAW") == 1
    law.write_text("Điều 1. Phạm vi\nNội dung mới.\n", encoding="utf-8")
    code, out, _ = cutter("doc", "add", "--code", "CLI-LAW", "--language", "vi", str(law))
    assert code == 0 and "version 2" in out
    assert _versions(db_url, "CLI-LAW") == 2
    code, out, _ = cutter("doc", "list")
    line = next(row for row in out.splitlines() if row.startswith("CLI-LAW"))
    assert line.split()[1:3] == ["vi", "2"]


def test_language_is_detected_when_not_declared(cutter, db_url, tmp_path):
    law = tmp_path / "en.txt"
    law.write_text("Article 1. Scope\nThis law applies to everyone.\n", encoding="utf-8")
    assert cutter("doc", "add", "--code", "CLI-EN", str(law))[0] == 0
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT language FROM public.source_document WHERE doc_code = 'CLI-EN'")
        assert cur.fetchone() == ("en",)


@pytest.mark.parametrize(
    "case,content,extra,stop",
    [
        ("empty", b"", [], StopCode.STOP_EMPTY_INPUT),
        ("not-utf8", "Điều 1".encode("utf-16-le"), [], StopCode.STOP_NOT_UTF8),
        ("too-large", b"x" * 2048, [], StopCode.STOP_TOO_LARGE),
        ("bad-code", "Điều 1. A\nB\n".encode(), ["--code", "bad code"], StopCode.STOP_BAD_DOC_CODE),
        ("missing-file", None, [], StopCode.STOP_REFUSED_INPUT),
        (
            "language-conflict",
            "Điều 1. A\nB\n".encode(),
            ["--code", "CLI-LAW-VI", "--language", "en"],
            StopCode.STOP_REFUSED_INPUT,
        ),
    ],
)
def test_intake_refusals_write_nothing(
    cutter, db_url, tmp_path, monkeypatch, case, content, extra, stop
):
    monkeypatch.setenv("CUTTER_MAX_DOC_BYTES", "1024")
    seed = tmp_path / "seed.txt"
    seed.write_text("Điều 1. A\nB\n", encoding="utf-8")
    assert cutter("doc", "add", "--code", "CLI-LAW-VI", "--language", "vi", str(seed))[0] == 0
    before = _all_rows(db_url)
    path = tmp_path / f"{case}.txt"
    if content is not None:
        path.write_bytes(content)
    args = ["doc", "add", *(extra or ["--code", "CLI-REFUSED"]), str(path)]
    code, out, err = cutter(*args)
    assert code == stop.exit_code
    assert err.strip().startswith(stop.name + ":") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert _all_rows(db_url) == before


def test_the_cap_is_set_per_document(cutter, db_url, tmp_path):
    law = tmp_path / "cap.txt"
    law.write_text("Điều 1. Phạm vi\nNội dung.\n", encoding="utf-8")
    assert cutter("doc", "add", "--code", "CLI-CAP", "--max-units", "4321", str(law))[0] == 0
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT max_units FROM public.source_document WHERE doc_code = 'CLI-CAP'")
        assert cur.fetchone() == (4321,)
    assert cutter("doc", "add", "--code", "CLI-CAP", "--max-units", "0", str(law))[0] != 0
