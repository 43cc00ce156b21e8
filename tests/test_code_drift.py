"""A process refuses every phase once cutter's code on disk is not the code it
loaded (an upgrade under a running UI, daemon or code server), leaving the cut
run as it was."""

from __future__ import annotations

import shutil

from cutter_assets.assets.survey import source_pin
from cutter_assets.core.stops import StopCode
from cutter_assets.platform import code
from cutter_assets.platform.settings import PROJECT_ROOT
from tests.assets.harness import materialized, refused, register, run_row, start, survey
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def test_the_digest_follows_every_code_file_and_nothing_else(tmp_path, monkeypatch):
    tree = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "sql", tree / "sql")
    (tree / "notes.txt").write_text("not code\n")
    monkeypatch.setattr(code, "PROJECT_ROOT", tmp_path)
    roots = (tree / "sql",)
    first = code.code_digest(roots)
    assert code.code_digest(roots) == first
    (tree / "notes.txt").write_text("still not code\n")
    (tree / "sql" / "README.txt").write_text("not a code suffix\n")
    assert code.code_digest(roots) == first
    migration = next((tree / "sql" / "deploy").glob("018_*.sql"))
    written = migration.read_text()
    migration.write_text(written + "-- one more line\n")
    assert code.code_digest(roots) != first
    migration.write_text(written)
    assert code.code_digest(roots) == first
    migration.rename(migration.with_name("099_moved.sql"))  # the same bytes elsewhere
    assert code.code_digest(roots) != first


def test_the_loaded_code_is_the_code_on_disk():
    assert code.LOADED == code.code_digest()


def test_a_phase_is_refused_when_the_code_on_disk_is_not_the_code_loaded(
    cutter_env, db_url, monkeypatch
):
    register(db_url, "CODE-DRIFT", SMALL_LAW)
    run_id = start("CODE-DRIFT")
    monkeypatch.setattr(code, "LOADED", "0" * 64)  # this process loaded other code
    result = survey("CODE-DRIFT", run_id, assets=[source_pin])
    stop = refused(result)
    assert stop is not None and stop.code is StopCode.STOP_CODE_DRIFT
    assert "restart" in stop.detail and not materialized(result)
    run = run_row(run_id)
    assert run.state == "SURVEYING" and run.stop_code is None  # the run is as it was
    monkeypatch.setattr(code, "LOADED", code.code_digest())  # restarted: it goes on
    assert materialized(survey("CODE-DRIFT", run_id, assets=[source_pin])) == ["source_pin"]
