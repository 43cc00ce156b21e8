"""The pre-write backup round trip with a real GnuPG key, its verification,
and the refusals: no recipient key, a changed file, a foreign recipient."""

from __future__ import annotations

import uuid

import gnupg
import psycopg2
import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.resources.backup import BackupVault
from cutter_assets.signing.gpg import make_key
from tests.db.builders import add_document, create_unit, open_change_set, open_run


@pytest.fixture(scope="module")
def written_units(db_url, cutter_env):
    """Three units (with versions) of one document, and one of another."""
    conn = psycopg2.connect(db_url)
    doc_id, version_id = add_document(conn, "BK-DOC")
    cs = open_change_set(conn, open_run(conn, doc_id, version_id, "BK-DOC"))
    create_unit(conn, cs, "BK-DOC/art_1", "Điều một", sort=1)
    create_unit(conn, cs, "BK-DOC/art_1/para_1", "Khoản một", parent="BK-DOC/art_1", sort=2)
    create_unit(conn, cs, "BK-DOC/art_2", "Điều hai", sort=3)
    other_doc, other_version = add_document(conn, "BK-OTHER")
    other_cs = open_change_set(conn, open_run(conn, other_doc, other_version, "BK-OTHER"))
    create_unit(conn, other_cs, "BK-OTHER/art_1", "Khác", sort=1)
    conn.commit()
    conn.close()


def test_round_trip_restores_the_same_rows(db_url, cutter_env, written_units):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")
    assert record.scoped_rows == {
        "public.information_unit": 3,
        "public.unit_version": 3,
        "public.iu_lifecycle_log": 0,
    }
    assert record.table_counts["public.information_unit"] == 4  # whole table, both documents
    assert vault.verify(run_id).sha256 == record.sha256
    plaintext = "Khoản một".encode()
    assert plaintext not in (vault.directory() / record.file).read_bytes()  # encrypted
    conn = psycopg2.connect(db_url)
    try:
        results = vault.restore(conn, run_id, "scratch_bk")
        with conn.cursor() as cur:
            cur.execute("SELECT canonical_address FROM scratch_bk.information_unit ORDER BY 1")
            assert [r[0] for r in cur.fetchall()] == [
                "BK-DOC/art_1",
                "BK-DOC/art_1/para_1",
                "BK-DOC/art_2",
            ]
            cur.execute("SELECT count(*) FROM scratch_bk.unit_version")
            assert cur.fetchone()[0] == 3
    finally:
        conn.rollback()
        conn.close()
    assert all(want == got for want, got in results.values())


def test_a_changed_backup_file_is_refused(db_url, cutter_env, written_units):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")
    path = vault.directory() / record.file
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CutterStop) as stop:
        vault.verify(run_id)
    assert stop.value.code is StopCode.STOP_BACKUP and "sha256 differs" in stop.value.detail


def test_a_missing_recipient_key_is_refused_before_anything_is_written(
    db_url, cutter_env, written_units, monkeypatch
):
    monkeypatch.setenv("CUTTER_BACKUP_RECIPIENT", "0" * 40)
    vault = BackupVault()
    before = set(vault.directory().glob("*")) if vault.directory().exists() else set()
    with psycopg2.connect(db_url) as conn, pytest.raises(CutterStop) as stop:
        vault.create(conn, run_id=str(uuid.uuid4()), doc_code="BK-DOC")
    assert stop.value.code is StopCode.STOP_BACKUP and "not in the keyring" in stop.value.detail
    after = set(vault.directory().glob("*")) if vault.directory().exists() else set()
    assert after == before


def test_no_recipient_configured_is_refused(db_url, cutter_env, monkeypatch):
    monkeypatch.delenv("CUTTER_BACKUP_RECIPIENT")
    with pytest.raises(CutterStop) as stop:
        BackupVault().require_recipient()
    assert stop.value.code is StopCode.STOP_BACKUP


def test_a_backup_for_another_recipient_is_refused(
    db_url, cutter_env, written_units, tmp_path, monkeypatch
):
    other_home = tmp_path / "g"
    other_home.mkdir(mode=0o700)
    gpg = gnupg.GPG(gnupghome=str(other_home))
    other_fingerprint = make_key(gpg, "other", "o@test.cutter")
    run_id = str(uuid.uuid4())
    monkeypatch.setenv("CUTTER_BACKUP_DIR", str(tmp_path / "b"))
    with monkeypatch.context() as elsewhere:  # another deployment's keyring and recipient
        elsewhere.setenv("CUTTER_GNUPGHOME", str(other_home))
        elsewhere.setenv("CUTTER_BACKUP_RECIPIENT", other_fingerprint)
        with psycopg2.connect(db_url) as conn:
            BackupVault().create(conn, run_id=run_id, doc_code="BK-DOC")
    with pytest.raises(CutterStop) as stop:
        BackupVault().verify(run_id)
    assert stop.value.code is StopCode.STOP_BACKUP
    assert "configured recipient" in stop.value.detail


def test_the_backup_commands(db_url, cutter_env, written_units, cli):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")

    cutter = cli
    code, out, _ = cutter("backup", "verify", "--run-id", run_id)
    assert code == 0 and record.sha256[:16] in out
    code, out, _ = cutter("backup", "restore", "--run-id", run_id, "--into", "scratch_cli")
    assert code == 0 and out.count("equals the backup's") == 3
    code, _, err = cutter("backup", "restore", "--run-id", run_id, "--into", "Bad-Schema;")
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code
    code, _, err = cutter("backup", "verify", "--run-id", str(uuid.uuid4()))
    assert code == StopCode.STOP_BACKUP.exit_code and err.startswith("STOP_BACKUP:")
